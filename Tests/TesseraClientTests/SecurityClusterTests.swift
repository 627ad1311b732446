import Foundation
import NIOCore
import NIOPosix
import TesseraClient
import TesseraCore
import TesseraLocalCluster
import TesseraTLS
import TesseraWire
import Testing

/// Issue 11, security: TLS for clients and peers, peer mutual TLS and client tokens, against real
/// `tessera server` processes (docs/security.md). Certificates are made with openssl per test.
@Suite(.serialized) struct SecurityClusterTests {
    /// Fresh certificates for nodes n1...nN in a temporary directory.
    static func certificates(nodes: Int, caName: String = "Tessera test CA", names: [String]? = nil) throws
        -> LocalCertificates
    {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-tls-test")
        return try LocalCertificates.generate(
            in: directory, nodes: names ?? (1...nodes).map { "n\($0)" }, caName: caName)
    }

    static func connect(_ address: HostAddress, tls: TLSSettings?) async throws -> WireConnection {
        try await WireConnection.connect(
            host: address.host, port: address.port, group: MultiThreadedEventLoopGroup.singleton,
            tlsHandler: try tls.map { try $0.makeClientContext() }?.clientHandler(host: address.host)
        ).get()
    }

    static func log(_ node: ClusterLauncher.Node) -> String {
        (try? String(contentsOfFile: node.logPath, encoding: .utf8)) ?? ""
    }

    /// Waits (generously: a loaded machine) until `connection` has closed; false if it stays open.
    static func closes(_ connection: WireConnection) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while connection.isActive && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !connection.isActive
    }

    @Test(.timeLimit(.minutes(3)))
    func aTLSClusterServesQuorumRequestsOnlyToClientsWithTheToken() async throws {
        let certificates = try Self.certificates(nodes: 3)
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        try await LocalCluster.with(nodes: 3, replicationFactor: 3, certificates: certificates) { launcher in
            // Readiness already needed every peer link up: peers found each other over mutual TLS.
            let client = try LocalCluster.client(launcher)
            for i in 0..<20 {
                try await client.put(Array("tls-key-\(i)".utf8), Array("tls-value-\(i)".utf8), consistency: .quorum)
            }
            for i in 0..<20 {
                let read = try await client.get(Array("tls-key-\(i)".utf8), consistency: .quorum)
                #expect(read?.value == Array("tls-value-\(i)".utf8))
            }
            await client.shutdown()

            // TLS but no token: refused with `unauthenticated`, no fail-over to the other nodes.
            var noToken = TesseraClient.Options(defaultTimeout: .seconds(10))
            noToken.tls = TLSSettings(caFile: certificates.caFile)
            let anonymous = try TesseraClient(seeds: launcher.addresses, options: noToken)
            let refused = await #expect(throws: TesseraError.self) { _ = try await anonymous.get(Array("tls-key-1".utf8)) }
            #expect(refused?.code == .unauthenticated, "\(String(describing: refused))")
            #expect(refused?.message.contains("requires a client token") == true, "\(String(describing: refused))")
            await anonymous.shutdown()

            // A wrong token: refused too.
            var wrongToken = noToken
            wrongToken.authToken = Array("not-the-token-0123456789".utf8)
            let impostor = try TesseraClient(seeds: launcher.addresses, options: wrongToken)
            let wrong = await #expect(throws: TesseraError.self) {
                try await impostor.put(Array("tls-key-1".utf8), Array("overwritten".utf8))
            }
            #expect(wrong?.code == .unauthenticated, "\(String(describing: wrong))")
            #expect(wrong?.message.contains("wrong") == true, "\(String(describing: wrong))")
            await impostor.shutdown()

            // On the wire: any request before CLIENT_AUTH gets ERROR unauthenticated and the connection closes.
            let raw = try await Self.connect(launcher.nodes[0].address, tls: TLSSettings(caFile: certificates.caFile))
            let answer = try await raw.response(to: .ping, timeout: .seconds(10))
            guard case .error(let error) = answer else {
                Issue.record("PING before CLIENT_AUTH was answered with \(answer)")
                return
            }
            #expect(error.code == .unauthenticated)
            #expect(await Self.closes(raw), "the node kept an unauthenticated connection open")

            // Plain TCP to a TLS node is not served.
            let plain = try TesseraClient(seeds: launcher.addresses, options: TesseraClient.Options(defaultTimeout: .seconds(3)))
            await #expect(throws: TesseraError.self) { _ = try await plain.get(Array("tls-key-1".utf8)) }
            await plain.shutdown()

            // The refused write changed nothing; the CLI takes --tls-ca and --token-file (exit 6 without the token).
            let hosts = launcher.addresses.map(\.description).joined(separator: ",")
            let get = try await LocalCluster.run(["get", "tls-key-1", "--hosts", hosts] + certificates.clientArguments)
            #expect(get.status == 0, "stderr: \(get.stderr)")
            #expect(get.stdout.contains("tls-value-1"), "\(get.stdout)")
            let denied = try await LocalCluster.run(["get", "tls-key-1", "--hosts", hosts, "--tls-ca", certificates.caFile])
            #expect(denied.status == 6, "stdout: \(denied.stdout) stderr: \(denied.stderr)")
            let logs = launcher.nodes.map(Self.log).joined()
            #expect(logs.contains("refused a client connection"))
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aPeerWithACertificateOfAnotherCAIsRefusedAndCannotReplicate() async throws {
        let certificates = try Self.certificates(nodes: 2)
        let foreign = try Self.certificates(nodes: 2, caName: "Some other CA")
        defer {
            try? FileManager.default.removeItem(atPath: certificates.directory)
            try? FileManager.default.removeItem(atPath: foreign.directory)
        }
        try await LocalCluster.with(nodes: 2, replicationFactor: 2, certificates: certificates) { launcher in
            let client = try LocalCluster.client(launcher)
            let key = Array("replicated-key".utf8)
            try await client.put(key, Array("original".utf8), consistency: .all)
            let n1 = launcher.nodes[0]
            let members = Set(launcher.nodes.map(\.id.name))
            let credentials = PeerHandshake.Credentials(clusterName: "tessera", nodeID: "n2", members: members, secret: nil)
            let evil = WireMessage.replicaWrite(
                key: key,
                cell: Cell(version: Version(timestamp: HLCTimestamp(physicalMillis: 1, logical: 0), node: 2), value: Array("evil".utf8)))

            // 1. n2's name with a certificate signed by another CA: the TLS handshake fails (in TLS 1.3 the
            //    connecting side may only see it on its first request), so neither the handshake nor a replica
            //    write gets through.
            let foreignTLS = TLSSettings(
                certificateFile: foreign.certificateFile("n2"), keyFile: foreign.keyFile("n2"), caFile: certificates.caFile)
            if let connection = try? await Self.connect(n1.address, tls: foreignTLS) {
                await #expect(throws: (any Error).self) {
                    try await connection.authenticateAsPeer(credentials: credentials, expectedNodeID: "n1", timeout: .seconds(10)).get()
                }
                let reply = try? await connection.response(to: evil, timeout: .seconds(5))
                #expect(reply == nil || reply?.opcode == .error, "a foreign-CA peer's REPLICA_WRITE got \(String(describing: reply))")
                connection.close()
            }

            // 2. TLS without a client certificate (the node's CA trusted): a client, but PEER_HELLO is refused.
            let anonymous = try await Self.connect(n1.address, tls: TLSSettings(caFile: certificates.caFile))
            let handshake = await #expect(throws: TesseraError.self) {
                try await anonymous.authenticateAsPeer(credentials: credentials, expectedNodeID: "n1", timeout: .seconds(10)).get()
            }
            #expect(handshake?.message.contains("certificate signed by the cluster CA") == true, "\(String(describing: handshake))")
            let reply = try? await anonymous.response(to: evil, timeout: .seconds(5))
            #expect(reply == nil || reply?.opcode == .error, "REPLICA_WRITE after a refused handshake got \(String(describing: reply))")

            // Nothing was replicated; the refusals were logged with their cause.
            #expect(try await client.get(key, consistency: .all)?.value == Array("original".utf8))
            await client.shutdown()
            let log = Self.log(n1)
            #expect(log.contains("TLS handshake failed"), "n1's log has no TLS refusal")
            #expect(log.contains("refused a peer handshake"), "n1's log has no peer refusal")
        }
    }

    /// The same write through a relay that records the bytes: readable without TLS (so the check can fail),
    /// absent from the wire with TLS.
    @Test(.timeLimit(.minutes(2)), arguments: [false, true])
    func aWrittenValueIsOnTheWireOnlyWithoutTLS(tls: Bool) async throws {
        let certificates = tls ? try Self.certificates(nodes: 1) : nil
        defer { if let certificates { try? FileManager.default.removeItem(atPath: certificates.directory) } }
        try await LocalCluster.with(nodes: 1, replicationFactor: 1, certificates: certificates) { launcher in
            let node = launcher.nodes[0].address
            let relay = try await ByteRecordingRelay.start(to: node.host, port: node.port)
            let value = Array("wire-secret-\(UInt64.random(in: 0...UInt64.max))".utf8)
            let key = Array("wire-key".utf8)
            let tlsSettings = certificates.map { TLSSettings(caFile: $0.caFile) }
            let connection = try await Self.connect(HostAddress(host: "127.0.0.1", port: relay.port), tls: tlsSettings)
            if let certificates {
                try await connection.authenticateAsClient(token: try certificates.token(), timeout: .seconds(10)).get()
            }
            let put = try await connection.response(
                to: .put(key: key, value: value, consistency: .one, timeoutMillis: 5000), timeout: .seconds(10))
            #expect(put.opcode == .writeResult, "\(put)")
            let get = try await connection.response(
                to: .get(key: key, consistency: .one, timeoutMillis: 5000), timeout: .seconds(10))
            guard case .getResult(let cell) = get else {
                Issue.record("GET through the relay answered \(get)")
                return
            }
            #expect(cell?.value == value)
            connection.close()
            await relay.close()
            // The value crossed the relay twice (PUT, GET_RESULT): the tap saw real traffic either way.
            #expect(relay.bytes.count > 2 * value.count)
            #expect(relay.saw(value) == !tls, "TLS \(tls): the value was \(relay.saw(value) ? "" : "not ")readable on the wire")
            if let certificates { #expect(!relay.saw(try certificates.token()), "the client token was readable on the wire") }
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func theDemoRunsOverTLSWithAToken() async throws {
        let result = try await LocalCluster.run(["demo", "--nodes", "3", "--tls"], input: "put a 1\nget a\nquit\n", timeout: .seconds(90))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("TLS on (CA ") }, "\(result.stdout)")
        #expect(lines.contains { $0.contains("--tls-ca") && $0.contains("--token-file") }, "\(result.stdout)")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("type help") }) else {
            Issue.record("no banner in:\n\(result.stdout)")
            return
        }
        #expect(Array(lines[(start + 1)...].prefix(2)) == ["OK", "1"], "\(result.stdout)")
    }

    /// A peer that runs with another cluster secret is refused at every reconnect attempt; the refusing side's
    /// dialer logs "peer handshake failed" once for that error, not once per attempt, redials it with backoff
    /// (not at once on each of its inbound attempts), keeps serving, and finds it again once it is fixed.
    @Test(.timeLimit(.minutes(2)))
    func aPeerWithAnotherSecretIsLoggedOnceAndRedialledWithBackoff() async throws {
        let secret = ["--cluster-secret", "first-secret-of-this-cluster"]
        try await LocalCluster.with(nodes: 2, replicationFactor: 1, arguments: secret) { launcher in
            let n1 = launcher.nodes[0]
            try launcher.stop("n2", grace: .seconds(3))
            // (Not waitUntilReady: it waits for the nodes to see each other up, which they never will.)
            try launcher.start("n2", extraArguments: ["--cluster-secret", "another-secret-entirely"])
            // n1 redials n2 with backoff (several attempts in this time), each refused by the handshake.
            let failed = { Self.log(n1).split(separator: "\n").filter { $0.contains("peer handshake failed") && $0.contains("n2") } }
            let deadline = ContinuousClock.now + .seconds(40)
            while failed().isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            try await Task.sleep(for: .seconds(4))
            let lines = failed()
            #expect(lines.count == 1, "n1 logged the refused handshake \(lines.count) times: \(lines)")
            // n1 still serves (replication 1: keys it owns need no peer).
            let connection = try await Self.connect(n1.address, tls: nil)
            defer { connection.close() }
            let status = try await connection.response(to: .status, timeout: .seconds(5))
            guard case .statusResult(let view) = status else {
                Issue.record("STATUS answered \(status)")
                return
            }
            #expect(view.peersDown == ["n2"], "n1 sees \(view.peersDown) down")
            // A refused peer is redialled with backoff (at most every 500 ms per lane), not at once on each of its
            // own attempts to reach this node: connections n1 accepts (from n2's redials) over 3 s stay few.
            func accepted() async throws -> UInt64 {
                guard case .statusResult(let view) = try await connection.response(to: .status, timeout: .seconds(5)) else { return 0 }
                return view.counters.first { $0.name == "connections" }?.value ?? 0
            }
            let before = try await accepted()
            try await Task.sleep(for: .seconds(3))
            let redials = try await accepted() - before
            print("n1 accepted \(redials) connections in 3 s from a peer it refuses")
            #expect(redials <= 15, "n1 accepted \(redials) connections in 3 s from a peer it refuses")
            // Fixed (n2 back with the cluster's secret), the two find each other again by themselves.
            try launcher.stop("n2", grace: .seconds(3))
            try launcher.start("n2")
            try await launcher.waitUntilReady(timeout: .seconds(30))
        }
    }
}
