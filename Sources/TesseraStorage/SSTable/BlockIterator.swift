/// Walks the entries of a `Block` in key order; seeks by binary search over the restart points, comparing
/// keys with memcmp, then scans forward at most one restart interval.
///
/// The current key is rebuilt in place in `key` (prefix compression); the current value is
/// `block.data[valueOffset..<valueOffset + valueLength]`.
struct BlockIterator {
    let block: Block
    /// The current key (valid only when `isValid`).
    private(set) var key: [UInt8] = []
    private(set) var valueOffset = 0
    private(set) var valueLength = 0
    /// Offset of the current entry; `block.restartsOffset` when not positioned on an entry.
    private var current: Int
    /// Offset of the entry after the current one.
    private var nextOffset: Int

    init(_ block: Block) {
        self.block = block
        current = block.restartsOffset
        nextOffset = block.restartsOffset
    }

    var isValid: Bool { current < block.restartsOffset }

    /// Positions on the first entry (invalid if the block is empty).
    mutating func seekToFirst() throws(BlockCorruption) {
        key.removeAll(keepingCapacity: true)
        nextOffset = 0
        current = 0
        if block.restartsOffset == 0 { return }
        try parseNext()
    }

    /// Moves to the next entry; invalid after the last.
    mutating func next() throws(BlockCorruption) {
        precondition(isValid, "next() on an invalid block iterator")
        try parseNext()
    }

    /// Positions on the first entry whose key is >= `target`, or invalid if there is none.
    mutating func seek(_ target: UnsafeRawBufferPointer) throws(BlockCorruption) {
        let restartsOffset = block.restartsOffset
        if restartsOffset == 0 {
            current = 0
            return
        }
        // Binary search for the last restart point whose key is < target.
        var badRestart = -1
        let found: Int = block.data.withUnsafeBytes { raw -> Int in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let limit = base + restartsOffset
            var left = 0
            var right = block.numRestarts - 1
            while left < right {
                let mid = (left + right + 1) >> 1
                let offset = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: restartsOffset + 4 * mid, as: UInt32.self)))
                guard offset < restartsOffset,
                    let (shared, p1) = decodeVarint32(base + offset, limit),
                    let (nonShared, p2) = decodeVarint32(p1, limit),
                    let (_, p3) = decodeVarint32(p2, limit),
                    shared == 0, Int(nonShared) <= limit - p3
                else {
                    badRestart = mid
                    return 0
                }
                let c = KeyComparison.compare(
                    UnsafeRawPointer(p3), Int(nonShared), target.baseAddress ?? UnsafeRawPointer(p3), target.count)
                if c < 0 { left = mid } else { right = mid - 1 }
            }
            return left
        }
        if badRestart >= 0 {
            throw BlockCorruption(offset: restartsOffset + 4 * badRestart, reason: "bad restart point \(badRestart)")
        }
        try seekToRestart(found)
        while isValid {
            let c = key.withUnsafeBytes { KeyComparison.compare($0, target) }
            if c >= 0 { return }
            try parseNext()
        }
    }

    /// Positions on the first entry >= `target`.
    mutating func seek(_ target: [UInt8]) throws(BlockCorruption) {
        var failure: BlockCorruption?
        target.withUnsafeBytes { t in
            do throws(BlockCorruption) { try seek(t) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Positions on the entry at restart point `index`.
    private mutating func seekToRestart(_ index: Int) throws(BlockCorruption) {
        let offset = Int(UInt32(littleEndian: block.data.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: block.restartsOffset + 4 * index, as: UInt32.self)
        }))
        guard offset < block.restartsOffset else {
            throw BlockCorruption(offset: block.restartsOffset + 4 * index, reason: "restart point \(index) out of range")
        }
        key.removeAll(keepingCapacity: true)
        nextOffset = offset
        current = offset
        try parseNext()
    }

    /// Decodes the entry at `nextOffset` into the current position.
    @inline(__always)
    private mutating func parseNext() throws(BlockCorruption) {
        current = nextOffset
        let restartsOffset = block.restartsOffset
        if current >= restartsOffset {
            current = restartsOffset
            return
        }
        let entry = current
        let keyCount = key.count
        let parsed: (shared: Int, nonShared: Int, keyStart: Int, valueLength: Int)? = block.data.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let limit = base + restartsOffset
            guard let (shared, p1) = decodeVarint32(base + entry, limit),
                let (nonShared, p2) = decodeVarint32(p1, limit),
                let (valueLength, p3) = decodeVarint32(p2, limit)
            else { return nil }
            let keyStart = p3 - base
            guard Int(shared) <= keyCount, Int(nonShared) + Int(valueLength) <= restartsOffset - keyStart else { return nil }
            return (Int(shared), Int(nonShared), keyStart, Int(valueLength))
        }
        guard let parsed else {
            current = restartsOffset
            throw BlockCorruption(offset: entry, reason: "bad entry header")
        }
        // Build the next key in a new array of exactly its size: callers usually still hold the previous key
        // (a merge keeps it), so editing it in place would copy it first (copy-on-write) and then grow it.
        let newCount = parsed.shared + parsed.nonShared
        let next = newCount == 0 ? [] : [UInt8](unsafeUninitializedCapacity: newCount) { out, initialized in
            let dst = UnsafeMutableRawPointer(out.baseAddress!)
            if parsed.shared > 0 {
                key.withUnsafeBytes { dst.copyMemory(from: $0.baseAddress!, byteCount: parsed.shared) }
            }
            if parsed.nonShared > 0 {
                block.data.withUnsafeBytes { raw in
                    (dst + parsed.shared).copyMemory(from: raw.baseAddress! + parsed.keyStart, byteCount: parsed.nonShared)
                }
            }
            initialized = newCount
        }
        key = next
        valueOffset = parsed.keyStart + parsed.nonShared
        valueLength = parsed.valueLength
        nextOffset = valueOffset + valueLength
    }

    /// Calls `body` with the current value's bytes.
    @inline(__always)
    func withValue<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        block.data.withUnsafeBytes { raw in
            body(UnsafeRawBufferPointer(rebasing: raw[valueOffset..<valueOffset + valueLength]))
        }
    }

    /// A copy of the current value.
    var value: [UInt8] { Array(block.data[valueOffset..<valueOffset + valueLength]) }
}
