import NIOCore
import NIOEmbedded
import NIOPosix
import TesseraCore
@testable import TesseraNode
import TesseraStorage
import Testing

/// `LocalReplica` answers reads from memory in slices of `maxReadBytesPerSlice` of values, with a scheduled
/// pause between slices, so that one event-loop turn never copies an unbounded number of large values (the
/// loop also answers the failure detector's pings: docs/failure-detection.md, "Large values and the event loop").
@Suite struct LocalReplicaSliceTests {
    static let valueSize = 1 << 20

    /// An engine in a fresh directory with `count` values of 1 MiB in its memtable.
    func engine(directory: String, count: Int) throws -> StorageEngine {
        var options = StorageOptions()
        options.memtableSizeBytes = 64 << 20
        let engine = try StorageEngine.open(directory: directory, options: options)
        for i in 0..<count {
            try engine.put(
                Array("big-\(i)".utf8), [UInt8](repeating: UInt8(i), count: Self.valueSize),
                version: Version(timestamp: HLCTimestamp(physicalMillis: 1, logical: 0), node: 1))
        }
        return engine
    }

    @Test func largeMemoryReadsAreAnsweredInSlicesWithAPauseBetween() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let count = 20
        let engine = try engine(directory: directory, count: count)
        defer { try? engine.close() }
        let loop = EmbeddedEventLoop()
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { try? pool.syncShutdownGracefully() }
        let replica = LocalReplica(engine: engine, pool: pool, eventLoop: loop)
        var answered: [Int] = []
        for i in 0..<count {
            replica.read(Array("big-\(i)".utf8)) { result in
                guard case .success(let cell?) = result, cell.value?.first == UInt8(i),
                    cell.value?.count == Self.valueSize
                else {
                    Issue.record("read \(i) did not return its value: \(result)")
                    return
                }
                answered.append(i)
            }
        }
        let perSlice = replica.maxReadBytesPerSlice / Self.valueSize
        // The end of this tick: one slice, not all twenty.
        loop.run()
        #expect(answered == Array(0..<perSlice))
        // The rest waits for the pause: running ready tasks again answers nothing more.
        loop.run()
        #expect(answered.count == perSlice)
        var slices = 1
        while answered.count < count && slices < 2 * count {
            loop.advanceTime(by: LocalReplica.sliceYield)
            slices += 1
            #expect(answered.count <= slices * perSlice, "a slice answered more than \(perSlice) values")
        }
        #expect(answered == Array(0..<count), "every read answered once, in order")
        #expect(slices == (count + perSlice - 1) / perSlice)
        #expect(replica.memoryReads == count)
        #expect(replica.isIdle)
    }

    @Test func smallMemoryReadsAreAllAnsweredInOneTick() throws {
        let directory = makeTemporaryDirectory()
        defer { removeTree(directory) }
        let engine = try StorageEngine.open(directory: directory)
        defer { try? engine.close() }
        for i in 0..<1000 {
            try engine.put(
                Array("k\(i)".utf8), [UInt8](repeating: 7, count: 100),
                version: Version(timestamp: HLCTimestamp(physicalMillis: 1, logical: 0), node: 1))
        }
        let loop = EmbeddedEventLoop()
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { try? pool.syncShutdownGracefully() }
        let replica = LocalReplica(engine: engine, pool: pool, eventLoop: loop)
        var answered = 0
        for i in 0..<1000 {
            replica.read(Array("k\(i)".utf8)) { result in
                if case .success(let cell?) = result, cell.value?.count == 100 { answered += 1 }
            }
        }
        loop.run()
        #expect(answered == 1000)
    }
}
