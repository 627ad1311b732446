public import TesseraCore

extension TesseraClient {
    /// Every ring member's `limit` most requested read and write keys (as Cassandra's `nodetool
    /// toppartitions`): each member is asked directly; one that does not answer is reported down.
    public func hotKeys(limit: Int = 10, timeout: Duration? = nil) async throws(TesseraError) -> [NodeHotKeys] {
        guard (1...Int(UInt16.max)).contains(limit) else {
            throw TesseraError(.invalidRequest, "the hot-key limit is \(limit); use 1 to \(UInt16.max)")
        }
        return try await askEveryMember(.hotKeys(limit: limit), timeout: timeout) { member, response in
            guard case .hotKeys(var hot) = response else { return nil }
            hot.id = member.id
            hot.address = member.address
            return hot
        } down: { member, reason in
            NodeHotKeys(id: member.id, address: member.address, isUp: false, error: reason)
        }
    }
}
