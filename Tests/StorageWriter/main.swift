// A child process for the storage SIGKILL test: opens the engine with fsync=always and writes keys
// `start..<start+count`, printing each key's index on its own line (flushed) right after `put` returned,
// i.e. once the write is acknowledged as durable. The test kills it with SIGKILL at a random moment and
// checks that every printed key survived.
//
// Usage: tessera-storage-writer <directory> <start> <count>
import TesseraCore
import TesseraStorage

#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to a file descriptor with one unbuffered write(2) (stdout: 1, stderr: 2).
func emit(_ fd: Int32, _ line: String) {
    var bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
guard args.count == 4, let start = Int(args[2]), let count = Int(args[3]) else {
    emit(2, "usage: tessera-storage-writer <directory> <start> <count>")
    exit(2)
}

/// The value written for key `i` (the test recomputes it).
func value(_ i: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 64 + i % 200)
    var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    for j in out.indices {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        out[j] = UInt8(truncatingIfNeeded: x)
    }
    return out
}

func key(_ i: Int) -> [UInt8] {
    let s = String(i)
    return Array((String(repeating: "0", count: max(0, 12 - s.count)) + s).utf8)
}

var options = StorageOptions()
options.syncPolicy = .always
options.memtableSizeBytes = 64 << 10  // small: flushes and compactions happen while we are killed
options.levelOneMaxBytes = 256 << 10
options.targetFileSizeBytes = 64 << 10
do {
    let db = try StorageEngine.open(directory: args[1], options: options)
    for i in start..<(start + count) {
        let version = Version(timestamp: HLCTimestamp(physicalMillis: UInt64(i + 1), logical: 0), node: 1)
        try db.put(key(i), value(i), version: version)
        emit(1, String(i))
    }
    try db.close()
} catch {
    emit(2, "tessera-storage-writer: \(error)")
    exit(1)
}
