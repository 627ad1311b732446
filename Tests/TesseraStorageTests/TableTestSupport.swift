import Synchronization
import TesseraCore
@testable import TesseraStorage

/// An in-memory file for table tests: appends collect bytes; `reader()` gives a positioned-read view.
final class TableTestWritableFile: WritableFile {
    var bytes: [UInt8] = []
    var syncCount = 0
    func append(_ raw: UnsafeRawBufferPointer) throws(StorageError) { bytes.append(contentsOf: raw) }
    func sync() throws(StorageError) { syncCount += 1 }
    func close() throws(StorageError) {}
    var size: Int { bytes.count }
}

/// Immutable bytes read with positioned reads; counts reads so tests can see the block cache working.
final class TableTestReadFile: RandomAccessFile {
    let bytes: [UInt8]
    private let reads = Atomic<Int>(0)
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StorageError) -> Int {
        reads.add(1, ordering: .relaxed)
        guard offset >= 0, offset <= bytes.count else { return 0 }
        let n = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { src in
            if n > 0 { buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n) }
        }
        return n
    }
    var size: Int { bytes.count }
    var readCount: Int { reads.load(ordering: .relaxed) }
    func close() {}
}

/// A sorted array as a StorageIterator (for merge tests).
struct MergeTestIterator: StorageIterator {
    let entries: [([UInt8], Cell)]
    var position: Int
    init(_ entries: [([UInt8], Cell)]) {
        self.entries = entries
        position = entries.count
    }
    mutating func seekToFirst() throws(StorageError) { position = 0 }
    mutating func seek(_ key: [UInt8]) throws(StorageError) {
        position = entries.firstIndex { !KeyComparison.less($0.0, key) } ?? entries.count
    }
    var isValid: Bool { position < entries.count }
    var key: [UInt8] { entries[position].0 }
    var cell: Cell { entries[position].1 }
    mutating func next() throws(StorageError) { position += 1 }
}


func tkey(_ s: String) -> [UInt8] { Array(s.utf8) }

func tversion(_ t: UInt64, node: UInt32 = 1) -> Version { Version(timestamp: HLCTimestamp(rawValue: t), node: node) }

/// Builds a table from sorted entries; returns the file bytes and the properties.
func buildTable(_ entries: [([UInt8], Cell)], options: TableOptions = TableOptions()) throws -> ([UInt8], TableProperties) {
    let file = TableTestWritableFile()
    var builder = TableBuilder(file: file, path: "test.sst", options: options)
    for (k, c) in entries { try builder.add(k, c) }
    let props = try builder.finish()
    return (file.bytes, props)
}

func openTable(_ bytes: [UInt8], cache: BlockCache? = nil, fileNumber: UInt64 = 1) throws -> TableReader {
    try TableReader.open(file: TableTestReadFile(bytes), path: "test.sst", fileNumber: fileNumber, cache: cache)
}

/// `n` sorted entries with keys "key%08d" (step 2) and text-like values of varying size; every 10th a tombstone.
func sampleEntries(_ n: Int, valueSize: Int = 100, seed: UInt64 = 1) -> [([UInt8], Cell)] {
    var rng = SplitMix64(seed: seed)
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz ".utf8)
    return (0..<n).map { i in
        let k = tkey("key" + String(repeating: "0", count: max(0, 8 - String(i * 2).count)) + String(i * 2))
        if i % 10 == 9 { return (k, Cell.tombstone(tversion(UInt64(i) + 1))) }
        // Half random letters, repeated once (compresses to about half, like db_bench values).
        let len = valueSize / 2 + Int(rng.next() % UInt64(valueSize))
        let half = (0..<(len + 1) / 2).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        let v = Array((half + half).prefix(len))
        return (k, Cell(version: tversion(UInt64(i) + 1, node: UInt32(i % 3)), value: v))
    }
}
