public import NIOCore
import TesseraCore

extension WireConnection {
    /// Sends CLIENT_AUTH with `token` (the first request on a connection to a node that requires a client
    /// token, docs/security.md). The future fails with the node's `TesseraError` (`unauthenticated`) if it
    /// refused the token; the node then closes the connection.
    public func authenticateAsClient(token: [UInt8], timeout: TimeAmount) -> EventLoopFuture<Void> {
        request(.clientAuth(token: token), timeout: timeout).flatMapThrowing { reply in
            switch reply {
            case .clientWelcome: return
            case .error(let error): throw error
            default: throw TesseraError(.protocolError, "client authentication: unexpected \(reply.opcode) to CLIENT_AUTH")
            }
        }
    }
}
