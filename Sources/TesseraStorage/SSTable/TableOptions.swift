/// How an SSTable is laid out. Readers need none of this: every choice is recorded in the file.
public struct TableOptions: Sendable, Hashable {
    /// Target uncompressed size of a data block, in bytes (a block closes once it reaches this size).
    public var blockSize = 4096
    /// Entries between restart points in data blocks (keys at restart points are stored whole).
    public var restartInterval = 16
    /// Bloom filter bits per key; 0 writes no filter. 10 gives about 0.8% false positives.
    public var bloomBitsPerKey = 10
    /// Block compression.
    public var compression: Compression = .lz4

    public init(blockSize: Int = 4096, restartInterval: Int = 16, bloomBitsPerKey: Int = 10, compression: Compression = .lz4) {
        self.blockSize = blockSize
        self.restartInterval = restartInterval
        self.bloomBitsPerKey = bloomBitsPerKey
        self.compression = compression
    }
}
