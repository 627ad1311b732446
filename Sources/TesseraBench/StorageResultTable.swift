/// The readable table `tessera bench storage` prints: one fixed-width row per phase.
public struct StorageResultTable: Sendable {
    public init() {}

    /// `value` with exactly `digits` decimals.
    public static func fixed(_ value: Double, _ digits: Int) -> String { formatFixed(value, digits) }

    public var header: String {
        pad("phase", 13, left: true) + pad("ops", 10) + pad("secs", 9) + pad("ops/s", 11) + pad("MB/s", 9)
            + pad("cpu_s", 9) + pad("found", 10) + pad("db_MB", 9) + pad("wamp", 7) + pad("load1", 7)
    }

    public func row(_ r: StoragePhaseResult) -> String {
        pad(r.phase, 13, left: true) + pad(String(r.ops), 10) + pad(formatFixed(r.seconds, 3), 9)
            + pad(formatFixed(r.opsPerSec, 0), 11) + pad(formatFixed(r.mbPerSec, 2), 9)
            + pad(formatFixed(r.cpuSeconds, 2), 9) + pad(String(r.found), 10)
            + pad(formatFixed(Double(r.dbBytes) / 1e6, 1), 9)
            + pad(r.writeAmplification.map { formatFixed($0, 2) } ?? "-", 7) + pad(formatFixed(r.load1, 2), 7)
    }

    private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + fill : fill + s
    }
}
