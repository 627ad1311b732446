import TesseraCore
import TesseraNode
import TesseraStorage
import Testing

/// Per-node registries, request metric labels, scrape-time copies, and the readiness decision.
@Suite struct NodeMetricsTests {
    static func text(_ metrics: NodeMetrics, _ snapshot: NodeSnapshot = NodeSnapshot()) -> String {
        String(decoding: metrics.exposition(of: snapshot), as: UTF8.self)
    }

    @Test func twoNodesInOneProcessDoNotShareCounters() {
        let a = NodeMetrics(replicationFactor: 3)
        let b = NodeMetrics(replicationFactor: 3)
        a.recordRequest(.put, level: .quorum, error: nil, nanoseconds: 1_500_000)
        a.recordRequest(.put, level: .quorum, error: .timeout, nanoseconds: 2_000_000_000)
        let textA = Self.text(a)
        let textB = Self.text(b)
        #expect(textA.contains(#"tessera_requests_total{op="put",level="QUORUM"} 2"#))
        #expect(textB.contains(#"tessera_requests_total{op="put",level="QUORUM"} 0"#))
        #expect(textA.contains(#"tessera_request_errors_total{op="put",code="timeout"} 1"#))
        #expect(textB.contains(#"tessera_request_errors_total{op="put",code="timeout"} 0"#))
    }

    @Test func latencyLandsInTheRightBucketPerOperationAndLevel() {
        let metrics = NodeMetrics(replicationFactor: 3)
        metrics.recordRequest(.get, level: .count(2), error: nil, nanoseconds: 3_000_000)  // 3 ms
        let text = Self.text(metrics)
        #expect(text.contains(#"tessera_request_duration_seconds_bucket{op="get",level="2",le="0.002"} 0"#), "\(text)")
        #expect(text.contains(#"tessera_request_duration_seconds_bucket{op="get",level="2",le="0.005"} 1"#))
        #expect(text.contains(#"tessera_request_duration_seconds_count{op="get",level="2"} 1"#))
        #expect(text.contains(#"tessera_requests_total{op="get",level="ONE"} 0"#))
    }

    @Test func scrapeCopiesAbsoluteValuesEveryTime() {
        let metrics = NodeMetrics(replicationFactor: 1)
        var snapshot = NodeSnapshot()
        snapshot.puts = 7
        var storage = StorageStats()
        storage.tablesPerLevel = [2, 0, 1]
        storage.walSyncs = 4
        snapshot.storage = storage
        _ = Self.text(metrics, snapshot)
        snapshot.puts = 9
        let text = Self.text(metrics, snapshot)
        #expect(text.contains(#"tessera_coordinated_requests_total{op="put"} 9"#), "\(text)")
        #expect(text.contains(#"tessera_storage_tables{level="0"} 2"#))
        #expect(text.contains(#"tessera_storage_tables{level="2"} 1"#))
        #expect(text.contains("tessera_storage_wal_syncs_total 4"))
        #expect(text.contains("# TYPE tessera_storage_wal_syncs_total counter"))
    }

    @Test func rejectionsAreExportedByReason() {
        let metrics = NodeMetrics(replicationFactor: 3)
        var snapshot = NodeSnapshot()
        snapshot.rejected = ["node_in_flight": 3, "rate": 0]
        let text = Self.text(metrics, snapshot)
        #expect(text.contains(#"tessera_requests_rejected_total{reason="node_in_flight"} 3"#), "\(text)")
        #expect(text.contains(#"tessera_requests_rejected_total{reason="rate"} 0"#))
    }

    @Test func readinessNamesEveryReason() {
        var snapshot = NodeSnapshot()
        #expect(NodeHealth.readiness(snapshot).reasons == ["storage not open", "peers not known yet"])
        snapshot.storage = StorageStats()
        snapshot.peersKnown = true
        #expect(NodeHealth.readiness(snapshot).ready)
        snapshot.draining = true
        #expect(NodeHealth.readiness(snapshot) == (false, ["draining (shutting down)"]))
    }
}
