/// The node-wide bound on bytes held for client connections (requests being served plus replies not yet
/// taken by the socket). Confined to the node's event loop.
///
/// Each client connection charges its bytes here; while the total is at or above `limit`, client connections
/// decode no new requests. Peer connections are not charged and never wait, so replica traffic and pings go on
/// while clients misbehave. When the total drops below the limit, every waiting connection is resumed.
final class NodeConnectionBudget {
    let limit: Int
    private(set) var used = 0
    /// The most `used` has been (for STATUS and the memory benchmark).
    private(set) var peak = 0
    private var waiting: [ObjectIdentifier: NodeConnectionHandler] = [:]

    init(limit: Int) {
        self.limit = limit
    }

    var isExhausted: Bool { used >= limit }

    func charge(_ delta: Int) {
        let wasExhausted = isExhausted
        used += delta
        if used > peak { peak = used }
        if wasExhausted && !isExhausted && !waiting.isEmpty {
            let resumed = waiting.values
            waiting.removeAll()
            for handler in resumed { handler.resumeAfterBudget() }
        }
    }

    /// `handler` is waiting for the budget; it is called back through `resumeAfterBudget` once.
    func wait(_ handler: NodeConnectionHandler) {
        waiting[ObjectIdentifier(handler)] = handler
    }

    func forget(_ handler: NodeConnectionHandler) {
        waiting.removeValue(forKey: ObjectIdentifier(handler))
    }
}
