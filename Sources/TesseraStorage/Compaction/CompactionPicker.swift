/// What one compaction will do: merge `inputs` (from `level`) with the overlapping `nextInputs` (from
/// `outputLevel`) into new tables at `outputLevel`. A trivial move re-links a single file one level down.
struct CompactionPlan: Sendable, Equatable {
    var level: Int
    var outputLevel: Int
    var inputs: [FileMetadata]
    var nextInputs: [FileMetadata]
    var isTrivialMove: Bool
    /// A manual full compaction: `inputs` are every table of every level.
    var isFull = false

    var allInputs: [FileMetadata] { inputs + nextInputs }
}

/// Leveled compaction as LevelDB: L0 compacts when it has `level0Trigger` files; level L >= 1 compacts when it
/// holds more than `levelOneMaxBytes * 10^(L-1)` bytes; the level with the highest score goes first. A pure
/// function of the level state, tested on its own.
struct CompactionPicker: Sendable {
    var level0Trigger: Int
    var levelOneMaxBytes: Int

    /// Size limit of level `level` >= 1.
    func maxBytes(forLevel level: Int) -> Int {
        var limit = levelOneMaxBytes
        for _ in 1..<max(1, level) { limit *= 10 }
        return limit
    }

    /// The score of each level (>= 1 means it needs compaction). The last level never compacts.
    func scores(_ state: LevelState) -> [Double] {
        var out = [Double(state.levels[0].count) / Double(level0Trigger)]
        for level in 1..<(LevelGeometry.levels - 1) {
            out.append(Double(state.totalBytes(level)) / Double(maxBytes(forLevel: level)))
        }
        return out
    }

    /// The next compaction, or nil if every level is within its limits. `compactPointers[level]` is the
    /// largest key of the previous compaction at that level: files are taken round-robin after it.
    func pick(_ state: LevelState, compactPointers: [[UInt8]?]) -> CompactionPlan? {
        let scores = scores(state)
        guard let best = scores.indices.max(by: { scores[$0] < scores[$1] }), scores[best] >= 1 else { return nil }
        let level = best
        var inputs: [FileMetadata]
        if level == 0 {
            // L0 files may overlap each other: take them all.
            inputs = state.levels[0]
        } else {
            let files = state.levels[level]
            let pointer = compactPointers[level]
            let pickIndex = files.firstIndex { f in pointer.map { $0.lexicographicallyPrecedes(f.largest) } ?? true } ?? 0
            inputs = [files[pickIndex]]
        }
        let (start, end) = Self.range(of: inputs)
        let nextInputs = state.levels[level + 1].filter { $0.overlaps(start, end) }
        let trivial = inputs.count == 1 && nextInputs.isEmpty
        return CompactionPlan(level: level, outputLevel: level + 1, inputs: inputs, nextInputs: nextInputs,
                              isTrivialMove: trivial)
    }

    /// A full compaction: every table of every level into one sorted run at the shallowest level >= 1 large
    /// enough to hold it.
    func pickAll(_ state: LevelState) -> CompactionPlan? {
        let all = state.levels.joined()
        guard !all.isEmpty else { return nil }
        let total = all.reduce(0) { $0 + $1.size }
        var output = 1
        while output < LevelGeometry.levels - 1 && total > maxBytes(forLevel: output) { output += 1 }
        return CompactionPlan(level: 0, outputLevel: output, inputs: Array(all), nextInputs: [], isTrivialMove: false,
                              isFull: true)
    }

    /// The smallest and largest key of a set of files.
    static func range(of files: [FileMetadata]) -> ([UInt8], [UInt8]) {
        var start = files[0].smallest
        var end = files[0].largest
        for f in files.dropFirst() {
            if f.smallest.lexicographicallyPrecedes(start) { start = f.smallest }
            if end.lexicographicallyPrecedes(f.largest) { end = f.largest }
        }
        return (start, end)
    }
}
