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
        for key in ServerSettings.keys {
            #expect(text.contains("\n\(key) = "), "the example does not show key \(key)")
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

    @Test func aMissingRequiredSettingNamesFlagAndKey() {
        var settings = ServerSettings()
        settings.listen = "127.0.0.1:7001"
        let error = #expect(throws: TesseraError.self) { try settings.resolve() }
        #expect(error?.message.contains("--node-id") == true && error?.message.contains("node_id") == true)
    }
}
