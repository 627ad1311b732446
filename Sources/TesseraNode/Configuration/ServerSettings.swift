public import Logging
public import TesseraCore

/// What `tessera server` was told, from its flags or its config file: every field optional, so that flags can
/// override a file field by field (`flags.overriding(file)`), then `resolve()` applies defaults and checks.
///
/// Each field has a flag (`--node-id`) and a config file key (`node_id`); `ServerSettings.keys` lists the keys.
public struct ServerSettings: Sendable, Equatable {
    public var nodeID: String?
    public var listen: String?
    public var data: String?
    /// `ID=HOST:PORT,...`
    public var members: String?
    public var replication: Int?
    public var vnodes: Int?
    public var clusterName: String?
    public var sync: String?
    public var timeoutMillis: Int?
    public var logLevel: String?
    public var exitWithParent: Bool?
    /// `HOST:PORT` of the admin HTTP server (`/metrics`, `/health/live`, `/health/ready`); nil: no admin server.
    public var adminListen: String?
    /// Whether the node records metrics (default true). Off: `/metrics` answers 404 and nothing is recorded.
    public var metrics: Bool?
    /// How long a graceful shutdown waits for in-flight requests.
    public var shutdownGraceMillis: Int?
    /// Admission control bounds (0: none); see `AdmissionLimits`.
    public var maxInFlight: Int?
    public var maxInFlightPerConnection: Int?
    public var maxReplicaInFlight: Int?
    /// Per-connection token bucket: requests per second (0: off) and burst.
    public var clientRate: Int?
    public var clientBurst: Int?

    public init() {}

    /// The config file keys, in the order the docs list them.
    public static let keys = [
        "node_id", "listen", "data", "members", "replication", "vnodes", "cluster_name", "sync", "timeout_ms",
        "log_level", "exit_with_parent", "admin_listen", "metrics", "shutdown_grace_ms", "max_in_flight",
        "max_in_flight_per_connection", "max_replica_in_flight", "client_rate", "client_burst",
    ]

    /// These settings where set, `other`'s elsewhere (flags over file: `flags.overriding(file)`).
    public func overriding(_ other: ServerSettings) -> ServerSettings {
        var result = self
        result.nodeID = nodeID ?? other.nodeID
        result.listen = listen ?? other.listen
        result.data = data ?? other.data
        result.members = members ?? other.members
        result.replication = replication ?? other.replication
        result.vnodes = vnodes ?? other.vnodes
        result.clusterName = clusterName ?? other.clusterName
        result.sync = sync ?? other.sync
        result.timeoutMillis = timeoutMillis ?? other.timeoutMillis
        result.logLevel = logLevel ?? other.logLevel
        result.exitWithParent = exitWithParent ?? other.exitWithParent
        result.adminListen = adminListen ?? other.adminListen
        result.metrics = metrics ?? other.metrics
        result.shutdownGraceMillis = shutdownGraceMillis ?? other.shutdownGraceMillis
        result.maxInFlight = maxInFlight ?? other.maxInFlight
        result.maxInFlightPerConnection = maxInFlightPerConnection ?? other.maxInFlightPerConnection
        result.maxReplicaInFlight = maxReplicaInFlight ?? other.maxReplicaInFlight
        result.clientRate = clientRate ?? other.clientRate
        result.clientBurst = clientBurst ?? other.clientBurst
        return result
    }

    /// Settings with every default applied and every value checked.
    public struct Resolved: Sendable {
        public var node: NodeConfiguration
        public var logLevel: Logger.Level
        public var exitWithParent: Bool
    }

    /// Applies defaults and checks every value; `TesseraError(.invalidRequest)` naming the flag and key otherwise.
    public func resolve() throws(TesseraError) -> Resolved {
        func required(_ value: String?, _ flag: String, _ key: String) throws(TesseraError) -> String {
            guard let value, !value.isEmpty else {
                throw TesseraError(.invalidRequest, "missing \(flag) (or `\(key)` in the config file)")
            }
            return value
        }
        let (host, port) = try MemberAddress.parseHostPort(try required(listen, "--listen", "listen"))
        var config = NodeConfiguration(
            nodeID: NodeID(try required(nodeID, "--node-id", "node_id")),
            listenHost: host,
            listenPort: port,
            dataDirectory: try required(data, "--data", "data"),
            members: try MemberAddress.parseList(try required(members, "--members", "members")),
            replicationFactor: replication ?? 3,
            virtualNodes: vnodes ?? 16,
            clusterName: clusterName ?? "tessera",
            syncPolicy: try NodeConfiguration.parseSyncPolicy(sync ?? "group")
        )
        if let timeoutMillis {
            guard (1...60_000).contains(timeoutMillis) else {
                throw TesseraError(.invalidRequest, "timeout \(timeoutMillis) ms must be between 1 and 60000")
            }
            config.defaultTimeoutMillis = UInt32(timeoutMillis)
        }
        if let adminListen {
            let (adminHost, adminPort) = try MemberAddress.parseHostPort(adminListen)
            config.adminHost = adminHost
            config.adminPort = adminPort
        }
        config.metricsEnabled = metrics ?? true
        if let shutdownGraceMillis {
            guard (0...600_000).contains(shutdownGraceMillis) else {
                throw TesseraError(
                    .invalidRequest, "shutdown grace \(shutdownGraceMillis) ms must be between 0 and 600000")
            }
            config.shutdownGraceMillis = shutdownGraceMillis
        }
        for (value, name) in [
            (maxInFlight, "max in flight"), (maxInFlightPerConnection, "max in flight per connection"),
            (maxReplicaInFlight, "max replica in flight"), (clientRate, "client rate"), (clientBurst, "client burst"),
        ] {
            if let value, value < 0 || value > 100_000_000 {
                throw TesseraError(.invalidRequest, "\(name) \(value) must be between 0 (no bound) and 100000000")
            }
        }
        if let maxInFlight { config.admission.maxInFlight = maxInFlight }
        if let maxInFlightPerConnection { config.admission.maxInFlightPerConnection = maxInFlightPerConnection }
        if let maxReplicaInFlight { config.admission.maxReplicaInFlight = maxReplicaInFlight }
        if let clientRate { config.admission.ratePerSecond = clientRate }
        if let clientBurst { config.admission.burst = clientBurst }
        try config.validate()
        let level = try Self.parseLogLevel(logLevel ?? "info")
        return Resolved(node: config, logLevel: level, exitWithParent: exitWithParent ?? false)
    }

    /// `trace` ... `critical`, any case.
    public static func parseLogLevel(_ text: String) throws(TesseraError) -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw TesseraError(
                .invalidRequest,
                "unknown log level '\(text)': use trace, debug, info, notice, warning, error or critical"
            )
        }
        return level
    }
}
