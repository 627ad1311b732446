import TesseraCore

/// A request the client sends to one node, independent of the wire encoding (`WireTransport` maps it).
enum ClientRequest: Sendable {
    case get(key: [UInt8], consistency: ConsistencyLevel, timeout: Duration)
    case put(key: [UInt8], value: [UInt8], consistency: ConsistencyLevel, timeout: Duration, quorum: QuorumMode = .strict)
    case delete(key: [UInt8], consistency: ConsistencyLevel, timeout: Duration, quorum: QuorumMode = .strict)
    /// A put (`value` non-nil) or delete with a write id (IDEMPOTENT_WRITE): every attempt gets the same version.
    case idempotentWrite(
        key: [UInt8], value: [UInt8]?, consistency: ConsistencyLevel, timeout: Duration, quorum: QuorumMode,
        writeID: UInt64, resend: Bool, version: Version?
    )
    case ring
    case status
    case ping
    /// The node's `limit` most requested read and write keys.
    case hotKeys(limit: Int)

    /// True for requests that change data: they are never retried after their outcome became unknown
    /// (a timeout), and retried after a lost connection only if the options allow it.
    var isWrite: Bool {
        switch self {
        case .put, .delete, .idempotentWrite: return true
        case .get, .ring, .status, .ping, .hotKeys: return false
        }
    }

    /// A short name for error messages.
    var name: String {
        switch self {
        case .get: return "get"
        case .put: return "put"
        case .delete: return "delete"
        case .idempotentWrite(_, let value, _, _, _, _, _, _): return value == nil ? "delete" : "put"
        case .ring: return "ring"
        case .status: return "status"
        case .ping: return "ping"
        case .hotKeys: return "hot keys"
        }
    }
}

/// A node's answer to a `ClientRequest`.
enum ClientResponse: Sendable {
    /// GET: the newest value, or nil if the key is missing or deleted.
    case value(VersionedValue?)
    /// PUT or DELETE: acknowledged by enough replicas, with the version the coordinator assigned.
    case written(Version)
    case topology(ClusterTopology)
    case status(NodeStatus)
    case pong
    case hotKeys(NodeHotKeys)
    /// The node answered with an error (unavailable, timeout, invalid request, ...).
    case error(TesseraError)
}

/// Why a request got no answer from a node. Each case says whether the node may have acted on it.
enum TransportFailure: Error, Hashable, Sendable {
    /// The connection could not be opened (refused, unreachable, name not resolved): nothing was sent.
    case connectFailed(String)
    /// The connection closed or failed after the request was sent: the node may have acted on it.
    case connectionLost(String)
    /// No answer before the deadline: the node may have acted on it.
    case timedOut
    /// The node refused the connection before serving anything (client token, TLS handshake): nothing was
    /// sent, and another node would refuse it the same way.
    case refused(TesseraError)
}

/// Opens connections to nodes. `WireTransport` is the real one; tests use an in-memory fake.
protocol ClientTransport: Sendable {
    func connect(to address: HostAddress, timeout: Duration) async throws(TransportFailure) -> any ClientConnection
    /// Executors on the transport's threads (empty when it has none).
    var taskExecutors: [EventLoopTaskExecutor] { get }
}

/// One open connection to a node; many requests may be in flight on it at once (pipelining).
protocol ClientConnection: AnyObject, Sendable {
    /// False once the connection has closed or failed; the pool then replaces it.
    var isActive: Bool { get }
    /// Sends a request and waits for its answer, at most `timeout`.
    func send(_ request: ClientRequest, timeout: Duration) async throws(TransportFailure) -> ClientResponse
    /// Closes the connection; requests in flight fail with `connectionLost`.
    func close()
}
