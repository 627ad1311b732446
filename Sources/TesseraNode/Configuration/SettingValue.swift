public import TesseraCore
public import TesseraStorage

/// Parsers for the text forms of server settings shared by flags and the config file: durations (`3h`),
/// byte sizes (`1MiB`), WAL recovery modes and read-replica choices. Errors name the flag; the config file
/// reader adds the file and key.
public enum SettingValue {
    /// `500ms`, `90s`, `5m`, `3h`, `10d`, or a bare number of seconds.
    public static func millis(_ text: String, flag: String) throws(TesseraError) -> UInt64 {
        let units: [(String, UInt64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let lowered = text.lowercased()
        for (suffix, factor) in units where lowered.hasSuffix(suffix) {
            if let value = UInt64(lowered.dropLast(suffix.count)) { return value * factor }
        }
        if let seconds = UInt64(lowered) { return seconds * 1000 }
        throw TesseraError(.invalidRequest, "\(flag) '\(text)': use a number with ms, s, m, h or d (e.g. 3h)")
    }

    /// `1MiB`, `512KiB`, `1GiB`, `1000`: bytes.
    public static func bytes(_ text: String, flag: String) throws(TesseraError) -> Int {
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1000), ("mb", 1_000_000), ("b", 1)]
        let lowered = text.lowercased()
        for (suffix, factor) in units where lowered.hasSuffix(suffix) {
            if let value = Int(lowered.dropLast(suffix.count)), value >= 0 { return value * factor }
        }
        if let value = Int(lowered), value >= 0 { return value }
        throw TesseraError(.invalidRequest, "\(flag) '\(text)': use a number of bytes, optionally with KiB, MiB or GiB (e.g. 1MiB)")
    }

    /// `strict`, `point-in-time`, `skip-corrupted`.
    public static func walRecovery(_ text: String) throws(TesseraError) -> WALRecoveryMode {
        guard let mode = WALRecoveryMode(rawValue: text.lowercased()) else {
            throw TesseraError(.invalidRequest, "unknown WAL recovery mode '\(text)': use strict, point-in-time or skip-corrupted")
        }
        return mode
    }

    /// `load-aware` (true) or `fixed` (false).
    public static func loadAwareReads(_ text: String) throws(TesseraError) -> Bool {
        switch text {
        case "load-aware": return true
        case "fixed": return false
        default: throw TesseraError(.invalidRequest, "unknown read replica choice '\(text)': use load-aware or fixed")
        }
    }
}
