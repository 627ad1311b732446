import ArgumentParser
import TesseraNode

/// The TLS and client-token flags of `tessera server` (docs/security.md); their config-file keys and checks are
/// in `ServerSettings`.
struct SecurityServerOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("This node's certificate chain (PEM). With --tls-key, turns TLS on for clients and peers.", valueName: "file"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The private key of --tls-cert (PEM, unencrypted).", valueName: "file"))
    var tlsKey: String?

    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp("The cluster CA (PEM): peers' certificates must chain to it. Default: the system's roots.", valueName: "file")
    )
    var tlsCA: String?

    @Flag(
        name: .customLong("peer-mtls"),
        help: "Mutual TLS for peers: a connection may become a peer only with a certificate signed by --tls-ca (another CA's fails the handshake)."
    )
    var peerMTLS = false

    @Option(
        name: .customLong("client-token-file"),
        help: ArgumentHelp("File holding the token (at least 16 bytes) every client must present before any request.", valueName: "file")
    )
    var clientTokenFile: String?

    /// Copies the flags that were given into `settings`.
    func fill(_ settings: inout ServerSettings) {
        settings.tlsCert = tlsCert
        settings.tlsKey = tlsKey
        settings.tlsCA = tlsCA
        settings.peerMTLS = peerMTLS ? true : nil
        settings.clientTokenFile = clientTokenFile
    }
}
