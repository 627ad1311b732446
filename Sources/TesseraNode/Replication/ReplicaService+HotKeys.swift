import NIOCore
import TesseraCluster
import TesseraWire

extension ReplicaService {
    /// Milliseconds of the monotonic clock, tick-granular: the hot-key sketch's time (its decay needs no wall
    /// clock, and a tick's error is nothing beside its 30 s half-life).
    static func monotonicMillis() -> UInt64 { CoarseClock.nowMillis() }

    /// HOT_KEYS_RESULT of node `nodeID`: the `limit` heaviest read and write keys of the sketch, now.
    func hotKeysReport(nodeID: String, limit: Int) -> WireHotKeys {
        let (reads, writes) = hotKeys.top(limit, nowMillis: Self.monotonicMillis())
        func section(_ report: HotKeyTracker.Report) -> WireHotKeys.Section {
            WireHotKeys.Section(
                recorded: report.recorded, total: report.total,
                keys: report.keys.map { WireHotKeys.Key(key: $0.key, count: $0.count, error: $0.error) })
        }
        return WireHotKeys(
            nodeID: nodeID, halfLifeMillis: hotKeys.reads.halfLifeMillis, reads: section(reads),
            writes: section(writes))
    }
}
