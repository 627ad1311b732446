import NIOCore
import TesseraCluster
public import TesseraStorage

/// What a node counts, read at one moment: the node's own counters (the ones STATUS reports) and its
/// storage engine's. Metrics and health are computed from it at scrape time.
public struct NodeSnapshot: Sendable {
    public var gets: UInt64 = 0
    public var puts: UInt64 = 0
    public var deletes: UInt64 = 0
    public var failedRequests: UInt64 = 0
    public var timeouts: UInt64 = 0
    public var unavailable: UInt64 = 0
    public var replicaWrites: UInt64 = 0
    public var replicaReads: UInt64 = 0
    public var readRepairs: UInt64 = 0
    public var protocolErrors: UInt64 = 0
    public var connectionsAccepted: UInt64 = 0
    public var inFlight: Int = 0
    public var storageWriteBatches: Int = 0
    public var storageReadBatches: Int = 0
    /// Reads answered from memtables and the block cache on the event loop.
    public var storageMemoryReads: Int = 0
    public var peersUp: Int = 0
    public var peersDown: Int = 0
    public var uptimeMillis: Int64 = 0
    /// Client requests are answered `overloaded` (shutdown started).
    public var draining = false
    /// The node has stopped (storage closed).
    public var stopped = false
    /// True once every peer's state is an observation (answered, failed, or silent for `peerDownAfterMillis`),
    /// not the start-up assumption.
    public var peersKnown = false
    /// Admission control: client and replica requests admitted and in flight, and refusals by reason
    /// (`AdmissionControl.Rejection.rawValue`).
    public var admittedClientInFlight = 0
    public var admittedReplicaInFlight = 0
    public var rejected: [String: Int] = [:]
    /// nil when the storage engine could not be asked (the node is stopping).
    public var storage: StorageStats?

    public init() {}
}

extension NodeCore {
    /// The node's counters now, and its storage engine's (read on the storage pool). Runs on the event loop.
    func snapshot() -> EventLoopFuture<NodeSnapshot> {
        var snapshot = NodeSnapshot()
        snapshot.gets = stats.gets
        snapshot.puts = stats.puts
        snapshot.deletes = stats.deletes
        snapshot.failedRequests = stats.failedRequests
        snapshot.timeouts = stats.timeouts
        snapshot.unavailable = stats.unavailable
        snapshot.replicaWrites = stats.replicaWrites
        snapshot.replicaReads = stats.replicaReads
        snapshot.readRepairs = stats.readRepairs
        snapshot.protocolErrors = stats.protocolErrors
        snapshot.connectionsAccepted = stats.connectionsAccepted
        snapshot.inFlight = coordinator.inFlight
        let local = replica.local
        snapshot.storageWriteBatches = local.writeBatches
        snapshot.storageReadBatches = local.readBatches
        snapshot.storageMemoryReads = local.memoryReads
        let views = peers.peerViews()
        let down = views.filter { !$0.isUp }
        snapshot.peersUp = views.count - down.count
        snapshot.peersDown = down.count
        snapshot.uptimeMillis = (NIODeadline.now() - startedAt).nanoseconds / 1_000_000
        snapshot.draining = coordinator.coordinator.draining
        snapshot.admittedClientInFlight = admission.clientInFlight
        snapshot.admittedReplicaInFlight = admission.replicaInFlight
        for reason in AdmissionControl.Rejection.allCases {
            snapshot.rejected[reason.rawValue] = admission.rejectedCount(reason)
        }
        snapshot.peersKnown = down.isEmpty || snapshot.uptimeMillis >= Int64(configuration.peerDownAfterMillis)
        let engine = local.engine
        return local.pool.runIfActive(eventLoop: eventLoop) { engine.stats() }
            .map { storage in
                var result = snapshot
                result.storage = storage
                return result
            }
            .recover { _ in snapshot }
    }
}
