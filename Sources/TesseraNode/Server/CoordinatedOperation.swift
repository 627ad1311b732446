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

/// One client write in flight on its coordinator: the pure `WriteCoordinator` plus where to answer.
final class WriteOperation: InFlightRequest {
    var coordinator: WriteCoordinator
    let requestID: UInt64
    let sink: NodeConnectionHandler
    let timeout: TimeAmount
    var finished = false

    init(coordinator: WriteCoordinator, requestID: UInt64, sink: NodeConnectionHandler, timeout: TimeAmount) {
        self.coordinator = coordinator
        self.requestID = requestID
        self.sink = sink
        self.timeout = timeout
    }
}

/// One client read in flight on its coordinator.
final class ReadOperation: InFlightRequest {
    var coordinator: ReadCoordinator
    let requestID: UInt64
    let sink: NodeConnectionHandler
    let timeout: TimeAmount
    var finished = false

    init(coordinator: ReadCoordinator, requestID: UInt64, sink: NodeConnectionHandler, timeout: TimeAmount) {
        self.coordinator = coordinator
        self.requestID = requestID
        self.sink = sink
        self.timeout = timeout
    }
}

/// One client LINEARIZABLE write in flight on its coordinator: the pure `LinearizableWriteCoordinator` plus where
/// to answer.
final class LinearizableWriteOperation: InFlightRequest {
    var coordinator: LinearizableWriteCoordinator
    let requestID: UInt64
    let sink: NodeConnectionHandler
    let timeout: TimeAmount
    var finished = false

    init(coordinator: LinearizableWriteCoordinator, requestID: UInt64, sink: NodeConnectionHandler, timeout: TimeAmount) {
        self.coordinator = coordinator
        self.requestID = requestID
        self.sink = sink
        self.timeout = timeout
    }
}
