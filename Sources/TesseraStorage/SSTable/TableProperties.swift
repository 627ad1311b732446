public import TesseraCore

/// What a finished SSTable holds, written into its properties block and returned by `TableBuilder.finish()`
/// and `TableReader.properties`.
///
/// Stored form (the properties block's contents, all varints unless noted):
/// `entryCount, tombstoneCount, dataBlockCount, rawKeyBytes, rawValueBytes`, then `smallestKey` and
/// `largestKey` (varint length + bytes), then `minVersion` and `maxVersion` (12 bytes each: UInt64 LE
/// timestamp + UInt32 LE node).
public struct TableProperties: Sendable, Hashable {
    /// Number of entries (one per key).
    public var entryCount: Int
    /// The file's size in bytes.
    public var fileSize: Int
    /// The first key (empty for an empty table).
    public var smallestKey: [UInt8]
    /// The last key (empty for an empty table).
    public var largestKey: [UInt8]
    /// Entries that are tombstones.
    public var tombstoneCount: Int
    /// Number of data blocks.
    public var dataBlockCount: Int
    /// Sum of key lengths (before prefix compression).
    public var rawKeyBytes: Int
    /// Sum of value lengths (tombstones count 0).
    public var rawValueBytes: Int
    /// The oldest and newest versions in the table (`Version.zero` for an empty table).
    public var minVersion: Version
    public var maxVersion: Version

    public init(
        entryCount: Int = 0, fileSize: Int = 0, smallestKey: [UInt8] = [], largestKey: [UInt8] = [],
        tombstoneCount: Int = 0, dataBlockCount: Int = 0, rawKeyBytes: Int = 0, rawValueBytes: Int = 0,
        minVersion: Version = .zero, maxVersion: Version = .zero
    ) {
        self.entryCount = entryCount
        self.fileSize = fileSize
        self.smallestKey = smallestKey
        self.largestKey = largestKey
        self.tombstoneCount = tombstoneCount
        self.dataBlockCount = dataBlockCount
        self.rawKeyBytes = rawKeyBytes
        self.rawValueBytes = rawValueBytes
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + smallestKey.count + largestKey.count)
        w.appendVarint(entryCount)
        w.appendVarint(tombstoneCount)
        w.appendVarint(dataBlockCount)
        w.appendVarint(rawKeyBytes)
        w.appendVarint(rawValueBytes)
        w.appendLengthPrefixed(smallestKey)
        w.appendLengthPrefixed(largestKey)
        for v in [minVersion, maxVersion] {
            w.appendFixed64(v.timestamp.rawValue)
            w.appendFixed32(v.node)
        }
        return w.bytes
    }

    /// Decodes the stored form; `fileSize` is not stored (the reader knows it). Nil if malformed.
    static func decode(_ bytes: [UInt8], fileSize: Int) -> TableProperties? {
        var r = ByteReader(bytes)
        guard let entryCount = r.readVarintInt(), let tombstoneCount = r.readVarintInt(),
            let dataBlockCount = r.readVarintInt(), let rawKeyBytes = r.readVarintInt(),
            let rawValueBytes = r.readVarintInt(),
            let smallest = r.readLengthPrefixed(max: Limits.maxKeySize),
            let largest = r.readLengthPrefixed(max: Limits.maxKeySize),
            let minTS = r.readFixed64(), let minNode = r.readFixed32(),
            let maxTS = r.readFixed64(), let maxNode = r.readFixed32(),
            tombstoneCount <= entryCount
        else { return nil }
        return TableProperties(
            entryCount: entryCount, fileSize: fileSize, smallestKey: smallest, largestKey: largest,
            tombstoneCount: tombstoneCount, dataBlockCount: dataBlockCount, rawKeyBytes: rawKeyBytes,
            rawValueBytes: rawValueBytes,
            minVersion: Version(timestamp: HLCTimestamp(rawValue: minTS), node: minNode),
            maxVersion: Version(timestamp: HLCTimestamp(rawValue: maxTS), node: maxNode))
    }
}
