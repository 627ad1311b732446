import Foundation
import TesseraCore
import TesseraNode
import TesseraStorage
import Testing

/// `tessera server --config FILE`: the TOML file, its errors, and flags over file.
@Suite struct ConfigFileTests {
    /// docs/tessera.example.toml, found from this file's path.
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/tessera.example.toml").path

    @Test func theDocumentedExampleParsesAndSetsEveryKey() throws {
        let settings = try ConfigFile.load(path: Self.examplePath)
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        // Keys whose values are files or secrets of a real deployment are shown commented out (`# key = `).
        for key in ServerSettings.keys {
            #expect(text.contains("\n\(key) = ") || text.contains("\n# \(key) = "), "the example does not show key \(key)")
        }
        let resolved = try settings.resolve()
        #expect(resolved.node.nodeID == NodeID("n1"))
        #expect(resolved.node.listenPort == 7001)
        #expect(resolved.node.members.map(\.description) == ["n1=127.0.0.1:7001", "n2=127.0.0.1:7002", "n3=127.0.0.1:7003"])
        #expect(resolved.node.replicationFactor == 3)
        #expect(resolved.node.adminHost == "127.0.0.1" && resolved.node.adminPort == 9001)
        #expect(resolved.node.shutdownGraceMillis == 5000)
        #expect(resolved.node.metricsEnabled)
        #expect(resolved.logLevel == .info)
        #expect(resolved.exitWithParent == false)
    }

    @Test func docsOperationsListsEveryKeyAndEveryMetric() throws {
        let docs = try String(
            contentsOfFile: Self.examplePath.replacingOccurrences(of: "tessera.example.toml", with: "operations.md"),
            encoding: .utf8)
        for key in ServerSettings.keys { #expect(docs.contains("`\(key)`"), "docs/operations.md lacks key \(key)") }
        var snapshot = NodeSnapshot()
        snapshot.storage = TesseraStorage.StorageStats()
        snapshot.rejected = ["rate": 0]
        let exposition = String(decoding: NodeMetrics(replicationFactor: 3).exposition(of: snapshot), as: UTF8.self)
        let names = Set(exposition.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        #expect(names.count > 30)
        for name in names { #expect(docs.contains("`\(name)`"), "docs/operations.md lacks metric \(name)") }
    }

    @Test func anUnknownKeyIsAnErrorNamingTheKeyAndTheFile() {
        let error = #expect(throws: TesseraError.self) {
            try ConfigFile.parse("node_id = \"n1\"\nreplicaton = 3\n", file: "/etc/tessera.toml")
        }
        #expect(error?.message.contains("/etc/tessera.toml") == true)
        #expect(error?.message.contains("`replicaton`") == true)
        #expect(error?.message.contains("unknown key") == true)
    }

    @Test(arguments: [
        ("replication = \"three\"", "`replication`", "must be an integer"),
        ("replication = 0", "`replication`", "out of range"),
        ("sync = \"sometimes\"", "`sync`", "unknown sync policy"),
        ("listen = \"localhost\"", "`listen`", "HOST:PORT"),
        ("members = [\"n1=127.0.0.1:1\", 7]", "`members`", "must be a string"),
        ("metrics = \"yes\"", "`metrics`", "true or false"),
        ("log_level = \"loud\"", "`log_level`", "unknown log level"),
        ("node_id = \"bad id\"", "`node_id`", "[A-Za-z0-9._-]"),
        ("wal_recovery = \"sometimes\"", "`wal_recovery`", "strict, point-in-time or skip-corrupted"),
        ("phi_threshold = -1", "`phi_threshold`", "above 0"),
        ("phi_threshold = \"high\"", "`phi_threshold`", "must be a number"),
        ("read_replicas = \"random\"", "`read_replicas`", "load-aware or fixed"),
        ("hint_window = \"3 hours\"", "`hint_window`", "ms, s, m, h or d"),
        ("hint_throttle = \"fast\"", "`hint_throttle`", "KiB, MiB or GiB"),
        ("repair_depth = 17", "`repair_depth`", "out of range"),
        ("cluster_secret = \"short\"", "`cluster_secret`", "at least 16"),
        ("idle_timeout_ms = -5", "`idle_timeout_ms`", "out of range"),
        ("peer_mtls = \"yes\"", "`peer_mtls`", "true or false"),
        ("tls_cert = \"\"", "`tls_cert`", "must not be empty"),
    ])
    func aBadValueIsAnErrorNamingTheKeyAndTheFile(line: String, key: String, reason: String) {
        let error = #expect(throws: TesseraError.self) { try ConfigFile.parse(line + "\n", file: "node.toml") }
        #expect(error?.message.contains("config file node.toml") == true, "\(String(describing: error))")
        #expect(error?.message.contains(key) == true, "\(String(describing: error))")
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func aSyntaxErrorNamesTheFileAndLine() {
        let error = #expect(throws: TesseraError.self) {
            try ConfigFile.parse("node_id = \"n1\"\nlisten = \n", file: "broken.toml")
        }
        #expect(error?.message.contains("config file broken.toml: line 2") == true, "\(String(describing: error))")
    }

    @Test func flagsOverrideTheFileKeyByKey() throws {
        var file = try ConfigFile.load(path: Self.examplePath)
        file.data = "/tmp/from-file"
        var flags = ServerSettings()
        flags.listen = "127.0.0.1:7002"
        flags.nodeID = "n2"
        flags.metrics = false
        let resolved = try flags.overriding(file).resolve()
        #expect(resolved.node.nodeID == NodeID("n2"))
        #expect(resolved.node.listenPort == 7002)
        #expect(resolved.node.dataDirectory == "/tmp/from-file")
        #expect(resolved.node.metricsEnabled == false)
        #expect(resolved.node.replicationFactor == 3)
    }

    @Test func theFormerFlagOnlySettingsHaveFileKeysThatFlagsOverride() throws {
        let text = """
            node_id = "n1"
            listen = "127.0.0.1:7001"
            data = "/tmp/x"
            members = "n1=127.0.0.1:7001,n2=127.0.0.1:7002"
            replication = 2
            wal_recovery = "point-in-time"
            phi_threshold = 12.5
            read_replicas = "fixed"
            hint_window = "90m"
            hint_throttle = "2MiB"
            repair_interval = "0"
            repair_depth = 8
            max_clock_offset_ms = 250
            idle_timeout_ms = 1000
            connection_buffer_mib = 4
            max_requests_per_connection = 7
            cluster_secret = "file-secret-0123456789"
            """
        let file = try ConfigFile.parse(text, file: "keys.toml")
        let fromFile = try file.resolve().node
        #expect(fromFile.storageOptions.walRecoveryMode == .pointInTime)
        #expect(fromFile.phiThreshold == 12.5)
        #expect(fromFile.loadAwareReads == false)
        #expect(fromFile.hintWindowMillis == 90 * 60_000)
        #expect(fromFile.hintThrottleBytesPerSecond == 2 << 20)
        #expect(fromFile.repair.intervalSeconds == 0 && fromFile.repair.depth == 8)
        #expect(fromFile.maxClockOffsetMillis == 250)
        #expect(fromFile.connectionLimits.idleTimeoutMillis == 1000)
        #expect(fromFile.connectionLimits.connectionBufferBytes == 4 << 20)
        #expect(fromFile.connectionLimits.maxRequestsInFlight == 7)
        #expect(fromFile.clusterSecret == Array("file-secret-0123456789".utf8))
        var flags = ServerSettings()
        flags.phiThreshold = 9
        flags.walRecovery = "strict"
        flags.clusterSecret = "flag-secret-0123456789"
        let merged = try flags.overriding(file).resolve().node
        #expect(merged.phiThreshold == 9)
        #expect(merged.storageOptions.walRecoveryMode == .strict)
        #expect(merged.clusterSecret == Array("flag-secret-0123456789".utf8))
        #expect(merged.connectionLimits.maxRequestsInFlight == 7)
    }

    @Test func aTLSFileThatCannotBeLoadedIsNamedAtResolve() throws {
        var settings = try ConfigFile.parse(
            "tls_cert = \"/nonexistent/n1.pem\"\ntls_key = \"/nonexistent/n1.key\"\n", file: "tls.toml")
        settings.nodeID = "n1"
        settings.listen = "127.0.0.1:7001"
        settings.data = "/tmp/x"
        settings.members = "n1=127.0.0.1:7001"
        settings.replication = 1
        let error = #expect(throws: TesseraError.self) { try settings.resolve() }
        #expect(error?.message.contains("/nonexistent/n1.pem") == true, "\(String(describing: error))")
        settings.tlsCert = nil
        settings.tlsKey = nil
        settings.peerMTLS = true
        let mtls = #expect(throws: TesseraError.self) { try settings.resolve() }
        #expect(mtls?.message.contains("--tls-cert") == true, "\(String(describing: mtls))")
        settings.peerMTLS = nil
        settings.clientTokenFile = "/nonexistent/token"
        let token = #expect(throws: TesseraError.self) { try settings.resolve() }
        #expect(token?.message.contains("/nonexistent/token") == true, "\(String(describing: token))")
    }

    @Test func aMissingRequiredSettingNamesFlagAndKey() {
        var settings = ServerSettings()
        settings.listen = "127.0.0.1:7001"
        let error = #expect(throws: TesseraError.self) { try settings.resolve() }
        #expect(error?.message.contains("--node-id") == true && error?.message.contains("node_id") == true)
    }
}
