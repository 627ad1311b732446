/// One frame: a request id and the message it carries.
///
/// A reply carries its request's id; ids are chosen by the side that sends requests and only need to be
/// unique among that connection's outstanding requests.
public struct WireFrame: Sendable, Equatable {
    public var requestID: UInt64
    public var message: WireMessage

    public init(requestID: UInt64, message: WireMessage) {
        self.requestID = requestID
        self.message = message
    }
}
