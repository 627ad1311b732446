import ArgumentParser
import TesseraNode

/// The hinted-handoff and repair flags of `tessera server` (docs/healing.md); their config-file keys and
/// checks are in `ServerSettings`.
struct HealingServerOptions: ParsableArguments {
    @Option(
        name: .customLong("hint-window"),
        help: ArgumentHelp("Hints older than this are dropped instead of replayed (e.g. 3h, 90s, 500ms). Default 3h.", valueName: "duration")
    )
    var hintWindow: String?

    @Option(
        name: .customLong("hint-throttle"),
        help: ArgumentHelp(
            "Replay budget towards one returning node, bytes per second (e.g. 1MiB, 512KiB; 0 = unthrottled); each node replays at its share: this divided by the other members. Default 1MiB.",
            valueName: "bytes"
        )
    )
    var hintThrottle: String?

    @Option(
        name: .customLong("hint-max-per-target"),
        help: ArgumentHelp("Pending hint bytes kept per target; more are dropped and counted. Default 256MiB.", valueName: "bytes")
    )
    var hintMaxPerTarget: String?

    @Option(
        name: .customLong("repair-interval"),
        help: ArgumentHelp("Background anti-entropy repair of this node's ranges every this long (e.g. 24h); 0 turns it off. Default 24h.", valueName: "duration")
    )
    var repairInterval: String?

    @Option(name: .customLong("repair-depth"), help: ArgumentHelp("Merkle tree depth per token range (2^depth leaves, 0-16). Default 10.", valueName: "n"))
    var repairDepth: Int?

    @Option(
        name: .customLong("tombstone-grace"),
        help: ArgumentHelp(
            "Tombstones are purged by compaction after this long (e.g. 10d); a node down longer must be rebuilt, not repaired. Default 10d.",
            valueName: "duration"
        )
    )
    var tombstoneGrace: String?
}

extension HealingServerOptions {
    /// Copies the flags that were given into `settings`.
    func fill(_ settings: inout ServerSettings) {
        settings.hintWindow = hintWindow
        settings.hintThrottle = hintThrottle
        settings.hintMaxPerTarget = hintMaxPerTarget
        settings.repairInterval = repairInterval
        settings.repairDepth = repairDepth
        settings.tombstoneGrace = tombstoneGrace
    }
}
