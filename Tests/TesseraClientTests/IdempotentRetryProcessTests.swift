import Foundation
import NIOCore
import NIOPosix
import TesseraClient
import TesseraCore
import TesseraLocalCluster
import TesseraWire
import Testing

/// Idempotent retries against real `tessera server` processes over TCP: a write whose connection is closed
/// after it was sent (the node applies it, its answer goes nowhere) is resent with the same write id, and the
/// key ends up with one version, at QUORUM and at LINEARIZABLE. A node that never saw the id refuses a resend.
@Suite(.serialized) struct IdempotentRetryProcessTests {
    static func connect(_ node: ClusterLauncher.Node) async throws -> WireConnection {
        try await WireConnection.connect(
            host: node.address.host, port: node.address.port, group: MultiThreadedEventLoopGroup.singleton)
    }

    static func write(_ key: [UInt8], _ value: String, _ level: ConsistencyLevel, id: UInt64, resend: Bool) -> WireMessage {
        .idempotentWrite(
            key: key, value: Array(value.utf8), consistency: level, timeoutMillis: 10_000, quorum: .strict,
            writeID: id, resend: resend, version: nil
        )
    }

    @Test(arguments: [ConsistencyLevel.quorum, .linearizable])
    func aWriteResentAfterItsConnectionWasCutHasOneVersion(level: ConsistencyLevel) async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { launcher in
            let client = try LocalCluster.client(launcher)
            let key = Array("retry-\(level)".utf8)
            let id = UInt64.random(in: 1...UInt64.max)
            let n1 = launcher.nodes[0]

            // 1. Send the write and cut the connection without reading its answer: n1 coordinates it. (The
            // connection is closed once the write is visible, not a fixed time after sending: closed too early
            // under load, the frame never left and there was nothing to resend.)
            let cut = try await Self.connect(n1)
            let lost = cut.request(Self.write(key, "first", level, id: id, resend: false), timeout: .seconds(10))
            // The node applied it: poll at ALL until every replica has it.
            var applied: VersionedValue?
            for _ in 0..<400 {
                applied = try await client.get(key, consistency: .all)
                if applied != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            cut.close()
            _ = try? await lost.get()
            let first = try #require(applied, "the cut write never became visible")
            #expect(first.string == "first")

            // 2. The resend, on a new connection to the same node, with the same id: the same version.
            let again = try await Self.connect(n1)
            let reply = try await again.response(to: Self.write(key, "first", level, id: id, resend: true), timeout: .seconds(10))
            again.close()
            guard case .writeResult(let version, let acks) = reply else {
                Issue.record("the resend was answered with \(reply)")
                return
            }
            #expect(version == first.version, "the resend got a new version: a second write")
            #expect(acks >= 2)
            let read = try #require(try await client.get(key, consistency: .all))
            #expect(read.version == first.version && read.string == "first")

            // 3. n2 never saw the id: a resend there is refused, not applied with a version of its own.
            let other = try await Self.connect(launcher.nodes[1])
            let refused = try await other.response(to: Self.write(key, "first", level, id: id, resend: true), timeout: .seconds(10))
            other.close()
            guard case .error(let error) = refused else {
                Issue.record("n2 accepted a resend of an id it never saw: \(refused)")
                return
            }
            #expect(error.code == .invalidRequest && error.message.contains("does not know write id"))
            #expect(try await client.get(key, consistency: .all)?.version == first.version)

            // Control: the same value sent as a new write (plain PUT) is a second write with a newer version.
            let plain = try await client.put(key, Array("first".utf8), consistency: level, token: nil)
            #expect(plain > first.version)

            // 4. The client library's WriteToken: a retry of a written token returns the same version.
            let token = WriteToken()
            let written = try await client.put(key, Array("token".utf8), consistency: level, token: token)
            #expect(try await client.put(key, Array("token".utf8), consistency: level, token: token) == written)
            #expect(try await client.get(key, consistency: .all)?.version == written)
            await client.shutdown()
        }
    }
}
