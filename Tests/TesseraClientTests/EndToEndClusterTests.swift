import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraCore
import Testing

@testable import TesseraClient

/// Real `tessera server` processes on loopback. Serialized: each test starts its own cluster, and running them
/// side by side would only fight over the two cores.
@Suite(.serialized) struct EndToEndClusterTests {
    @Test(.timeLimit(.minutes(2)))
    func quorumReadsSurviveAKilledNodeAndReadRepairHealsIt() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { cluster in
            let client = try LocalCluster.client(cluster)
            defer { Task { await client.shutdown() } }
            let keys = (0..<1000).map { "key-\($0)" }

            // 1,000 acknowledged writes at W=QUORUM, 32 at a time.
            try await forEachConcurrently(keys, width: 32) { key in
                try await client.put(key, "v1-\(key)", consistency: .quorum)
            }

            // Crash n2: no shutdown, no flush.
            #expect(try cluster.kill("n2"))

            // Every acknowledged write is readable at R=QUORUM from the two survivors.
            try await forEachConcurrently(keys, width: 32) { key in
                let value = try await client.get(key, consistency: .quorum)
                #expect(value?.string == "v1-\(key)", "key \(key)")
            }

            // Give the survivors' failure detectors a moment to see n2 down (bounded; the check below decides).
            let seen = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < seen {
                let status = try await client.status(timeout: .seconds(2))
                if status.filter(\.isUp).allSatisfy({ $0.peersDown.contains("n2") }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }

            // W=ALL cannot succeed with a replica down: Unavailable, which says how many were needed and alive.
            let error = await #expect(throws: TesseraError.self) {
                try await client.put("key-0", "never", consistency: .all, timeout: .seconds(5))
            }
            #expect(error?.code == .unavailable, "\(String(describing: error))")
            #expect(error?.isIndeterminate == false)

            // Overwrite 100 keys while n2 is down: n2 misses these.
            let changed = Array(keys.prefix(100))
            try await forEachConcurrently(changed, width: 32) { key in
                try await client.put(key, "v2-\(key)", consistency: .quorum)
            }

            // Restart n2 on its data directory; wait until the coordinators take it back (ALL succeeds).
            try cluster.start("n2")
            try await cluster.waitUntilReady(["n2"], timeout: .seconds(30))
            let back = ContinuousClock.now + .seconds(30)
            while true {
                do {
                    _ = try await client.get("key-999", consistency: .all, timeout: .seconds(2))
                    break
                } catch  where ContinuousClock.now < back {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }

            // R=ALL sees the newest value of every changed key, and repairs n2 before answering.
            try await forEachConcurrently(changed, width: 16) { key in
                let value = try await client.get(key, consistency: .all)
                #expect(value?.string == "v2-\(key)", "key \(key)")
            }

            // Proof that n2 itself now holds the new values: stop the others and read from n2 alone.
            try cluster.kill("n1")
            try cluster.kill("n3")
            let n2 = try cluster.node(named: "n2").address
            let alone = try LocalCluster.client(cluster, seeds: [n2])
            defer { Task { await alone.shutdown() } }
            for key in changed {
                let value = try await alone.get(key, consistency: .one)
                #expect(value?.string == "v2-\(key)", "n2's copy of \(key)")
            }
            await alone.shutdown()
            await client.shutdown()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func badInputGetsTheRightErrorCodeAndAClearMessage() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 2) { cluster in
            let client = try LocalCluster.client(cluster, timeout: .seconds(5))
            defer { Task { await client.shutdown() } }
            try await client.put("k", "v")

            func expectError(
                _ code: TesseraError.Code,
                _ fragment: String,
                sourceLocation: SourceLocation = #_sourceLocation,
                _ body: () async throws -> Void
            ) async {
                let error = await #expect(throws: TesseraError.self, sourceLocation: sourceLocation) {
                    try await body()
                }
                #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
                #expect(
                    error?.message.contains(fragment) == true,
                    "\(error?.message ?? "")",
                    sourceLocation: sourceLocation
                )
            }

            // Levels above N=2 and zero, checked by the client against the ring...
            await expectError(.invalidRequest, "needs 3 replicas but the replication factor is 2") {
                _ = try await client.get("k", consistency: .three)
            }
            await expectError(.invalidRequest, "replication factor is 2") {
                try await client.put("k", "v", consistency: .count(5))
            }
            await expectError(.invalidRequest, "at least 1 replica") {
                try await client.delete("k", consistency: .count(0))
            }
            // ...and by the server for a client that skips the check.
            let raw = try await WireTransport().connect(to: cluster.addresses[0], timeout: .seconds(5))
            let answer = try await raw.send(
                .get(key: Array("k".utf8), consistency: .three, timeout: .seconds(2)),
                timeout: .seconds(5)
            )
            guard case .error(let serverError) = answer else {
                Issue.record("the server accepted R=3 with N=2: \(answer)")
                return
            }
            #expect(serverError.code == .invalidRequest)
            #expect(serverError.message.contains("3"))
            raw.close()

            // Sizes.
            await expectError(.invalidRequest, "the limit is 65536 bytes") {
                _ = try await client.get([UInt8](repeating: 0x61, count: 65 * 1024))
            }
            await expectError(.invalidRequest, "the limit is 16777216 bytes") {
                try await client.put(Array("k".utf8), [UInt8](repeating: 1, count: 16 * 1024 * 1024 + 1))
            }
            await expectError(.invalidRequest, "key is empty") { try await client.put("", "v") }

            // Unknown hosts and nodes that are not up.
            let unknown = try TesseraClient(seeds: [HostAddress(host: "no-such-host.invalid", port: 7001)])
            await expectError(.unavailable, "no-such-host.invalid:7001") { _ = try await unknown.get("k") }
            await unknown.shutdown()
            let closedPort = try ClusterLauncher.freePorts(count: 1)[0]
            let nobody = try TesseraClient(seeds: [HostAddress(host: "127.0.0.1", port: closedPort)])
            await expectError(.unavailable, "127.0.0.1:\(closedPort)") { _ = try await nobody.get("k") }
            await nobody.shutdown()
            await expectError(.invalidRequest, "invalid address") {
                _ = try TesseraClient(seeds: ["127.0.0.1"])
            }

            // A node that is down: status says so; requests still succeed through the others.
            try cluster.kill("n3")
            let status = try await client.status(timeout: .seconds(2))
            #expect(status.map(\.isUp) == [true, true, false])
            #expect(status[0].keys >= 0)
            #expect(try await client.get("k", consistency: .one)?.string == "v")
            await client.shutdown()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aScriptedDemoRunPrintsTheResultsAndStopsEveryNode() async throws {
        let script = "put a 1\nget a\nkill n2\nget a QUORUM\nquit\n"
        let result = try await LocalCluster.run(["demo", "--nodes", "3"], input: script, timeout: .seconds(90))
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // The banner names every node; then one result line per command.
        for name in ["n1", "n2", "n3"] { #expect(lines.contains { $0.hasPrefix("  \(name)  127.0.0.1:") }) }
        guard let start = lines.firstIndex(where: { $0.hasPrefix("type help") }) else {
            Issue.record("no banner in:\n\(result.stdout)")
            return
        }
        let results = Array(lines[(start + 1)...])
        #expect(Array(results.prefix(4)) == ["OK", "1", "killed n2 (SIGKILL)", "1"], "\(result.stdout)")
        #expect(results.last == "stopping 3 nodes")
        // Every node process is gone.
        let pids = lines.compactMap { line -> Int32? in
            guard let range = line.range(of: "pid ") else { return nil }
            return Int32(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(pids.count == 3)
        for pid in pids { #expect(!LocalCluster.isAlive(pid), "node pid \(pid) still running") }
    }

    @Test(.timeLimit(.minutes(2)))
    func benchClusterSmokeRunCompletesWithoutErrors() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { cluster in
            let hosts = cluster.addresses.map(\.description).joined(separator: ",")
            let result = try await LocalCluster.run([
                "bench", "cluster", "--hosts", hosts, "--ops", "300", "--concurrency", "8", "--keys", "100",
                "--consistency", "QUORUM", "--json",
            ])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let report = try JSONDecoder().decode(ClusterBenchmark.Report.self, from: Data(result.stdout.utf8))
            #expect(report.phases.map(\.phase) == ["put", "get"])
            for phase in report.phases {
                #expect(phase.operations == 300, "\(phase)")
                #expect(phase.errors == 0, "\(phase.errorSamples)")
                #expect(phase.notFound == 0)
                #expect(phase.opsPerSecond > 0)
                #expect(
                    phase.p50Micros > 0 && phase.p50Micros <= phase.p99Micros && phase.p99Micros <= phase.p999Micros
                )
            }
        }
    }
}

/// Runs `body` for every element, at most `width` at a time.
func forEachConcurrently<T: Sendable>(
    _ items: [T],
    width: Int,
    _ body: @escaping @Sendable (T) async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        while next < min(width, items.count) {
            let item = items[next]
            group.addTask { try await body(item) }
            next += 1
        }
        while try await group.next() != nil {
            if next < items.count {
                let item = items[next]
                group.addTask { try await body(item) }
                next += 1
            }
        }
    }
}

/// The command-line client against real nodes: output and the documented exit codes (docs/client.md).
@Suite(.serialized) struct EndToEndCommandLineTests {
    @Test(.timeLimit(.minutes(2)))
    func commandsPrintResultsAndExitWithTheDocumentedCodes() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { cluster in
            let hosts = cluster.addresses.map(\.description).joined(separator: ",")
            let put = try await LocalCluster.run(["put", "greeting", "hello world", "--hosts", hosts])
            #expect(put.status == 0 && put.stdout == "OK\n", "\(put)")
            let get = try await LocalCluster.run(["get", "greeting", "--hosts", hosts, "--consistency", "ALL"])
            #expect(get.status == 0 && get.stdout == "hello world\n", "\(get)")
            let missing = try await LocalCluster.run(["get", "nothing-here", "--hosts", hosts])
            #expect(missing.status == 4 && missing.stdout.isEmpty, "\(missing)")
            #expect(missing.stderr == "not found: nothing-here\n")
            let tooMany = try await LocalCluster.run(["put", "k", "v", "--hosts", hosts, "--consistency", "4"])
            #expect(tooMany.status == 5, "\(tooMany)")
            #expect(tooMany.stderr.hasPrefix("error: consistency level 4 needs 4 replicas"))
            let badLevel = try await LocalCluster.run(["get", "k", "--hosts", hosts, "--consistency", "MOST"])
            #expect(badLevel.status == 5 && badLevel.stderr.contains("invalid consistency level 'MOST'"))
            // --quorum chooses which replicas count toward a write; a get refuses it rather than ignore it.
            let sloppyGet = try await LocalCluster.run(["get", "k", "--hosts", hosts, "--quorum", "sloppy"])
            #expect(sloppyGet.status == 64 && sloppyGet.stderr.contains("--quorum sloppy does not apply to get"), "\(sloppyGet)")
            let strictGet = try await LocalCluster.run(["get", "greeting", "--hosts", hosts, "--quorum", "strict"])
            #expect(strictGet.status == 0 && strictGet.stdout == "hello world\n", "\(strictGet)")
            let closedPort = try ClusterLauncher.freePorts(count: 1)[0]
            let down = try await LocalCluster.run(["get", "k", "--hosts", "127.0.0.1:\(closedPort)"])
            #expect(down.status == 2 && down.stderr.contains("connection refused"), "\(down)")
            let deleted = try await LocalCluster.run(["delete", "greeting", "--hosts", hosts])
            #expect(deleted.status == 0 && deleted.stdout == "OK\n")
            let gone = try await LocalCluster.run(["get", "greeting", "--hosts", hosts])
            #expect(gone.status == 4)

            let status = try await LocalCluster.run(["status", "--hosts", hosts])
            #expect(status.status == 0 && status.stdout.contains("3 of 3 members up"), "\(status)")
            let ring = try await LocalCluster.run(["ring", "--hosts", hosts])
            #expect(ring.status == 0 && ring.stdout.contains("replication factor 3, 3 members"), "\(ring)")
            #expect(ring.stdout.split(separator: "\n").filter { $0.hasPrefix("n") }.count == 3)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aWriteThatTimesOutIsReportedAsIndeterminate() async throws {
        try await LocalCluster.with(nodes: 3, replicationFactor: 3) { cluster in
            let n1 = cluster.addresses[0]
            let client = try LocalCluster.client(cluster)
            _ = try await client.topology()
            defer {
                for name in ["n1", "n2", "n3"] { _ = try? cluster.resume(name) }
            }
            // n2 and n3 stop answering (SIGSTOP) but their sockets stay open, so n1 cannot tell them from slow
            // nodes at first: a QUORUM write coordinated by n1 gets 1 of the 2 acknowledgements it needs, then
            // times out, and the server says so.
            try cluster.pause("n2")
            try cluster.pause("n3")
            let raw = try await WireTransport().connect(to: n1, timeout: .seconds(5))
            let answer = try await raw.send(
                .put(key: Array("k".utf8), value: [1], consistency: .quorum, timeout: .milliseconds(300)),
                timeout: .seconds(10)
            )
            raw.close()
            guard case .error(let error) = answer else {
                Issue.record("expected a timeout error from n1, got \(answer)")
                return
            }
            #expect(error.code == .timeout, "\(error)")
            #expect(error.message.contains("1 of 2 acks"), "\(error)")
            #expect(error.isIndeterminate)

            // Every node paused: the client's request reaches a replica's socket and no answer comes. A timeout,
            // indeterminate, sent once; the command line exits 3.
            try cluster.pause("n1")
            let thrown = await #expect(throws: TesseraError.self) {
                try await client.put("k", "v", consistency: .quorum, timeout: .milliseconds(500))
            }
            #expect(thrown?.code == .timeout && thrown?.isIndeterminate == true, "\(String(describing: thrown))")
            #expect(thrown?.message.contains("may or may not have been applied") == true)
            await client.shutdown()
            let cli = try await LocalCluster.run(["put", "k", "v", "--hosts", n1.description, "--timeout", "500"])
            #expect(cli.status == 3, "\(cli)")
            #expect(cli.stderr.hasPrefix("error: "))
        }
    }
}
