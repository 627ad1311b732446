import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import Testing

/// A second `tessera server` on a data directory in use is refused before it writes anything (issue 8): the
/// running node's node.sqlite (and its SQLite journal files) are byte for byte what they were.
@Suite(.serialized) struct RefusedStartClusterTests {
    func snapshot(_ directory: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasPrefix("node.sqlite") {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return out
    }

    @Test func secondProcessOnADirectoryInUseChangesNothing() async throws {
        try await LocalCluster.with(nodes: 1, replicationFactor: 1) { launcher in
            let n1 = try launcher.node(named: "n1")
            let before = try snapshot(n1.dataDirectory)
            #expect(before["node.sqlite"] != nil)
            // Another port: a start that got through would record the new member address in node.sqlite.
            let port = try ClusterLauncher.freePorts(count: 1)[0]
            let refused = try await StorageFault.runTessera([
                "server", "--node-id", "n1", "--listen", "127.0.0.1:\(port)", "--data", n1.dataDirectory,
                "--members", "n1=127.0.0.1:\(port)", "--replication", "1",
            ])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("in use"), "\(refused.stderr)")
            #expect(try snapshot(n1.dataDirectory) == before, "node.sqlite untouched by the refused start")
            let client = try LocalCluster.client(launcher)
            try await client.put("still", "serving")
            #expect(try await client.get("still")?.value == Array("serving".utf8))
            await client.shutdown()
        }
    }
}
