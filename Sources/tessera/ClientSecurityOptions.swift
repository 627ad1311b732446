import ArgumentParser
import TesseraClient
import TesseraCore
import TesseraNode
import TesseraTLS

#if canImport(Glibc)
import Glibc
#endif

/// The TLS and token options of the client commands (docs/security.md).
struct ClientSecurityOptions: ParsableArguments {
    @Option(
        name: .customLong("tls-ca"),
        help: ArgumentHelp("Connect with TLS, trusting nodes whose certificate chains to this CA (PEM).", valueName: "file")
    )
    var tlsCA: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("A client certificate (PEM), if the nodes want one.", valueName: "file"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The private key of --tls-cert (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp(
            "File holding the client token for nodes started with --client-token-file (or set TESSERA_TOKEN_FILE).",
            valueName: "file"
        )
    )
    var tokenFile: String?

    /// The environment variable naming the token file when --token-file is not given.
    static let tokenFileVariable = "TESSERA_TOKEN_FILE"

    /// Sets `options.tls` and `options.authToken`; `invalidRequest` naming a file that cannot be read.
    func apply(to options: inout TesseraClient.Options) throws(TesseraError) {
        if tlsCA != nil || tlsCert != nil || tlsKey != nil {
            options.tls = TLSSettings(certificateFile: tlsCert, keyFile: tlsKey, caFile: tlsCA)
        }
        let path = tokenFile ?? getenv(Self.tokenFileVariable).map { String(cString: $0) }
        if let path, !path.isEmpty { options.authToken = try SecretFile.read(path, what: "client token") }
    }
}
