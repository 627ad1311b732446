/// The error a client can act on, with a stable numeric code shared by the wire protocol and the CLI.
///
/// Codes are documented in docs/wire-protocol.md. DO NOT CHANGE existing codes: they are on the wire.
public struct TesseraError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable error codes.
    public enum Code: UInt16, Sendable, CaseIterable {
        /// Not enough live replicas to even try: the message says how many were needed and alive.
        case unavailable = 1
        /// The deadline passed before enough replicas answered. A write that timed out may still have been
        /// applied on some replicas: its outcome is unknown (indeterminate), not "not applied".
        case timeout = 2
        /// The request itself is invalid: bad consistency level, key or value too large, malformed frame.
        case invalidRequest = 3
        /// The key does not exist (or its newest cell is a tombstone).
        case notFound = 4
        /// A replica's storage failed (I/O error, corruption); the message says which.
        case storage = 5
        /// A frame could not be decoded; the connection is closed after this error.
        case protocolError = 6
        /// The node is shutting down or not ready.
        case overloaded = 7
        /// Anything else; the message says what.
        case internalError = 8
        /// The connection was refused before any request was served: no or a wrong client token, or a TLS
        /// handshake that failed (docs/security.md). Nothing was applied; retrying the same way fails again.
        case unauthenticated = 9
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// True when a write that failed with this error may nevertheless have been applied.
    public var isIndeterminate: Bool {
        switch code {
        case .timeout, .internalError, .overloaded: return true
        case .unavailable, .invalidRequest, .notFound, .storage, .protocolError, .unauthenticated: return false
        }
    }

    public var description: String { "\(code): \(message)" }
}
