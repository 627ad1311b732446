import NIOCore
import TesseraCluster
import TesseraWire

extension NodeCore {
    /// Milliseconds of the monotonic clock: the hot-key sketch's time (its decay needs no wall clock).
    static func monotonicMillis() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    /// Microseconds since `start` (a replica read's latency, for the read ranking).
    static func micros(since start: NIODeadline) -> UInt64 {
        UInt64(max(0, (NIODeadline.now() - start).nanoseconds / 1000))
    }

    /// HOT_KEYS_RESULT: the `limit` heaviest read and write keys of this node's sketch, now.
    func hotKeysReport(limit: Int) -> WireHotKeys {
        let (reads, writes) = hotKeys.top(limit, nowMillis: Self.monotonicMillis())
        func section(_ report: HotKeyTracker.Report) -> WireHotKeys.Section {
            WireHotKeys.Section(
                recorded: report.recorded, total: report.total,
                keys: report.keys.map { WireHotKeys.Key(key: $0.key, count: $0.count, error: $0.error) })
        }
        return WireHotKeys(
            nodeID: selfID.name, halfLifeMillis: hotKeys.reads.halfLifeMillis, reads: section(reads),
            writes: section(writes))
    }
}
