import NIOCore
import TesseraCluster
import TesseraCore

/// What every client request in flight has: where and under which id to answer, answered once; its wake-ups
/// wait in the shell's `DeadlineWheel`.
protocol InFlightRequest: DeadlineWheelEntry {
    var requestID: UInt64 { get }
    var sink: NodeConnectionHandler { get }
    /// Per-replica request timeout.
    var timeout: TimeAmount { get }
    /// Set when the answer was sent; later effects only do background work.
    var finished: Bool { get set }
    /// Metrics: the request's series (`NodeMetrics.slot`, -1 with metrics off) and when it began.
    var metricSlot: Int { get set }
    var startNanos: UInt64 { get set }
}

/// One client request in flight on its coordinator: the pure coordinator (`WriteCoordinator`,
/// `LinearizableWriteCoordinator`, `ReadCoordinator`) plus where to answer. It is its own entry of the
/// shell's deadline wheel (no timer object per request), taken out when the client is answered.
final class CoordinatedOperation<Coordinator>: DeadlineWheelEntry, InFlightRequest {
    var coordinator: Coordinator
    let requestID: UInt64
    let sink: NodeConnectionHandler
    let timeout: TimeAmount
    var finished = false
    var metricSlot = -1
    var startNanos: UInt64 = 0

    init(coordinator: Coordinator, requestID: UInt64, sink: NodeConnectionHandler, timeout: TimeAmount) {
        self.coordinator = coordinator
        self.requestID = requestID
        self.sink = sink
        self.timeout = timeout
        super.init()
    }
}

/// One client write (QUORUM-style levels) in flight.
typealias WriteOperation = CoordinatedOperation<WriteCoordinator>
/// One client LINEARIZABLE write in flight.
typealias LinearizableWriteOperation = CoordinatedOperation<LinearizableWriteCoordinator>
/// One client read in flight.
typealias ReadOperation = CoordinatedOperation<ReadCoordinator>
