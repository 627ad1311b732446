public import TesseraCore
public import TesseraTLS

/// The node's TLS (docs/security.md): the listener's context (client and peer connections arrive on the same
/// port) and the peer links' context, loaded once at start. With `peerMutualTLS` the listener asks every
/// connection for a certificate, a certificate from another CA fails the handshake, and a connection that
/// presented none may be a client but not a peer (PEER_HELLO is refused).
public struct NodeTLS: Sendable {
    public let files: TLSSettings
    public let peerMutualTLS: Bool
    /// Accepted connections (clients and peers).
    public let serverContext: TLSContext
    /// Outgoing peer links: verify the peer's certificate against the CA and its address, present ours.
    public let peerContext: TLSContext

    /// Loads the files; `TesseraError(.invalidRequest)` naming the file that cannot be used.
    public init(files: TLSSettings, peerMutualTLS: Bool) throws(TesseraError) {
        guard files.certificateFile != nil, files.keyFile != nil else {
            throw TesseraError(.invalidRequest, "TLS needs --tls-cert and --tls-key (or `tls_cert`, `tls_key` in the config file)")
        }
        self.files = files
        self.peerMutualTLS = peerMutualTLS
        self.serverContext = try files.makeServerContext(requestClientCertificates: peerMutualTLS)
        self.peerContext = try files.makeClientContext()
    }
}
