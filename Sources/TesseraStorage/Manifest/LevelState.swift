/// The live tables per level, as the manifest describes them: a pure value, changed only by applying edits.
///
/// Invariants: L0 files may overlap (sorted newest first by file number); files of L1 and deeper do not overlap
/// and are sorted by smallest key.
struct LevelState: Sendable, Equatable {
    var levels: [[FileMetadata]] = Array(repeating: [], count: LevelGeometry.levels)
    var logNumber: UInt64 = 0
    var nextFileNumber: UInt64 = 2

    /// Applies an edit. Throws if it removes a file that is not live or adds one twice (a corrupt manifest).
    mutating func apply(_ edit: VersionEdit, path: String = "manifest") throws(StorageError) {
        if let n = edit.logNumber { logNumber = n }
        if let n = edit.nextFileNumber { nextFileNumber = max(nextFileNumber, n) }
        for (level, number) in edit.removed {
            guard let i = levels[level].firstIndex(where: { $0.number == number }) else {
                throw .corruption(file: path, offset: 0, reason: "edit removes table \(number) not live in L\(level)")
            }
            levels[level].remove(at: i)
        }
        for (level, file) in edit.added {
            if levels.contains(where: { $0.contains(where: { $0.number == file.number }) }) {
                throw .corruption(file: path, offset: 0, reason: "edit adds table \(file.number) twice")
            }
            levels[level].append(file)
            nextFileNumber = max(nextFileNumber, file.number + 1)
        }
        levels[0].sort { $0.number > $1.number }
        for l in 1..<levels.count {
            levels[l].sort { $0.smallest.lexicographicallyPrecedes($1.smallest) }
        }
    }

    /// An edit that recreates this state from nothing (the first record of a new manifest).
    func snapshotEdit() -> VersionEdit {
        var edit = VersionEdit()
        edit.logNumber = logNumber
        edit.nextFileNumber = nextFileNumber
        for (level, files) in levels.enumerated() {
            for f in files { edit.added.append((level, f)) }
        }
        return edit
    }

    /// Every live table number.
    var liveNumbers: Set<UInt64> { Set(levels.joined().map(\.number)) }

    func totalBytes(_ level: Int) -> Int { levels[level].reduce(0) { $0 + $1.size } }
}

/// The shape of the level tree (LevelDB's).
enum LevelGeometry {
    /// Number of levels, L0 to L6.
    static let levels = 7
}
