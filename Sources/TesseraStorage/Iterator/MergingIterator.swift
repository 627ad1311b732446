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
        if let currentCell { return currentCell }
        return Self.cellOf(children[currentIndex])
    }

    public var version: Version {
        precondition(currentIndex >= 0, "version of an invalid iterator")
        if let currentCell { return currentCell.version }
        return Self.versionOf(children[currentIndex])
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
            if Self.isValid(children[i]) {
                keys[i] = Self.keyOf(children[i])
                push(i)
            }
        }
        atCurrent.removeAll(keepingCapacity: true)
        settle()
    }

    private mutating func rebuild() {
        heap.removeAll(keepingCapacity: true)
        atCurrent.removeAll(keepingCapacity: true)
        for i in children.indices where Self.isValid(children[i]) {
            keys[i] = Self.keyOf(children[i])
            push(i)
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
        if atCurrent.count == 1 { return }
        // Several children hold the key: the highest version wins, a tie goes to the later child.
        var best = atCurrent[0]
        var bestVersion = children[best].version
        for i in atCurrent.dropFirst() {
            let v = Self.versionOf(children[i])
            if v > bestVersion || (v == bestVersion && i > best) {
                best = i
                bestVersion = v
            }
        }
        currentIndex = best
        currentCell = children[best].cell
    }

    // Existentials are opened through generic functions, which borrow the child instead of copying it.
    @inline(__always) private static func isValid(_ it: some StorageIterator) -> Bool { it.isValid }
    @inline(__always) private static func keyOf(_ it: some StorageIterator) -> [UInt8] { it.key }
    @inline(__always) private static func cellOf(_ it: some StorageIterator) -> Cell { it.cell }
    @inline(__always) private static func versionOf(_ it: some StorageIterator) -> Version { it.version }

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
