/// How an SSTable compresses its data blocks. The choice is recorded per block (the trailer's type byte), so
/// a reader handles any mix.
public enum Compression: UInt8, Sendable, Hashable {
    /// Blocks are stored as they are.
    case none = 0
    /// Blocks are compressed with LZ4 (block format) when that saves at least 1/8 of their size.
    case lz4 = 1
}
