public import TesseraCore
import TesseraWire

/// The token clients must present (CLIENT_AUTH) before any other request (`--client-token-file`). Kept as its
/// SHA-256 digest; a presented token is hashed and the digests are compared in constant time, so neither the
/// token's bytes nor its length show in the time a refusal takes.
public struct ClientToken: Sendable {
    private let digest: [UInt8]

    /// At least 16 bytes (`invalidRequest` otherwise).
    public init(_ token: [UInt8]) throws(TesseraError) {
        guard token.count >= 16 else {
            throw TesseraError(.invalidRequest, "the client token has \(token.count) bytes; use at least 16")
        }
        digest = SHA256.hash(token)
    }

    /// True when `presented` is the token.
    public func accepts(_ presented: [UInt8]) -> Bool { SHA256.constantTimeEqual(SHA256.hash(presented), digest) }
}
