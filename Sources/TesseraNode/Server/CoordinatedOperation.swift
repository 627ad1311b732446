import NIOCore
import TesseraCluster
import TesseraCore

/// What every client request in flight has: where and under which id to answer, answered once.
protocol InFlightRequest: AnyObject {
    var requestID: UInt64 { get }
    var sink: NodeConnectionHandler { get }
    /// Per-replica request timeout.
    var timeout: TimeAmount { get }
    /// Set when the answer was sent; later effects only do background work.
    var finished: Bool { get set }
    /// Metrics: the request's series (`NodeMetrics.slot`, -1 with metrics off) and when it began.
    var metricSlot: Int { get set }
    var startNanos: UInt64 { get set }
    /// Empties the operation's timer slots (called when it is answered; late replica answers are held by
    /// their own callbacks).
    func releaseTimerSlots()
}

/// How a timed event refers to its operation: strongly until the operation is answered, then not at all.
final class TimerSlot<Op: AnyObject> {
    var op: Op?
    init(_ op: Op) { self.op = op }
}

/// One client request in flight on its coordinator: the pure coordinator (`WriteCoordinator`,
/// `LinearizableWriteCoordinator`, `ReadCoordinator`) plus where to answer.
final class CoordinatedOperation<Coordinator>: InFlightRequest {
    /// The one slot the deadline wheel holds this operation by (the shell reschedules the same slot), made on
    /// first use: one allocation per request, no array of slots.
    private var slot: TimerSlot<CoordinatedOperation<Coordinator>>?
    func timerSlot() -> TimerSlot<CoordinatedOperation<Coordinator>> {
        if let slot { return slot }
        let made = TimerSlot(self)
        slot = made
        return made
    }
    func releaseTimerSlots() {
        slot?.op = nil
        slot = nil
    }

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
    }
}

/// One client write (QUORUM-style levels) in flight.
typealias WriteOperation = CoordinatedOperation<WriteCoordinator>
/// One client LINEARIZABLE write in flight.
typealias LinearizableWriteOperation = CoordinatedOperation<LinearizableWriteCoordinator>
/// One client read in flight.
typealias ReadOperation = CoordinatedOperation<ReadCoordinator>
