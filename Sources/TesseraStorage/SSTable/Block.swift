/// A parsed, immutable block (data, index or properties): the bytes plus the position of its restart array.
///
/// `data` may be longer than the block (a block read with its trailer keeps the trailer bytes at the end);
/// only the first `size` bytes are the block. A plain struct around one array, so cache hits cost a retain.
struct Block: Sendable {
    let data: [UInt8]
    /// Bytes of the block proper (entries + restarts + count).
    let size: Int
    /// Offset of the restart array: entries live in `0..<restartsOffset`.
    let restartsOffset: Int
    let numRestarts: Int

    /// Validates the restart array; nil (with a reason) if it cannot be a block.
    static func parse(_ data: [UInt8], size: Int) -> Result<Block, BlockCorruption> {
        guard size >= 4, size <= data.count else {
            return .failure(BlockCorruption(offset: 0, reason: "block of \(size) bytes is too short for a restart count"))
        }
        let n = Int(UInt32(littleEndian: data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: size - 4, as: UInt32.self) }))
        let maxRestarts = (size - 4) / 4
        guard n >= 1, n <= maxRestarts else {
            return .failure(BlockCorruption(offset: size - 4, reason: "block claims \(n) restart points; at most \(maxRestarts) fit"))
        }
        return .success(Block(data: data, size: size, restartsOffset: size - 4 - 4 * n, numRestarts: n))
    }

    private init(data: [UInt8], size: Int, restartsOffset: Int, numRestarts: Int) {
        self.data = data
        self.size = size
        self.restartsOffset = restartsOffset
        self.numRestarts = numRestarts
    }

    /// Bytes this block holds in memory (what the block cache charges).
    var charge: Int { data.capacity + 64 }

    /// True if the block has no entries.
    var isEmpty: Bool { restartsOffset == 0 }
}

/// A format error inside a block whose checksum matched (a writer bug, or a block that is not one).
struct BlockCorruption: Error {
    /// Offset inside the block.
    let offset: Int
    let reason: String
}
