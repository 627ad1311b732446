import TesseraCore
import TesseraWire

/// Whether one accepted connection may send client requests (docs/security.md, "Client token"). Without a
/// configured token every connection may. With one, the first request must be CLIENT_AUTH with the right
/// token; anything else before it, and a wrong token, is answered with ERROR `unauthenticated` and the
/// connection is closed. The peer handshake (PEER_HELLO, PEER_AUTH) is exempt: a peer proves itself there.
/// Pure state; the connection handler carries out its answers.
struct ClientAuthentication {
    private let token: ClientToken?
    private(set) var isAuthenticated: Bool

    init(token: ClientToken?) {
        self.token = token
        self.isAuthenticated = token == nil
    }

    /// CLIENT_AUTH with `presented`: success (answer CLIENT_WELCOME) or the error to answer before closing.
    mutating func onClientAuth(_ presented: [UInt8]) -> Result<Void, TesseraError> {
        guard let token else { return .success(()) }  // no token required: accepted, the token is ignored
        guard token.accepts(presented) else {
            isAuthenticated = false
            return .failure(TesseraError(.unauthenticated, "the client token is wrong; closing the connection"))
        }
        isAuthenticated = true
        return .success(())
    }

    /// The error for a request sent before authenticating (nil when it may be served).
    func refusal(for opcode: WireOpcode) -> TesseraError? {
        guard !isAuthenticated else { return nil }
        return TesseraError(
            .unauthenticated,
            "this node requires a client token: send CLIENT_AUTH before \(opcode) (tessera --token-file, "
                + "TesseraClient.Options.authToken); closing the connection"
        )
    }
}
