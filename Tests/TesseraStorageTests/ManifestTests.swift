import Testing
@testable import TesseraStorage

@Suite struct ManifestTests {
    func file(_ n: UInt64, _ a: String, _ b: String, size: Int = 1000) -> FileMetadata {
        FileMetadata(number: n, size: size, smallest: Array(a.utf8), largest: Array(b.utf8), entryCount: 10)
    }

    @Test func versionEditRoundTrips() throws {
        var e = VersionEdit()
        e.logNumber = 12
        e.nextFileNumber = 40
        e.added = [(0, file(7, "a", "m")), (3, file(9, "", "zz"))]
        e.removed = [(1, 4), (2, 5)]
        let bytes = e.encode()
        let back = try bytes.withUnsafeBytes { try VersionEdit.decode($0, path: "M", offset: 0) }
        #expect(back == e)
    }

    @Test func truncatedOrUnknownEditIsCorruption() {
        var e = VersionEdit()
        e.added = [(0, file(7, "a", "m"))]
        let bytes = e.encode()
        #expect(throws: StorageError.self) {
            _ = try Array(bytes.dropLast()).withUnsafeBytes { try VersionEdit.decode($0, path: "M", offset: 0) }
        }
        #expect(throws: StorageError.self) {
            _ = try [UInt8(99)].withUnsafeBytes { try VersionEdit.decode($0, path: "M", offset: 0) }
        }
    }

    @Test func levelStateAppliesEditsAndKeepsOrder() throws {
        var s = LevelState()
        var e1 = VersionEdit()
        e1.added = [(0, file(3, "a", "c")), (0, file(5, "b", "d")), (1, file(4, "m", "p")), (1, file(2, "e", "g"))]
        try s.apply(e1)
        #expect(s.levels[0].map(\.number) == [5, 3])
        #expect(s.levels[1].map(\.number) == [2, 4])
        #expect(s.nextFileNumber == 6)
        var e2 = VersionEdit()
        e2.removed = [(0, 3), (0, 5), (1, 2)]
        e2.added = [(1, file(8, "a", "g"))]
        e2.logNumber = 9
        try s.apply(e2)
        #expect(s.levels[0].isEmpty)
        #expect(s.levels[1].map(\.number) == [8, 4])
        #expect(s.logNumber == 9)
        var replay = LevelState()
        try replay.apply(s.snapshotEdit())
        #expect(replay == s)
    }

    @Test func removingAnUnknownTableIsCorruption() {
        var s = LevelState()
        var e = VersionEdit()
        e.removed = [(1, 77)]
        #expect(throws: StorageError.self) { try s.apply(e) }
    }

    @Test func manifestStoreRecoversTheLastEditAndIgnoresATornTail() throws {
        let fs = InMemoryFileSystem()
        try fs.createDirectory("/db")
        var s = LevelState()
        let store = try ManifestStore(fileSystem: fs, directory: "/db", number: 2, state: s)
        var e = VersionEdit()
        e.added = [(0, file(3, "a", "c"))]
        try store.log(e)
        try s.apply(e)
        let path = "/db/MANIFEST-000002"
        let size = try fs.fileSize(path)
        let w = try fs.openWritable(path, truncate: false)
        try w.append([1, 2, 3, 4, 5])  // a torn record
        let recovered = try #require(try ManifestStore.recover(fileSystem: fs, directory: "/db"))
        #expect(recovered.0 == s)
        #expect(recovered.1 == 2)
        #expect(size > 0)
    }

    @Test func currentMissingWithDataFilesIsAnError() throws {
        let fs = InMemoryFileSystem()
        try fs.createDirectory("/db")
        _ = try ManifestStore(fileSystem: fs, directory: "/db", number: 2, state: LevelState())
        try fs.removeFile("/db/CURRENT")
        #expect(throws: StorageError.self) { _ = try ManifestStore.recover(fileSystem: fs, directory: "/db") }
    }

    @Test func fileNamesParse() {
        #expect(FileNames.parse("000005.log") == .log(5))
        #expect(FileNames.parse("000123.sst") == .table(123))
        #expect(FileNames.parse("MANIFEST-000002") == .manifest(2))
        #expect(FileNames.parse("CURRENT") == .current)
        #expect(FileNames.parse("CURRENT.tmp") == .temp)
        #expect(FileNames.parse("notes.txt") == .other)
        #expect(FileNames.table(7) == "000007.sst")
    }
}
