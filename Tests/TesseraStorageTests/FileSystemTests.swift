import Testing
@testable import TesseraStorage

#if canImport(Glibc)
import Glibc
#endif

@Suite struct FileSystemTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case posix, memory, faultInjecting
        var testDescription: String { rawValue }
    }

    func make(_ kind: Kind) throws -> (any FileSystem, String) {
        switch kind {
        case .posix:
            let dir = T.tempDirectory("fs")
            try POSIXFileSystem().createDirectory(dir)
            return (POSIXFileSystem(), dir)
        case .memory: return (InMemoryFileSystem(), "/d")
        case .faultInjecting: return (FaultInjectingFileSystem(), "/d")
        }
    }

    @Test(arguments: Kind.allCases)
    func contractHoldsForEveryImplementation(kind: Kind) throws {
        let (fs, dir) = try make(kind)
        defer { if kind == .posix { removeTree(dir) } }
        try fs.createDirectory(dir)
        let path = dir + "/a.log"
        let w = try fs.openWritable(path, truncate: true)
        try w.append([1, 2, 3])
        try w.append([4, 5])
        #expect(w.size == 5)
        try w.sync()
        try w.close()
        #expect(fs.exists(path))
        #expect(try fs.fileSize(path) == 5)
        let r = try fs.openRandomAccess(path)
        #expect(r.size == 5)
        #expect(try r.read(at: 1, count: 3, path: path) == [2, 3, 4])
        #expect(throws: StorageError.self) { _ = try r.read(at: 3, count: 5, path: path) }
        r.close()
        let again = try fs.openWritable(path, truncate: false)
        #expect(again.size == 5)
        try again.append([6])
        try again.close()
        #expect(try fs.fileSize(path) == 6)
        try fs.truncate(path, to: 2)
        #expect(try fs.fileSize(path) == 2)
        try fs.rename(path, to: dir + "/b.log")
        try fs.syncDirectory(dir)
        #expect(!fs.exists(path))
        #expect(try fs.listDirectory(dir).sorted() == ["b.log"])
        try fs.removeFile(dir + "/b.log")
        #expect(try fs.listDirectory(dir).isEmpty)
        #expect(throws: StorageError.self) { _ = try fs.openRandomAccess(dir + "/missing") }
        #expect(throws: StorageError.self) { try fs.removeFile(dir + "/missing") }
    }

    @Test func crashDropsUnsyncedBytesAndKeepsSyncedOnes() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.openWritable("/d/f", truncate: true)
        try fs.syncDirectory("/d")
        try w.append([1, 2, 3])
        try w.sync()
        try w.append([4, 5, 6])
        let after = fs.crash()
        #expect(try after.fileSize("/d/f") == 3)
        // The crashed instance and its files are dead.
        #expect(throws: StorageError.self) { try w.append([7]) }
        #expect(throws: StorageError.self) { _ = try fs.openWritable("/d/g", truncate: true) }
    }

    @Test func tornWriteKeepsAPrefixOfTheUnsyncedBytes() throws {
        var sizes: Set<Int> = []
        for seed in 0..<20 {
            let fs = FaultInjectingFileSystem()
            try fs.createDirectory("/d")
            let w = try fs.openWritable("/d/f", truncate: true)
            try fs.syncDirectory("/d")
            try w.append([1, 2])
            try w.sync()
            try w.append([UInt8](repeating: 9, count: 100))
            let after = fs.crash(tornWriteSeed: UInt64(seed))
            let size = try after.fileSize("/d/f")
            #expect(size >= 2 && size <= 102)
            sizes.insert(size)
        }
        #expect(sizes.count > 1)
    }

    @Test func directoryEntriesNeedADirectorySync() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let a = try fs.openWritable("/d/a", truncate: true)
        try a.append([1])
        try a.sync()
        try fs.syncDirectory("/d")
        let c = try fs.openWritable("/d/c", truncate: true)
        try c.sync()
        try fs.syncDirectory("/d")
        // Not followed by a directory sync: a creation, a rename and a removal.
        let b = try fs.openWritable("/d/b", truncate: true)
        try b.append([2])
        try b.sync()
        try fs.rename("/d/c", to: "/d/c2")
        try fs.removeFile("/d/a")
        _ = b
        let after = fs.crash()
        let names = try after.listDirectory("/d").sorted()
        #expect(names == ["a", "c"])  // "b" was never made durable by a directory sync
        #expect(names.contains("a"))  // removal rolled back
        #expect(names.contains("c") && !names.contains("c2"))  // rename rolled back
    }

    @Test func fullDiskFailsAppendsWithENOSPCAfterTheBudget() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.openWritable("/d/f", truncate: true)
        fs.failAppendsAfter(bytes: 10)
        try w.append([UInt8](repeating: 1, count: 8))
        #expect(throws: StorageError.ioError(path: "/d/f", operation: "write", errno: ENOSPC)) {
            try w.append([UInt8](repeating: 2, count: 8))
        }
        #expect(w.size == 10)  // the part that fit was written, as write(2) would
        fs.failAppendsAfter(bytes: nil)
        try w.append([3])
        fs.setFailSyncs(true)
        #expect(throws: StorageError.self) { try w.sync() }
    }

    @Test func freezeStopsAtTheScheduledOperation() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.openWritable("/d/f", truncate: true)
        fs.freezeAfter(operations: 3)
        try w.append([1])
        try w.append([2])
        #expect(throws: StorageError.self) { try w.append([3]) }
        #expect(fs.isDead)
    }
}
