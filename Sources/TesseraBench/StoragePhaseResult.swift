/// One row of `tessera bench storage`: what a phase did and what it cost, with the peer's columns
/// (../shared/tools/storage-bench/README.md).
public struct StoragePhaseResult: Sendable, Equatable {
    public var phase: String
    /// Operations (puts, gets, or entries scanned).
    public var ops: Int
    /// Wall-clock seconds.
    public var seconds: Double
    /// User + system CPU seconds of the whole process (all threads, including flush and compaction).
    public var cpuSeconds: Double
    /// Gets that returned a value (puts count as found; readseq: entries scanned).
    public var found: Int
    /// Apparent size of the database directory after the phase (engine still open).
    public var dbBytes: Int
    /// Bytes the process passed to write()/pwrite() during the phase (/proc/self/io wchar).
    public var writtenBytes: Int
    /// Logical bytes: ops x (16 + value size); readmissing counts keys only.
    public var logicalBytes: Int
    /// True if the phase writes (write amplification is reported only then).
    public var writes: Bool
    /// 1-minute load average at the end of the phase.
    public var load1: Double

    public init(
        phase: String, ops: Int, seconds: Double, cpuSeconds: Double, found: Int, dbBytes: Int, writtenBytes: Int,
        logicalBytes: Int, writes: Bool, load1: Double
    ) {
        self.phase = phase
        self.ops = ops
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.found = found
        self.dbBytes = dbBytes
        self.writtenBytes = writtenBytes
        self.logicalBytes = logicalBytes
        self.writes = writes
        self.load1 = load1
    }

    public var opsPerSec: Double { seconds > 0 ? Double(ops) / seconds : 0 }
    public var mbPerSec: Double { seconds > 0 ? Double(logicalBytes) / 1e6 / seconds : 0 }
    /// wchar / logical bytes written, for write phases; nil for reads.
    public var writeAmplification: Double? {
        writes && logicalBytes > 0 ? Double(writtenBytes) / Double(logicalBytes) : nil
    }

    /// One JSON object on one line (snake_case keys).
    public var json: String {
        func num(_ d: Double, _ digits: Int) -> String {
            d.isFinite ? formatFixed(d, digits) : "null"
        }
        let wamp = writeAmplification.map { num($0, 3) } ?? "null"
        return "{\"phase\":\"\(phase)\",\"ops\":\(ops),\"seconds\":\(num(seconds, 4)),\"ops_per_sec\":\(num(opsPerSec, 1)),"
            + "\"mb_per_sec\":\(num(mbPerSec, 3)),\"cpu_seconds\":\(num(cpuSeconds, 3)),\"found\":\(found),"
            + "\"db_bytes\":\(dbBytes),\"write_amplification\":\(wamp),\"load1\":\(num(load1, 2))}"
    }
}

/// `value` with exactly `digits` decimals (no Foundation).
func formatFixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return String(value) }
    let n = UInt64(scaled)
    let whole = n / UInt64(scale)
    var text = (negative && n != 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let frac = String(n % UInt64(scale))
        text += "." + String(repeating: "0", count: digits - frac.count) + frac
    }
    return text
}
