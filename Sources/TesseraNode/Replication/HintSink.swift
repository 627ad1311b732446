public import TesseraCluster
public import TesseraCore

/// Where the node hands the hints it must keep: the coordinator's `.storeHint` effects (strict and sloppy) and
/// the hinted writes it receives as a sloppy stand-in (REPLICA_HINTED_WRITE, acknowledged only after `store`
/// completes without error). Implemented by the durable hint store (branch hints-ae); a node started without
/// one keeps no hints and refuses hinted writes, so they never count toward W.
///
/// `completion` may be called on any thread; the node hops back to its event loop.
public protocol HintSink: AnyObject, Sendable {
    /// Stores `hints` durably; `completion(nil)` once they are, or the error.
    func store(_ hints: [Hint], completion: @escaping @Sendable (TesseraError?) -> Void)
    /// The node's failure detector saw `node` come up (`isUp`) or go down: hint replay starts or stops there.
    func peerChanged(_ node: NodeID, isUp: Bool)
}

extension HintSink {
    public func peerChanged(_ node: NodeID, isUp: Bool) {}
}
