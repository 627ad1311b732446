public import Logging
public import TesseraCore
import TesseraTLS

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
    /// `strict`, `point-in-time` or `skip-corrupted` (docs/storage.md, "WAL recovery modes").
    public var walRecovery: String?
    public var phiThreshold: Double?
    /// `load-aware` or `fixed`.
    public var readReplicas: String?
    /// Hinted handoff and repair (docs/healing.md): durations like `3h`, sizes like `1MiB`.
    public var hintWindow: String?
    public var hintThrottle: String?
    public var hintMaxPerTarget: String?
    public var repairInterval: String?
    public var repairDepth: Int?
    public var tombstoneGrace: String?
    /// The cluster secret peers prove in the handshake: from a file, or inline (one of the two).
    public var clusterSecretFile: String?
    public var clusterSecret: String?
    public var maxClockOffsetMillis: Int?
    /// Connection limits (`ConnectionLimits`).
    public var idleTimeoutMillis: Int?
    public var partialFrameTimeoutMillis: Int?
    public var writeStallTimeoutMillis: Int?
    public var connectionBufferMiB: Int?
    public var nodeBufferMiB: Int?
    public var maxRequestsPerConnection: Int?
    /// TLS (docs/security.md): the node's certificate chain and key (PEM), the cluster CA, mutual TLS for peers.
    public var tlsCert: String?
    public var tlsKey: String?
    public var tlsCA: String?
    public var peerMTLS: Bool?
    /// A file holding the token clients must present (CLIENT_AUTH).
    public var clientTokenFile: String?

    public init() {}

    /// The config file keys, in the order the docs list them.
    public static let keys = [
        "node_id", "listen", "data", "members", "replication", "vnodes", "cluster_name", "sync", "timeout_ms",
        "log_level", "exit_with_parent", "admin_listen", "metrics", "shutdown_grace_ms", "max_in_flight",
        "max_in_flight_per_connection", "max_replica_in_flight", "client_rate", "client_burst",
        "wal_recovery", "phi_threshold", "read_replicas", "hint_window", "hint_throttle", "hint_max_per_target",
        "repair_interval", "repair_depth", "tombstone_grace", "cluster_secret_file", "cluster_secret",
        "max_clock_offset_ms", "idle_timeout_ms", "partial_frame_timeout_ms", "write_stall_timeout_ms",
        "connection_buffer_mib", "node_buffer_mib", "max_requests_per_connection", "tls_cert", "tls_key", "tls_ca",
        "peer_mtls", "client_token_file",
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
        result.walRecovery = walRecovery ?? other.walRecovery
        result.phiThreshold = phiThreshold ?? other.phiThreshold
        result.readReplicas = readReplicas ?? other.readReplicas
        result.hintWindow = hintWindow ?? other.hintWindow
        result.hintThrottle = hintThrottle ?? other.hintThrottle
        result.hintMaxPerTarget = hintMaxPerTarget ?? other.hintMaxPerTarget
        result.repairInterval = repairInterval ?? other.repairInterval
        result.repairDepth = repairDepth ?? other.repairDepth
        result.tombstoneGrace = tombstoneGrace ?? other.tombstoneGrace
        // The secret is one setting given two ways: a flag of either form replaces the file's (either form).
        if clusterSecretFile == nil && clusterSecret == nil {
            result.clusterSecretFile = other.clusterSecretFile
            result.clusterSecret = other.clusterSecret
        }
        result.maxClockOffsetMillis = maxClockOffsetMillis ?? other.maxClockOffsetMillis
        result.idleTimeoutMillis = idleTimeoutMillis ?? other.idleTimeoutMillis
        result.partialFrameTimeoutMillis = partialFrameTimeoutMillis ?? other.partialFrameTimeoutMillis
        result.writeStallTimeoutMillis = writeStallTimeoutMillis ?? other.writeStallTimeoutMillis
        result.connectionBufferMiB = connectionBufferMiB ?? other.connectionBufferMiB
        result.nodeBufferMiB = nodeBufferMiB ?? other.nodeBufferMiB
        result.maxRequestsPerConnection = maxRequestsPerConnection ?? other.maxRequestsPerConnection
        result.tlsCert = tlsCert ?? other.tlsCert
        result.tlsKey = tlsKey ?? other.tlsKey
        result.tlsCA = tlsCA ?? other.tlsCA
        result.peerMTLS = peerMTLS ?? other.peerMTLS
        result.clientTokenFile = clientTokenFile ?? other.clientTokenFile
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
        try applyStorageAndPeers(to: &config)
        try applyHealing(to: &config)
        try applyConnectionLimits(to: &config)
        try applySecurity(to: &config)
        try config.validate()
        let level = try Self.parseLogLevel(logLevel ?? "info")
        return Resolved(node: config, logLevel: level, exitWithParent: exitWithParent ?? false)
    }

    private func applyStorageAndPeers(to config: inout NodeConfiguration) throws(TesseraError) {
        if let walRecovery { config.storageOptions.walRecoveryMode = try SettingValue.walRecovery(walRecovery) }
        if let phiThreshold { config.phiThreshold = phiThreshold }
        if let readReplicas { config.loadAwareReads = try SettingValue.loadAwareReads(readReplicas) }
        if let maxClockOffsetMillis {
            guard (1...86_400_000).contains(maxClockOffsetMillis) else {
                throw TesseraError(.invalidRequest, "max clock offset \(maxClockOffsetMillis) ms must be between 1 and 86400000")
            }
            config.maxClockOffsetMillis = UInt64(maxClockOffsetMillis)
        }
    }

    /// Hinted handoff and repair (docs/healing.md).
    private func applyHealing(to config: inout NodeConfiguration) throws(TesseraError) {
        let window = hintWindow ?? "3h"
        let grace = tombstoneGrace ?? "10d"
        config.hintWindowMillis = try SettingValue.millis(window, flag: "--hint-window")
        config.hintThrottleBytesPerSecond = try SettingValue.bytes(hintThrottle ?? "1MiB", flag: "--hint-throttle")
        config.hintMaxBytesPerTarget = try SettingValue.bytes(hintMaxPerTarget ?? "256MiB", flag: "--hint-max-per-target")
        config.repair.intervalSeconds = Int(try SettingValue.millis(repairInterval ?? "24h", flag: "--repair-interval") / 1000)
        let depth = repairDepth ?? 10
        guard (0...16).contains(depth) else { throw TesseraError(.invalidRequest, "--repair-depth \(depth): use 0 to 16") }
        config.repair.depth = depth
        config.storageOptions.tombstoneGracePeriodSeconds = try SettingValue.millis(grace, flag: "--tombstone-grace") / 1000
        // A hint replayed after the tombstones newer than it were purged would bring deleted data back.
        guard config.hintWindowMillis < config.storageOptions.tombstoneGracePeriodSeconds &* 1000 else {
            throw TesseraError(
                .invalidRequest,
                "--hint-window (\(window)) must be shorter than --tombstone-grace (\(grace)): a hint replayed after "
                    + "newer tombstones were purged would bring deleted data back"
            )
        }
    }

    private func applyConnectionLimits(to config: inout NodeConfiguration) throws(TesseraError) {
        for (value, name) in [
            (idleTimeoutMillis, "idle timeout ms"), (partialFrameTimeoutMillis, "partial frame timeout ms"),
            (writeStallTimeoutMillis, "write stall timeout ms"),
        ] {
            if let value, value < 0 || value > 86_400_000 {
                throw TesseraError(.invalidRequest, "\(name) \(value) must be between 0 (never) and 86400000")
            }
        }
        for (value, name) in [
            (connectionBufferMiB, "connection buffer MiB"), (nodeBufferMiB, "node buffer MiB"),
            (maxRequestsPerConnection, "max requests per connection"),
        ] {
            if let value, value < 1 || value > 1_000_000 {
                throw TesseraError(.invalidRequest, "\(name) \(value) must be between 1 and 1000000")
            }
        }
        if let idleTimeoutMillis { config.connectionLimits.idleTimeoutMillis = idleTimeoutMillis }
        if let partialFrameTimeoutMillis { config.connectionLimits.partialFrameTimeoutMillis = partialFrameTimeoutMillis }
        if let writeStallTimeoutMillis { config.connectionLimits.writeStallTimeoutMillis = writeStallTimeoutMillis }
        if let connectionBufferMiB { config.connectionLimits.connectionBufferBytes = connectionBufferMiB << 20 }
        if let nodeBufferMiB { config.connectionLimits.nodeBufferBytes = nodeBufferMiB << 20 }
        if let maxRequestsPerConnection { config.connectionLimits.maxRequestsInFlight = maxRequestsPerConnection }
    }

    /// Cluster secret, TLS and client token (docs/security.md): files are read and certificates loaded here, so
    /// a missing or bad file stops the start before anything is created.
    private func applySecurity(to config: inout NodeConfiguration) throws(TesseraError) {
        if clusterSecretFile != nil && clusterSecret != nil {
            throw TesseraError(.invalidRequest, "give --cluster-secret-file or --cluster-secret, not both")
        }
        if let clusterSecret { config.clusterSecret = Array(clusterSecret.utf8) }
        if let clusterSecretFile { config.clusterSecret = try SecretFile.read(clusterSecretFile, what: "cluster secret") }
        if tlsCert != nil || tlsKey != nil || tlsCA != nil || peerMTLS == true {
            config.tls = try NodeTLS(
                files: TLSSettings(certificateFile: tlsCert, keyFile: tlsKey, caFile: tlsCA),
                peerMutualTLS: peerMTLS ?? false
            )
        }
        if let clientTokenFile {
            do {
                config.clientToken = try ClientToken(try SecretFile.read(clientTokenFile, what: "client token"))
            } catch {
                throw TesseraError(.invalidRequest, "--client-token-file \(clientTokenFile): \(error.message)")
            }
        }
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
