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
}

/// One client request in flight on its coordinator: the pure coordinator (`WriteCoordinator`,
/// `LinearizableWriteCoordinator`, `ReadCoordinator`) plus where to answer.
final class CoordinatedOperation<Coordinator>: InFlightRequest {
    var coordinator: Coordinator
    let requestID: UInt64
    let sink: NodeConnectionHandler
    let timeout: TimeAmount
    var finished = false

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
