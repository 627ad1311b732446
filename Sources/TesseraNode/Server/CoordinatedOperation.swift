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

/// An operation's timer slots, emptied together.
struct TimerSlots<Op: AnyObject> {
    private var slots: [TimerSlot<Op>] = []

    mutating func make(_ op: Op) -> TimerSlot<Op> {
        let slot = TimerSlot(op)
        slots.append(slot)
        return slot
    }

    mutating func release() {
        for slot in slots { slot.op = nil }
        slots = []
    }
}

/// One client request in flight on its coordinator: the pure coordinator (`WriteCoordinator`,
/// `LinearizableWriteCoordinator`, `ReadCoordinator`) plus where to answer.
final class CoordinatedOperation<Coordinator>: InFlightRequest {
    private var timerSlots = TimerSlots<CoordinatedOperation<Coordinator>>()
    func timerSlot() -> TimerSlot<CoordinatedOperation<Coordinator>> { timerSlots.make(self) }
    func releaseTimerSlots() { timerSlots.release() }

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
