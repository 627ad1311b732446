import Foundation
import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore
import Testing

/// The admin HTTP server of a real `tessera server` process, configured from a config file, scraped with a
/// real HTTP client: health endpoints, the Prometheus exposition, counters moving with traffic.
@Suite(.serialized) struct AdminEndpointTests {
    /// Runs one real node started with `--config FILE` (the file sets the admin address; the launcher's flags
    /// override the file's `listen`, `data` and `node_id`), then `body(launcher, adminPort)`.
    static func withNode(
        extraFlags: [String] = [],
        _ body: (ClusterLauncher, Int) async throws -> Void
    ) async throws {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-admin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let adminPort = try ClusterLauncher.freePorts(count: 1)[0]
        let file = directory + "/node.toml"
        let lines = [
            "# flags override these three",
            "node_id = \"ignored\"",
            "listen = \"127.0.0.1:1\"",
            "data = \"/nonexistent/overridden\"",
            "admin_listen = \"127.0.0.1:\(adminPort)\"",
            "log_level = \"info\"",
            "metrics = true",
        ]
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let launcher = try ClusterLauncher(
            executable: try LocalCluster.binary(),
            nodeCount: 1,
            dataDirectory: directory + "/cluster",
            replicationFactor: 1,
            extraServerArguments: ["--config", file] + extraFlags
        )
        defer { launcher.stopAll(grace: .seconds(5)) }
        try launcher.startAll()
        try await launcher.waitUntilReady(timeout: .seconds(60))
        try await body(launcher, adminPort)
    }

    static func scrape(_ port: Int) async throws -> PrometheusText {
        let response = try await AdminHTTP.get(port: port, path: "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        return try PrometheusText(response.body)
    }

    @Test func healthAndMetricsOfARealNodeMoveWithTraffic() async throws {
        try await Self.withNode { launcher, adminPort in
            let live = try await AdminHTTP.get(port: adminPort, path: "/health/live")
            #expect(live.status == 200 && live.body == "live\n")
            // Ready once the node's view of its peers is settled (a single node: at once).
            var ready = try await AdminHTTP.get(port: adminPort, path: "/health/ready")
            let deadline = ContinuousClock.now + .seconds(10)
            while ready.status != 200 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                ready = try await AdminHTTP.get(port: adminPort, path: "/health/ready")
            }
            #expect(ready.status == 200, "\(ready.body)")
            #expect(try await AdminHTTP.get(port: adminPort, path: "/nope").status == 404)

            let before = try await Self.scrape(adminPort)
            #expect(before.types["tessera_coordinated_requests_total"] == "counter")
            #expect(before.types["tessera_storage_memtable_bytes"] == "gauge")
            #expect(before.types["tessera_request_duration_seconds"] == "histogram")
            #expect(before.types["tessera_requests_total"] == "counter")

            let client = try LocalCluster.client(launcher)
            for i in 0..<25 { try await client.put("key-\(i)", String(repeating: "v", count: 100), consistency: .one) }
            for i in 0..<10 { _ = try await client.get("key-\(i)", consistency: .quorum) }
            try await client.delete("key-0", consistency: .all)
            await client.shutdown()

            let after = try await Self.scrape(adminPort)
            let put = #"tessera_coordinated_requests_total{op="put"}"#
            let get = #"tessera_coordinated_requests_total{op="get"}"#
            let delete = #"tessera_coordinated_requests_total{op="delete"}"#
            #expect(after[put] - before[put] == 25)
            #expect(after[delete] - before[delete] == 1)
            #expect(after[get] - before[get] >= 10)  // the client may read a little more (retries)
            #expect(after["tessera_storage_user_bytes_written_total"] - before["tessera_storage_user_bytes_written_total"] >= 25 * 100)
            #expect(after["tessera_storage_memtable_bytes"] > 0)
            #expect(after["tessera_storage_wal_writes_total"] > before["tessera_storage_wal_writes_total"])
            #expect(after["tessera_failed_requests_total"] == before["tessera_failed_requests_total"])
            // Request metrics, recorded when each request is answered, by operation and level.
            let putsOne = #"tessera_requests_total{op="put",level="ONE"}"#
            let getsQuorum = #"tessera_requests_total{op="get",level="QUORUM"}"#
            let deletesAll = #"tessera_requests_total{op="delete",level="ALL"}"#
            #expect(after[putsOne] - before[putsOne] == 25)
            #expect(after[getsQuorum] - before[getsQuorum] >= 10)
            #expect(after[deletesAll] - before[deletesAll] == 1)
            let putCount = #"tessera_request_duration_seconds_count{op="put",level="ONE"}"#
            let putSum = #"tessera_request_duration_seconds_sum{op="put",level="ONE"}"#
            let putInf = #"tessera_request_duration_seconds_bucket{op="put",level="ONE",le="+Inf"}"#
            #expect(after[putCount] - before[putCount] == 25)
            #expect(after[putInf] == after[putCount])
            #expect(after[putSum] > before[putSum])
            #expect(after[#"tessera_request_errors_total{op="put",code="timeout"}"#] == 0)
            #expect(after[#"tessera_peers{state="down"}"#] == 0)
            #expect(after["tessera_ready"] == 1)

            // `tessera status` keeps working over the wire.
            let status = try await LocalCluster.run(["status", "--hosts", launcher.addresses[0].description])
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("n1"))
        }
    }

    /// `--no-metrics` on the command line beats `metrics = true` in the file: no registry, /metrics is 404.
    @Test func theNoMetricsFlagOverridesTheFileAndMetricsAnswer404() async throws {
        try await Self.withNode(extraFlags: ["--no-metrics"]) { _, adminPort in
            #expect(try await AdminHTTP.get(port: adminPort, path: "/health/live").status == 200)
            let metrics = try await AdminHTTP.get(port: adminPort, path: "/metrics")
            #expect(metrics.status == 404 && metrics.body.contains("--no-metrics"))
        }
    }

    @Test func aBadConfigFileStopsTheServerNamingTheKeyAndFile() async throws {
        let directory = try ClusterLauncher.makeTemporaryDirectory(prefix: "tessera-badconfig")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/bad.toml"
        try "node_id = \"n1\"\nlisten = \"127.0.0.1:7001\"\nreplicas = 3\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await LocalCluster.run(["server", "--config", file, "--data", directory + "/d", "--members", "n1=127.0.0.1:7001"])
        #expect(result.status == 64, "exit \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(file) && result.stderr.contains("`replicas`"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/d"), "nothing may start on a bad config")
    }
}
