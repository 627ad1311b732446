public import TesseraCore

/// Bounds on what a node takes on (docs/operations.md, "Admission control"). 0 means no bound.
public struct AdmissionLimits: Sendable, Equatable {
    /// Client requests (GET, PUT, DELETE) in flight on the node, all connections together.
    public var maxInFlight: Int
    /// Client requests in flight on one connection.
    public var maxInFlightPerConnection: Int
    /// Replica requests (from other coordinators) in flight on the node: the inbound replica queue.
    public var maxReplicaInFlight: Int
    /// Per-connection token bucket: client requests per second (0: no rate limit) and burst size.
    public var ratePerSecond: Int
    public var burst: Int

    public init(
        maxInFlight: Int = 4096,
        maxInFlightPerConnection: Int = 1024,
        maxReplicaInFlight: Int = 8192,
        ratePerSecond: Int = 0,
        burst: Int = 0
    ) {
        self.maxInFlight = maxInFlight
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.maxReplicaInFlight = maxReplicaInFlight
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }
}

/// A token bucket: `capacity` tokens, refilled at `ratePerSecond`; time is passed in (milliseconds).
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Int
    public let capacity: Int
    /// Tokens times 1000, so that refills of less than one token per millisecond are not lost.
    private var milliTokens: Int
    private var lastMillis: UInt64

    public init(ratePerSecond: Int, capacity: Int, nowMillis: UInt64) {
        self.ratePerSecond = ratePerSecond
        self.capacity = max(1, capacity)
        self.milliTokens = self.capacity * 1000
        self.lastMillis = nowMillis
    }

    /// Takes one token if there is one.
    public mutating func take(nowMillis: UInt64) -> Bool {
        if nowMillis > lastMillis {
            let refill = Int(min(nowMillis - lastMillis, 3_600_000)) * ratePerSecond
            milliTokens = min(capacity * 1000, milliTokens + refill)
            lastMillis = nowMillis
        }
        guard milliTokens >= 1000 else { return false }
        milliTokens -= 1000
        return true
    }
}

/// The admission decision of a node: whether to take a request on or answer `overloaded` at once.
///
/// A pure state machine (no I/O, no clock: time comes in as milliseconds). The node shell asks it before
/// handing a request to the coordinator and tells it when the request was answered. Each connection's own
/// state (`Connection`: its requests in flight, its token bucket) is a value the connection keeps and passes
/// in, so admitting a request costs no lookup.
public struct AdmissionControl: Sendable {
    /// One connection's admission state, kept by the connection.
    public struct Connection: Sendable, Equatable {
        /// Client requests of this connection admitted and not answered yet.
        public fileprivate(set) var inFlight = 0
        fileprivate var bucket: TokenBucket?

        public init() {}
    }

    public enum Kind: Sendable { case client, replica }

    /// Why a request was refused (the `reason` label of `tessera_requests_rejected_total`).
    public enum Rejection: String, Sendable, CaseIterable {
        case nodeInFlight = "node_in_flight"
        case connectionInFlight = "connection_in_flight"
        case rate = "rate"
        case replicaQueue = "replica_queue"
    }

    public let limits: AdmissionLimits
    public private(set) var clientInFlight = 0
    public private(set) var replicaInFlight = 0
    /// Requests refused so far, by reason (indexed like `Rejection.allCases`).
    public private(set) var rejected: [Int] = Array(repeating: 0, count: Rejection.allCases.count)

    public init(limits: AdmissionLimits) {
        self.limits = limits
    }

    /// Refusals of `reason` so far.
    public func rejectedCount(_ reason: Rejection) -> Int {
        rejected[Rejection.allCases.firstIndex(of: reason)!]
    }

    /// Whether `admit` uses its `nowMillis` (only a rate limit does): the shell need not read the clock otherwise.
    public var usesTime: Bool { limits.ratePerSecond > 0 }

    /// Takes the request on (returns nil; call `completed` when it is answered) or says why not.
    public mutating func admit(_ kind: Kind, connection: inout Connection, nowMillis: UInt64) -> Rejection? {
        let refusal = decide(kind, connection: &connection, nowMillis: nowMillis)
        if let refusal {
            rejected[Rejection.allCases.firstIndex(of: refusal)!] += 1
            return refusal
        }
        switch kind {
        case .client:
            clientInFlight += 1
            connection.inFlight += 1
        case .replica:
            replicaInFlight += 1
        }
        return nil
    }

    private mutating func decide(_ kind: Kind, connection: inout Connection, nowMillis: UInt64) -> Rejection? {
        switch kind {
        case .replica:
            if limits.maxReplicaInFlight > 0 && replicaInFlight >= limits.maxReplicaInFlight { return .replicaQueue }
            return nil
        case .client:
            if limits.maxInFlight > 0 && clientInFlight >= limits.maxInFlight { return .nodeInFlight }
            if limits.maxInFlightPerConnection > 0 && connection.inFlight >= limits.maxInFlightPerConnection {
                return .connectionInFlight
            }
            if limits.ratePerSecond > 0 {
                var bucket =
                    connection.bucket
                    ?? TokenBucket(
                        ratePerSecond: limits.ratePerSecond,
                        capacity: limits.burst > 0 ? limits.burst : limits.ratePerSecond,
                        nowMillis: nowMillis
                    )
                let allowed = bucket.take(nowMillis: nowMillis)
                connection.bucket = bucket
                if !allowed { return .rate }
            }
            return nil
        }
    }

    /// An admitted request was answered (or dropped because its connection closed).
    /// An admitted request was answered (or dropped because its connection closed; a closed connection's
    /// requests still in flight are released this way as they finish, and its state then goes with it).
    public mutating func completed(_ kind: Kind, connection: inout Connection) {
        switch kind {
        case .replica:
            replicaInFlight = max(0, replicaInFlight - 1)
        case .client:
            clientInFlight = max(0, clientInFlight - 1)
            connection.inFlight = max(0, connection.inFlight - 1)
        }
    }

    /// The error a refused request gets: `overloaded`, said before any work was done.
    public func error(for rejection: Rejection, node: NodeID) -> TesseraError {
        let detail: String
        switch rejection {
        case .nodeInFlight: detail = "\(clientInFlight) client requests in flight (limit \(limits.maxInFlight))"
        case .connectionInFlight:
            detail = "this connection has \(limits.maxInFlightPerConnection) requests in flight (its limit)"
        case .rate: detail = "this connection is over its rate limit (\(limits.ratePerSecond)/s)"
        case .replicaQueue: detail = "\(replicaInFlight) replica requests queued (limit \(limits.maxReplicaInFlight))"
        }
        return TesseraError(.overloaded, "node \(node) is overloaded: \(detail); not applied, retry later")
    }
}
