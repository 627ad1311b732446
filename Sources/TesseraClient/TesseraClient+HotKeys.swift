public import TesseraCore

extension TesseraClient {
    /// Every ring member's `limit` most requested read and write keys (as Cassandra's `nodetool
    /// toppartitions`): each member is asked directly; one that does not answer is reported down.
    public func hotKeys(limit: Int = 10, timeout: Duration? = nil) async throws(TesseraError) -> [NodeHotKeys] {
        guard (1...Int(UInt16.max)).contains(limit) else {
            throw TesseraError(.invalidRequest, "the hot-key limit is \(limit); use 1 to \(UInt16.max)")
        }
        let timeout = timeout ?? options.defaultTimeout
        try Options.checkTimeout(timeout)
        let topology = try await topology(timeout: timeout)
        let deadline = ContinuousClock.now + timeout
        return await withTaskGroup(of: NodeHotKeys.self) { group in
            for member in topology.members {
                group.addTask {
                    let target = RoutingTable.Target(node: member.id, address: member.address)
                    var reason: String
                    do throws(TesseraError) {
                        switch try await self.send(.hotKeys(limit: limit), to: target, deadline: deadline) {
                        case .hotKeys(var hot):
                            hot.id = member.id
                            hot.address = member.address
                            return hot
                        case .error(let error): reason = error.message
                        case let other: reason = Self.unexpected(other, for: "hot keys").message
                        }
                    } catch {
                        reason = error.message
                    }
                    return NodeHotKeys(id: member.id, address: member.address, isUp: false, error: reason)
                }
            }
            var result: [NodeHotKeys] = []
            for await hot in group { result.append(hot) }
            return result.sorted { $0.id < $1.id }
        }
    }
}
