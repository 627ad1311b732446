import Logging
import NIOCore
import NIOPosix
import TesseraCluster
import TesseraCore
import TesseraWire
import Testing

@testable import TesseraNode

#if canImport(Glibc)
    import Glibc
#endif

/// The SQLite hint store on real files: round trips, restart, batching, corruption, a full database.
@Suite struct HintStoreTests {
    static func hint(_ target: String, _ i: Int, value: [UInt8]? = [1, 2, 3], created: UInt64 = 1_000) -> Hint {
        Hint(
            target: NodeID(target),
            key: Array("key-\(i)".utf8),
            cell: Cell(version: Version(timestamp: HLCTimestamp(physicalMillis: 5_000 + UInt64(i), logical: 3), node: 0xABCD_0123), value: value),
            createdMillis: created + UInt64(i)
        )
    }

    @Test func hintsRoundTripOldestFirstPerTargetWithTombstonesAndEmptyValues() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let store = try HintStore(path: directory + "/hints.sqlite")
        let hints = [
            Self.hint("n2", 0), Self.hint("n3", 1), Self.hint("n2", 2, value: nil), Self.hint("n2", 3, value: []),
            Self.hint("n2", 4, value: Array(repeating: 0xEE, count: 100_000)),
        ]
        try store.insert(hints)
        let loaded = try store.load(target: NodeID("n2"), afterID: 0, limit: 10)
        #expect(loaded.map(\.hint) == [hints[0], hints[2], hints[3], hints[4]])
        #expect(loaded[1].hint.cell.isTombstone)
        #expect(loaded[2].hint.cell.value == [])
        #expect(loaded.map(\.id) == loaded.map(\.id).sorted())
        let page = try store.load(target: NodeID("n2"), afterID: loaded[1].id, limit: 1)
        #expect(page.map(\.hint) == [hints[3]])
        try store.delete(ids: [loaded[0].id, loaded[1].id])
        let pending = try store.pending()
        #expect(pending[NodeID("n2")]?.hints == 2 && pending[NodeID("n3")]?.hints == 1)
        #expect(pending[NodeID("n2")]?.bytes == hints[3].byteSize + hints[4].byteSize)
    }

    @Test func hintsSurviveARestartAndIDsKeepGrowing() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/hints.sqlite"
        var firstIDs: [Int64] = []
        do {
            let store = try HintStore(path: path)
            try store.insert((0..<50).map { Self.hint("n4", $0) })
            firstIDs = try store.load(target: NodeID("n4"), afterID: 0, limit: 100).map(\.id)
            try store.delete(ids: Array(firstIDs.suffix(10)))  // the newest ten replayed
            try store.recordAlive(123_456)
            store.close()
        }
        let reopened = try HintStore(path: path)
        let loaded = try reopened.load(target: NodeID("n4"), afterID: 0, limit: 100)
        #expect(loaded.map(\.hint) == (0..<40).map { Self.hint("n4", $0) })
        #expect(try reopened.lastAliveMillis() == 123_456)
        // AUTOINCREMENT: a deleted id is never reused, so "oldest first" stays true across restarts.
        try reopened.insert([Self.hint("n4", 99)])
        let newest = try reopened.load(target: NodeID("n4"), afterID: loaded.last!.id, limit: 10)
        #expect(newest.count == 1 && newest[0].id > firstIDs.last!)
    }

    @Test func expiredHintsAreDeletedAndCountedPerTarget() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let store = try HintStore(path: directory + "/hints.sqlite")
        try store.insert((0..<10).map { Self.hint("n2", $0, created: 1000) } + (0..<4).map { Self.hint("n3", $0, created: 1000) })
        let removed = try store.deleteExpired(createdBeforeMillis: 1005)  // created 1000...1009
        #expect(removed[NodeID("n2")]?.hints == 5 && removed[NodeID("n3")]?.hints == 4)
        #expect(try store.pending()[NodeID("n2")]?.hints == 5)
        #expect(try store.pending()[NodeID("n3")] == nil)
    }

    @Test func concurrentStoresShareTransactions() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let service = HintService(path: directory + "/hints.sqlite", log: Logger(label: "test"))
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let futures = (0..<400).map { service.store([Self.hint("n2", $0)], on: loop) }
        for future in futures { try await future.get() }
        let counts = service.insertCounts
        #expect(counts.hints == 400)
        #expect(counts.transactions < 400, "\(counts.transactions) transactions for 400 stores")
        #expect(service.pending()[NodeID("n2")]?.hints == 400)
        #expect(service.problem == nil)
        service.close()
    }

    @Test func aCorruptFileIsMovedAsideWithAClearProblemAndAFreshStoreWorks() async throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/hints.sqlite"
        let garbage = [UInt8](repeating: 0x5A, count: 8192)
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        #expect(write(fd, garbage, garbage.count) == garbage.count)
        close(fd)
        let service = HintService(path: path, log: Logger(label: "test"))
        let problem = try #require(service.problem)
        #expect(problem.contains("corrupt") && problem.contains("moved it to"))
        let entries = try listDirectory(directory)
        #expect(entries.contains { $0.hasPrefix("hints.sqlite.corrupt-") })
        try await service.store([Self.hint("n2", 1)], on: MultiThreadedEventLoopGroup.singleton.next()).get()
        #expect(service.pending()[NodeID("n2")]?.hints == 1)
        #expect(service.problem?.contains("corrupt") == true)  // stays visible: hints were lost
        service.close()
    }

    @Test func aDamagedPageIsFoundByTheIntegrityCheck() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/hints.sqlite"
        do {
            let store = try HintStore(path: path)
            try store.insert((0..<2000).map { Self.hint("n2", $0, value: Array(repeating: UInt8($0 % 251), count: 200)) })
            try store.delete(ids: [1])
            store.close()  // checkpoints the WAL into the main file
        }
        // Overwrite the middle of the file (inside table and index pages, after the header page).
        let fd = open(path, O_WRONLY)
        let junk = [UInt8](repeating: 0xFF, count: 4096 * 8)
        #expect(pwrite(fd, junk, junk.count, 4096 * 20) == junk.count)
        close(fd)
        let service = HintService(path: path, log: Logger(label: "test"))
        let problem = try #require(service.problem)
        #expect(problem.contains("corrupt"), "\(problem)")
        service.close()
    }

    @Test func aFullDatabaseSaysDiskFull() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let db = try SQLiteDatabase(path: directory + "/full.sqlite")
        try db.execute("CREATE TABLE t(v BLOB)")
        try db.execute("PRAGMA max_page_count = 8")  // SQLite answers SQLITE_FULL beyond 8 pages
        var failure: SQLiteError?
        for _ in 0..<100 {
            do throws(SQLiteError) { try db.execute("INSERT INTO t(v) VALUES (?)", [.blob(Array(repeating: 1, count: 4000))]) } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure)
        #expect(error.kind == .diskFull)
        #expect(error.message.contains("disk full"), "\(error.message)")
        #expect(!error.message.contains("disk I/O error"))
    }
}

func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw TesseraError(.storage, "cannot list \(path)") }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

@Suite struct HintStoreFailureNodeTests {
    @Test(.timeLimit(.minutes(1)))
    func aNodeWhoseHintStoreCannotOpenKeepsServingAndSaysWhy() async throws {
        try await TestCluster.with(size: 3) { cluster in
            try await cluster.stopNode(0)
            // Make the hint database unusable: a directory where the file should be.
            let path = cluster.configuration(0).dataDirectory + "/hints.sqlite"
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            #expect(mkdir(path, 0o755) == 0)
            try await cluster.startNode(0)
            try await cluster.waitUntilAllUp()
            let connection = try await cluster.connect(0)
            defer { connection.close() }
            // Reads and writes through that node are served and acknowledged per their level.
            for i in 0..<20 {
                guard case .writeResult = try await connection.put("k\(i)", "v\(i)", .quorum) else {
                    Issue.record("write \(i) was not acknowledged")
                    return
                }
                #expect(try value(of: try await connection.get("k\(i)", .quorum)) == "v\(i)")
            }
            guard case .healing(.hintStatsResult(let stats)) = try await connection.response(to: .healing(.hintStats), timeout: .seconds(5)) else {
                Issue.record("no HINT_STATS_RESULT")
                return
            }
            #expect(stats.problem.contains("hint store") && stats.problem.contains(path), "\(stats.problem)")
            let status = try await cluster.status(0)
            #expect(status.counters.contains(WireCounter(name: "hintStoreFailed", value: 1)))
        }
    }
}
