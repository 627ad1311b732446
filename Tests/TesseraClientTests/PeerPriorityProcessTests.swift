import Foundation
import TesseraBench
import TesseraCore
import TesseraLocalCluster
import Testing

/// Issue 8: a client that pipelines GETs of large values and never reads must not get the node's peers marked
/// down (nor the node itself, by its peers), nor stop QUORUM writes through that node (docs/wire-protocol.md, "Peer connections"). Real processes:
/// six connections to n1 each pipeline GETs of a 1 MiB value and never read, while another connection writes
/// at QUORUM through n1 and asks n1 (STATUS) how it sees its peers.
@Suite(.serialized) struct PeerPriorityProcessTests {
    @Test func aNonReadingClientDoesNotGetPeersMarkedDownNorStopQuorumWrites() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { launcher in
            let n1 = launcher.nodes[0]
            let pid = try #require(launcher.serverPID(of: n1.id.name))
            var configuration = MemoryBenchmark.Configuration()
            configuration.nonReadingConnections = 6
            configuration.nonReadingGets = 2_000
            configuration.nonReadingSeconds = 8
            configuration.writeIntervalMillis = 200
            configuration.settleSeconds = 0.5
            let benchmark = MemoryBenchmark(
                configuration: configuration, host: n1.address.host, port: n1.address.port, pid: pid)
            try await benchmark.load()
            // Only what the nodes log from here on counts (at start-up a peer may be seen down before it listens).
            let logsBefore = try launcher.nodes.map { try String(contentsOfFile: $0.logPath, encoding: .utf8).utf8.count }
            let sample = try await benchmark.nonReadingClient()
            print(MemoryBenchmark.format([sample]))
            #expect(sample.maxPeersDown == 0, "n1 saw a peer down during the flood")
            #expect(sample.quorumWritesOK >= 1)
            #expect(sample.quorumWritesFailed <= sample.quorumWritesOK / 4, "\(sample.quorumWritesFailed) QUORUM writes failed")
            // Neither n1 nor its peers (which must keep hearing n1's pongs) may see anyone down.
            var sawDown = false
            for (node, before) in zip(launcher.nodes, logsBefore) {
                let log = String(decoding: try String(contentsOfFile: node.logPath, encoding: .utf8).utf8.dropFirst(before), as: UTF8.self)
                let lines = log.split(separator: "\n")
                let downs = lines.filter { $0.contains("peer is down") }
                for line in lines where line.contains("did not run for a while") { print("\(node.id.name): \(line)") }
                #expect(downs.isEmpty, "\(node.id.name) saw peers down: \(downs)")
                sawDown = sawDown || !downs.isEmpty
            }
            if sawDown || sample.maxPeersDown > 0 {
                // What each node logged at notice and above: which of them stalled, and when.
                for node in launcher.nodes {
                    let lines = (try? String(contentsOfFile: node.logPath, encoding: .utf8))?.split(separator: "\n") ?? []
                    for line in lines where !line.contains(" info ") && !line.contains(" debug ") { print("\(node.id.name): \(line)") }
                }
            }
        }
    }
}
