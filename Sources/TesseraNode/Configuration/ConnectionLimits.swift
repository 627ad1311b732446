public import TesseraCore

/// Timeouts and memory bounds of the node's connections (docs/wire-protocol.md, "Connections"). 0 disables a
/// timeout.
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request in flight that sends nothing for this long is closed.
    public var idleTimeoutMillis: Int = 300_000
    /// A frame must arrive completely within this long of its first byte, or the connection is closed.
    public var partialFrameTimeoutMillis: Int = 15_000
    /// A connection that takes none of its pending replies for this long is closed (it does not read).
    public var writeStallTimeoutMillis: Int = 30_000
    /// Per connection: request bytes being served plus reply bytes not yet taken by the socket. Above it the
    /// node stops reading that connection's requests until replies drain (backpressure).
    public var connectionBufferBytes: Int = 32 << 20
    /// Per connection: requests being served at once; further frames wait in the socket.
    public var maxRequestsInFlight: Int = 32
    /// Per node: the same bytes summed over all client connections. Above it every client connection stops
    /// reading; peer connections are exempt, so replica traffic goes on.
    public var nodeBufferBytes: Int = 256 << 20

    public init() {}

    /// Throws `invalidRequest` for negative timeouts or limits too small to serve one request.
    public func validate() throws(TesseraError) {
        for (name, value) in [
            ("idle timeout", idleTimeoutMillis), ("partial-frame timeout", partialFrameTimeoutMillis),
            ("write-stall timeout", writeStallTimeoutMillis),
        ] where value < 0 {
            throw TesseraError(.invalidRequest, "the \(name) is \(value) ms; use 0 (off) or more")
        }
        guard maxRequestsInFlight >= 1 else {
            throw TesseraError(.invalidRequest, "requests in flight per connection must be at least 1")
        }
        guard connectionBufferBytes >= 64 << 10, nodeBufferBytes >= connectionBufferBytes else {
            throw TesseraError(
                .invalidRequest,
                "connection buffer \(connectionBufferBytes) bytes must be at least 64 KiB and at most the node buffer (\(nodeBufferBytes))"
            )
        }
    }
}
