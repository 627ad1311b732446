import Logging
import NIOCore
import NIOPosix
import TesseraCore
import TesseraLocalCluster
import TesseraNode
import TesseraWire
import Testing

/// Admission control on a real node over real TCP: past the per-connection bound, requests are answered
/// `overloaded` at once (not queued), the admitted ones succeed, and the node takes requests again after.
@Suite struct AdmissionTests {
    /// Plain PUTs and IDEMPOTENT_WRITEs (the client library's default puts) alike.
    @Test(arguments: [false, true])
    func pastTheConnectionBoundRequestsAreRefusedAtOnceAndTheNodeRecovers(idempotent: Bool) async throws {
        let port = try ClusterLauncher.freePorts(count: 1)[0]
        let directory = makeTemporaryDirectory("tessera-admission")
        defer { removeTree(directory) }
        var config = NodeConfiguration(
            nodeID: NodeID("n1"), listenHost: "127.0.0.1", listenPort: port, dataDirectory: directory + "/n1",
            members: [MemberAddress(id: NodeID("n1"), host: "127.0.0.1", port: port)], replicationFactor: 1,
            virtualNodes: 4, clusterName: "test", syncPolicy: .always)
        config.admission.maxInFlightPerConnection = 8
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let node = try await TesseraNodeServer.start(configuration: config, logger: logger)
        do {
            let connection = try await WireConnection.connect(
                host: "127.0.0.1", port: port, group: MultiThreadedEventLoopGroup.singleton)
            // 300 pipelined puts in one burst: with fsync per batch, far more than 8 are outstanding at once.
            let replies = (0..<300).map { i in
                let key = Array("k\(i)".utf8)
                let value = Array("v\(i)".utf8)
                let message: WireMessage =
                    idempotent
                    ? .idempotentWrite(
                        key: key, value: value, consistency: .one, timeoutMillis: 5000, quorum: .strict,
                        writeID: UInt64(i + 1), resend: false, version: nil)
                    : .put(key: key, value: value, consistency: .one, timeoutMillis: 5000)
                return connection.request(message, timeout: .seconds(20))
            }
            var written: [Int] = []
            var refused = 0
            for (i, reply) in replies.enumerated() {
                switch try await reply.get() {
                case .writeResult: written.append(i)
                case .error(let error) where error.code == .overloaded:
                    #expect(error.message.contains("not applied"))
                    refused += 1
                case let other: Issue.record("unexpected reply \(other)")
                }
            }
            #expect(refused > 0, "no request was refused past the bound of 8")
            #expect(written.count >= 8)
            // Refused writes were not applied; admitted ones were.
            for i in [written.first!, written.last!] {
                #expect(try value(of: try await connection.get("k\(i)", .one)) == "v\(i)")
            }
            if let skipped = (0..<300).first(where: { !written.contains($0) }) {
                #expect(try value(of: try await connection.get("k\(skipped)", .one)) == nil)
            }
            // Load gone: nothing left in flight, requests are admitted again.
            let snapshot = try await node.snapshot()
            #expect(snapshot.admittedClientInFlight == 0)
            #expect(snapshot.rejected["connection_in_flight"] == refused)
            guard case .writeResult = try await connection.put("after", "ok", .one) else {
                Issue.record("the node did not recover")
                return
            }
            connection.close()
        } catch {
            try? await node.shutdown()
            throw error
        }
        try await node.shutdown()
    }
}
