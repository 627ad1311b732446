public import TesseraCore

/// Merges sorted children into one sorted stream in which every key appears once, with the cell of the
/// highest version among the children that hold it (ties go to the child listed later).
///
/// A binary min-heap orders the children that are positioned past the current key. Each child's current
/// key is fetched once per step and kept in `keys`, so heap comparisons are plain memcmp on arrays (no
/// existential calls and no copies of the children); the children positioned on the current key are parked
/// in `atCurrent` and advanced together by `next()`.
public struct MergingIterator: StorageIterator {
    private var children: [any StorageIterator]
    /// `keys[i]`: the current key of child `i` while it is valid.
    private var keys: [[UInt8]]
    /// Indexes of valid children not on the current key, ordered by their key (min-heap).
    private var heap: [Int] = []
    /// Indexes of children positioned on the current key.
    private var atCurrent: [Int] = []
    private var currentIndex = -1
    private var currentCell: Cell?

    public init(_ children: [any StorageIterator]) {
        self.children = children
        keys = Array(repeating: [], count: children.count)
        heap.reserveCapacity(children.count)
        atCurrent.reserveCapacity(children.count)
    }

    public var isValid: Bool { currentIndex >= 0 }

    public var key: [UInt8] {
        precondition(currentIndex >= 0, "key of an invalid iterator")
        return keys[currentIndex]
    }

    public var cell: Cell {
        precondition(currentIndex >= 0, "cell of an invalid iterator")
        return currentCell!
    }

    public var version: Version {
        precondition(currentIndex >= 0, "version of an invalid iterator")
        return currentCell!.version
    }

    public mutating func seekToFirst() throws(StorageError) {
        for i in children.indices { try children[i].seekToFirst() }
        rebuild()
    }

    public mutating func seek(_ key: [UInt8]) throws(StorageError) {
        for i in children.indices { try children[i].seek(key) }
        rebuild()
    }

    public mutating func next() throws(StorageError) {
        precondition(currentIndex >= 0, "next() on an invalid iterator")
        for i in atCurrent {
            try children[i].next()
            if let k = currentKey(ofChild: i) {
                keys[i] = k
                push(i)
            }
        }
        atCurrent.removeAll(keepingCapacity: true)
        settle()
    }

    private mutating func rebuild() {
        heap.removeAll(keepingCapacity: true)
        atCurrent.removeAll(keepingCapacity: true)
        for i in children.indices {
            if let k = currentKey(ofChild: i) {
                keys[i] = k
                push(i)
            }
        }
        settle()
    }

    /// Pops every child holding the smallest key; with several, picks the newest cell among them.
    private mutating func settle() {
        currentCell = nil
        guard let top = heap.first else {
            currentIndex = -1
            return
        }
        popTop()
        atCurrent.append(top)
        while let next = heap.first, compare(next, top) == 0 {
            popTop()
            atCurrent.append(next)
        }
        currentIndex = top
        if atCurrent.count == 1 {
            // Decoded here, in place: every caller reads the cell, and the non-mutating `cell` getter would
            // have to copy the child out of the array to ask it.
            currentCell = childCell(top)
            return
        }
        // Several children hold the key: the highest version wins, a tie goes to the later child.
        var best = atCurrent[0]
        var bestVersion = childVersion(best)
        for i in atCurrent.dropFirst() {
            let v = childVersion(i)
            if v > bestVersion || (v == bestVersion && i > best) {
                best = i
                bestVersion = v
            }
        }
        currentIndex = best
        currentCell = childCell(best)
    }

    /// The child's key, or nil if it is exhausted. Reads the child in place through a pointer: reading an
    /// existential out of the array (`children[i].key`) copied the child first (perf: a box retain/release
    /// per call).
    @inline(__always)
    private mutating func currentKey(ofChild i: Int) -> [UInt8]? {
        children.withUnsafeMutableBufferPointer { p in p[i].isValid ? p[i].key : nil }
    }

    @inline(__always)
    private mutating func childCell(_ i: Int) -> Cell {
        children.withUnsafeMutableBufferPointer { p in p[i].cell }
    }

    @inline(__always)
    private mutating func childVersion(_ i: Int) -> Version {
        children.withUnsafeMutableBufferPointer { p in p[i].version }
    }

    /// Orders children by key, then by index (for a deterministic order among equal keys).
    @inline(__always)
    private func compare(_ a: Int, _ b: Int) -> Int {
        keys.withUnsafeBufferPointer { k in KeyComparison.compare(k[a], k[b]) }
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let c = compare(a, b)
        return c < 0 || (c == 0 && a < b)
    }

    private mutating func push(_ child: Int) {
        heap.append(child)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if !less(heap[i], heap[parent]) { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        if heap.isEmpty { return }
        heap[0] = last
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            var m = l
            if l + 1 < n && less(heap[l + 1], heap[l]) { m = l + 1 }
            if !less(heap[m], heap[i]) { break }
            heap.swapAt(i, m)
            i = m
        }
    }
}
