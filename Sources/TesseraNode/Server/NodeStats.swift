/// Counters behind STATUS. Plain integers: confined to the node's event loop like `NodeCore`.
final class NodeStats {
    var gets: UInt64 = 0
    var puts: UInt64 = 0
    var deletes: UInt64 = 0
    var failedRequests: UInt64 = 0
    var replicaWrites: UInt64 = 0
    var replicaReads: UInt64 = 0
    var readRepairs: UInt64 = 0
    var protocolErrors: UInt64 = 0
    var connectionsAccepted: UInt64 = 0
    var timeouts: UInt64 = 0
    var unavailable: UInt64 = 0
}
