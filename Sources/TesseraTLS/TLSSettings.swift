public import NIOCore
import NIOSSL
public import TesseraCore

/// Where a process finds its TLS material (PEM files), and the NIOSSL contexts made from it. Shared by the
/// node (listener and peer links) and the client library, the only modules that link swift-nio-ssl
/// (docs/security.md).
///
/// - `certificateFile` / `keyFile`: this side's certificate chain and private key. A node needs both; a client
///   only for mutual TLS.
/// - `caFile`: the CA certificates the other side's certificate must chain to. nil: the system's roots.
public struct TLSSettings: Sendable, Equatable {
    public var certificateFile: String?
    public var keyFile: String?
    public var caFile: String?

    public init(certificateFile: String? = nil, keyFile: String? = nil, caFile: String? = nil) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.caFile = caFile
    }

    /// A context for the connecting side: verifies the server's certificate against `caFile` and the name or
    /// IP address connected to; presents this side's certificate when one is configured (mutual TLS).
    public func makeClientContext() throws(TesseraError) -> TLSContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = try trustRoots()
        if let (chain, key) = try identity() {
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
        }
        return try TLSContext(configuration, what: "client")
    }

    /// A context for the accepting side (the node's listener). `requestClientCertificates`: ask every
    /// connecting side for a certificate and verify any presented against `caFile` (a certificate from another
    /// CA fails the handshake); one that presents none is still accepted here, and the node decides by role.
    public func makeServerContext(requestClientCertificates: Bool) throws(TesseraError) -> TLSContext {
        guard let (chain, key) = try identity() else {
            throw TesseraError(.invalidRequest, "TLS needs a certificate and a private key (--tls-cert, --tls-key)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        if requestClientCertificates {
            guard caFile != nil else {
                throw TesseraError(.invalidRequest, "verifying peer certificates needs the cluster CA (--tls-ca)")
            }
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = try trustRoots()
        }
        return try TLSContext(configuration, what: "server")
    }

    private func trustRoots() throws(TesseraError) -> NIOSSLTrustRoots {
        guard let caFile else { return .default }
        let certificates = try Self.load("CA file", caFile) { try NIOSSLCertificate.fromPEMFile($0) }
        guard !certificates.isEmpty else {
            throw TesseraError(.invalidRequest, "the TLS CA file \(caFile) holds no PEM certificate")
        }
        return .certificates(certificates)
    }

    private func identity() throws(TesseraError) -> ([NIOSSLCertificate], NIOSSLPrivateKey)? {
        switch (certificateFile, keyFile) {
        case (nil, nil): return nil
        case (.some, nil): throw TesseraError(.invalidRequest, "a TLS certificate needs its private key (--tls-key)")
        case (nil, .some): throw TesseraError(.invalidRequest, "a TLS private key needs its certificate (--tls-cert)")
        case (let certificateFile?, let keyFile?):
            let chain = try Self.load("certificate", certificateFile) { try NIOSSLCertificate.fromPEMFile($0) }
            guard !chain.isEmpty else {
                throw TesseraError(.invalidRequest, "the TLS certificate file \(certificateFile) holds no PEM certificate")
            }
            let key = try Self.load("private key", keyFile) { try NIOSSLPrivateKey(file: $0, format: .pem) }
            return (chain, key)
        }
    }

    /// Runs `body` on `path`, turning NIOSSL's error into one that names the file.
    private static func load<T>(_ what: String, _ path: String, _ body: (String) throws -> T) throws(TesseraError) -> T {
        do {
            return try body(path)
        } catch {
            throw TesseraError(.invalidRequest, "cannot load the TLS \(what) \(path): \(error)")
        }
    }
}

/// A ready NIOSSL context (loaded once, shared by every connection) that makes the per-connection handlers.
public struct TLSContext: Sendable {
    let context: NIOSSLContext

    init(_ configuration: TLSConfiguration, what: String) throws(TesseraError) {
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw TesseraError(.invalidRequest, "cannot set up the TLS \(what) context: \(error)")
        }
    }

    /// A maker of client handlers for connections to `host` (SNI and name check; an IP address is checked
    /// against the certificate's IP addresses instead), for `WireConnection.connect(tlsHandler:)`.
    public func clientHandler(host: String) -> @Sendable () throws -> any ChannelHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        let context = self.context
        return { try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host) }
    }

    /// A server handler for one accepted connection.
    public func serverHandler() -> any ChannelHandler { NIOSSLServerHandler(context: context) }
}

/// What TLS knows about an accepted connection.
public enum TLSPeer {
    /// True when the connection's TLS handshake verified a certificate the other side presented (with a server
    /// context that requests client certificates, a presented one was checked against the CA).
    public static func presentedVerifiedCertificate(_ channel: any Channel) -> Bool {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) else {
            return false
        }
        return handler.peerCertificate != nil
    }
}
