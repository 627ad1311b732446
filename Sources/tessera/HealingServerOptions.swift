import ArgumentParser
import TesseraCore
import TesseraNode

/// The hinted-handoff and repair flags of `tessera server` (docs/healing.md).
struct HealingServerOptions: ParsableArguments {
    @Option(
        name: .customLong("hint-window"),
        help: ArgumentHelp("Hints older than this are dropped instead of replayed (e.g. 3h, 90s, 500ms).", valueName: "duration")
    )
    var hintWindow = "3h"

    @Option(
        name: .customLong("hint-throttle"),
        help: ArgumentHelp(
            "Replay budget towards one returning node, bytes per second (e.g. 1MiB, 512KiB; 0 = unthrottled); each node replays at its share: this divided by the other members.",
            valueName: "bytes"
        )
    )
    var hintThrottle = "1MiB"

    @Option(
        name: .customLong("hint-max-per-target"),
        help: ArgumentHelp("Pending hint bytes kept per target; more are dropped and counted (e.g. 256MiB).", valueName: "bytes")
    )
    var hintMaxPerTarget = "256MiB"

    @Option(
        name: .customLong("repair-interval"),
        help: ArgumentHelp("Background anti-entropy repair of this node's ranges every this long (e.g. 24h); 0 turns it off.", valueName: "duration")
    )
    var repairInterval = "24h"

    @Option(name: .customLong("repair-depth"), help: ArgumentHelp("Merkle tree depth per token range (2^depth leaves, 0-16).", valueName: "n"))
    var repairDepth = 10

    @Option(
        name: .customLong("tombstone-grace"),
        help: ArgumentHelp(
            "Tombstones are purged by compaction after this long (e.g. 10d); a node down longer must be rebuilt, not repaired.",
            valueName: "duration"
        )
    )
    var tombstoneGrace = "10d"

    /// Applies the flags; `ValidationError` saying which one is wrong.
    func apply(to config: inout NodeConfiguration) throws(TesseraError) {
        config.hintWindowMillis = try Self.millis(hintWindow, flag: "--hint-window")
        config.hintThrottleBytesPerSecond = try Self.bytes(hintThrottle, flag: "--hint-throttle")
        config.hintMaxBytesPerTarget = try Self.bytes(hintMaxPerTarget, flag: "--hint-max-per-target")
        config.repair.intervalSeconds = Int(try Self.millis(repairInterval, flag: "--repair-interval") / 1000)
        guard (0...16).contains(repairDepth) else { throw TesseraError(.invalidRequest, "--repair-depth \(repairDepth): use 0 to 16") }
        config.repair.depth = repairDepth
        config.storageOptions.tombstoneGracePeriodSeconds = try Self.millis(tombstoneGrace, flag: "--tombstone-grace") / 1000
        // A hint replayed after the tombstones newer than it were purged would bring deleted data back.
        guard config.hintWindowMillis < config.storageOptions.tombstoneGracePeriodSeconds &* 1000 else {
            throw TesseraError(
                .invalidRequest,
                "--hint-window (\(hintWindow)) must be shorter than --tombstone-grace (\(tombstoneGrace)): a hint replayed after "
                    + "newer tombstones were purged would bring deleted data back"
            )
        }
    }

    /// `500ms`, `90s`, `5m`, `3h`, `10d`, or a bare number of seconds.
    static func millis(_ text: String, flag: String) throws(TesseraError) -> UInt64 {
        let units: [(String, UInt64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let lowered = text.lowercased()
        for (suffix, factor) in units where lowered.hasSuffix(suffix) {
            if let value = UInt64(lowered.dropLast(suffix.count)) { return value * factor }
        }
        if let seconds = UInt64(lowered) { return seconds * 1000 }
        throw TesseraError(.invalidRequest, "\(flag) '\(text)': use a number with ms, s, m, h or d (e.g. 3h)")
    }

    /// `1MiB`, `512KiB`, `1GiB`, `1000`: bytes.
    static func bytes(_ text: String, flag: String) throws(TesseraError) -> Int {
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1000), ("mb", 1_000_000), ("b", 1)]
        let lowered = text.lowercased()
        for (suffix, factor) in units where lowered.hasSuffix(suffix) {
            if let value = Int(lowered.dropLast(suffix.count)), value >= 0 { return value * factor }
        }
        if let value = Int(lowered), value >= 0 { return value }
        throw TesseraError(.invalidRequest, "\(flag) '\(text)': use a number of bytes, optionally with KiB, MiB or GiB (e.g. 1MiB)")
    }
}
