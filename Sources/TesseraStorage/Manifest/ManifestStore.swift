/// The manifest on disk: `CURRENT` names the live `MANIFEST-NNNNNN`, a log (same record framing as the WAL)
/// of `VersionEdit`s. A new manifest is written at every open (a snapshot edit) and `CURRENT` is switched
/// atomically: written to `CURRENT.tmp`, synced, renamed, directory synced.
///
/// Edits are appended and synced before the engine uses the tables they add or deletes the files they remove,
/// so a crash at any moment leaves the old table set or the new one.
final class ManifestStore {
    let fileSystem: any FileSystem
    let directory: String
    private(set) var number: UInt64
    private var writer: LogWriter
    /// Bytes written to manifests (statistics).
    private(set) var bytesWritten = 0

    static func fileName(_ number: UInt64) -> String { "MANIFEST-" + FileNames.pad(number) }

    /// Creates `MANIFEST-number` holding `state` and makes `CURRENT` point to it.
    init(fileSystem: any FileSystem, directory: String, number: UInt64, state: LevelState) throws(StorageError) {
        self.fileSystem = fileSystem
        self.directory = directory
        self.number = number
        let path = directory + "/" + Self.fileName(number)
        writer = LogWriter(file: try fileSystem.openWritable(path, truncate: true), path: path)
        let snapshot = state.snapshotEdit().encode()
        writer.add(snapshot)
        try writer.sync()
        bytesWritten += snapshot.count + LogFormat.headerSize
        try Self.setCurrent(fileSystem: fileSystem, directory: directory, manifestNumber: number)
    }

    /// Appends an edit and syncs it.
    func log(_ edit: VersionEdit) throws(StorageError) {
        let bytes = edit.encode()
        writer.add(bytes)
        try writer.sync()
        bytesWritten += bytes.count + LogFormat.headerSize
    }

    func close() throws(StorageError) { try writer.close() }

    static func setCurrent(fileSystem: any FileSystem, directory: String, manifestNumber: UInt64) throws(StorageError) {
        let tmp = directory + "/CURRENT.tmp"
        let file = try fileSystem.openWritable(tmp, truncate: true)
        try file.append(Array((fileName(manifestNumber) + "\n").utf8))
        try file.sync()
        try file.close()
        try fileSystem.rename(tmp, to: directory + "/CURRENT")
        try fileSystem.syncDirectory(directory)
    }

    /// Reads `CURRENT` and replays the manifest it names. Returns nil if the directory holds no database.
    static func recover(fileSystem: any FileSystem, directory: String) throws(StorageError) -> (LevelState, UInt64)? {
        let currentPath = directory + "/CURRENT"
        guard fileSystem.exists(currentPath) else {
            let names = try fileSystem.listDirectory(directory)
            if let stray = names.first(where: { $0.hasPrefix("MANIFEST-") || $0.hasSuffix(".sst") }) {
                throw .corruption(
                    file: currentPath, offset: 0,
                    reason: "CURRENT is missing but the directory holds database files (\(stray))")
            }
            return nil
        }
        let file = try fileSystem.openRandomAccess(currentPath)
        let content = try file.read(at: 0, count: file.size, path: currentPath)
        file.close()
        let text = String(decoding: content, as: UTF8.self)
        guard text.hasPrefix("MANIFEST-"), text.hasSuffix("\n"),
              let number = UInt64(text.dropFirst("MANIFEST-".count).dropLast())
        else {
            throw .corruption(file: currentPath, offset: 0, reason: "CURRENT does not name a manifest")
        }
        let manifestPath = directory + "/" + fileName(number)
        guard fileSystem.exists(manifestPath) else {
            throw .corruption(file: manifestPath, offset: 0, reason: "the manifest named by CURRENT is missing")
        }
        var state = LevelState()
        var records = 0
        var offset = 0
        _ = try LogReader.read(fileSystem: fileSystem, path: manifestPath, strict: true) { payload throws(StorageError) in
            let edit = try VersionEdit.decode(payload, path: manifestPath, offset: offset)
            try state.apply(edit, path: manifestPath)
            records += 1
            offset += payload.count + LogFormat.headerSize
        }
        if records == 0 {
            throw .corruption(file: manifestPath, offset: 0, reason: "the manifest holds no complete edit")
        }
        return (state, number)
    }
}

/// File naming, as LevelDB: 000005.log, 000007.sst, MANIFEST-000002, CURRENT.
enum FileNames {
    static func pad(_ n: UInt64) -> String {
        let s = String(n)
        return s.count >= 6 ? s : String(repeating: "0", count: 6 - s.count) + s
    }

    static func log(_ n: UInt64) -> String { pad(n) + ".log" }
    static func table(_ n: UInt64) -> String { pad(n) + ".sst" }

    enum Kind: Equatable { case log(UInt64), table(UInt64), manifest(UInt64), current, temp, other }

    static func parse(_ name: String) -> Kind {
        if name == "CURRENT" { return .current }
        if name.hasSuffix(".tmp") { return .temp }
        if name.hasPrefix("MANIFEST-"), let n = UInt64(name.dropFirst(9)) { return .manifest(n) }
        if name.hasSuffix(".log"), let n = UInt64(name.dropLast(4)) { return .log(n) }
        if name.hasSuffix(".sst"), let n = UInt64(name.dropLast(4)) { return .table(n) }
        return .other
    }
}
