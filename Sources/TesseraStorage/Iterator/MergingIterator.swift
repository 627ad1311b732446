public import TesseraCore

/// Merges sorted children into one sorted stream in which every key appears once, with the cell of the
/// highest version among the children that hold it (ties go to the child listed later).
///
/// A binary min-heap of the children positioned past the current key; the children positioned on the
/// current key are parked in `atCurrent` and advanced together by `next()`.
public struct MergingIterator: StorageIterator {
    private var children: [any StorageIterator]
    /// Indexes of valid children not on the current key, ordered by their key (min-heap).
    private var heap: [Int] = []
    /// Indexes of children positioned on the current key.
    private var atCurrent: [Int] = []
    private var currentKey: [UInt8] = []
    private var currentCell: Cell = .tombstone(.zero)
    private var valid = false

    public init(_ children: [any StorageIterator]) {
        self.children = children
        heap.reserveCapacity(children.count)
        atCurrent.reserveCapacity(children.count)
    }

    public var isValid: Bool { valid }

    public var key: [UInt8] {
        precondition(valid, "key of an invalid iterator")
        return currentKey
    }

    public var cell: Cell {
        precondition(valid, "cell of an invalid iterator")
        return currentCell
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
        precondition(valid, "next() on an invalid iterator")
        for i in atCurrent {
            try children[i].next()
            if children[i].isValid { push(i) }
        }
        atCurrent.removeAll(keepingCapacity: true)
        settle()
    }

    private mutating func rebuild() {
        heap.removeAll(keepingCapacity: true)
        atCurrent.removeAll(keepingCapacity: true)
        for i in children.indices where children[i].isValid { push(i) }
        settle()
    }

    /// Pops every child holding the smallest key and picks the newest cell among them.
    private mutating func settle() {
        guard let top = heap.first else {
            valid = false
            currentKey = []
            return
        }
        valid = true
        currentKey = children[top].key
        popTop()
        atCurrent.append(top)
        while let next = heap.first, KeyComparison.compare(children[next].key, currentKey) == 0 {
            popTop()
            atCurrent.append(next)
        }
        if atCurrent.count == 1 {
            currentCell = children[top].cell
            return
        }
        // Several children hold the key: the highest version wins, a tie goes to the later child.
        var best = atCurrent[0]
        var bestVersion = children[best].version
        for i in atCurrent.dropFirst() {
            let v = children[i].version
            if v > bestVersion || (v == bestVersion && i > best) {
                best = i
                bestVersion = v
            }
        }
        currentCell = children[best].cell
    }

    /// Child `a` sorts before child `b` (by key; equal keys by index, for a deterministic order).
    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let c = KeyComparison.compare(children[a].key, children[b].key)
        return c < 0 || (c == 0 && a < b)
    }

    private mutating func push(_ child: Int) {
        heap.append(child)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
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
