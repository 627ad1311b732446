/// An open-addressing hash map from `UInt64` keys to `Int32` values, for the memo tables stepped on every search
/// step (no `Hasher`, no per-entry allocation). Keys are mixed with MurmurHash3's finalizer; load factor <= 1/2.
struct IntMap: Sendable {
    private var keys: [UInt64]
    private var values: [Int32]
    private var used: [Bool]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        used = [Bool](repeating: false, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        var z = key ^ (key >> 33)
        z = z &* 0xFF51_AFD7_ED55_8CCD
        z ^= z >> 33
        return Int(truncatingIfNeeded: z) & mask
    }

    /// The value for `key`, if any.
    @inline(__always)
    func get(_ key: UInt64) -> Int32? {
        var i = Self.slot(key, mask)
        while used[i] {
            if keys[i] == key { return values[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Sets `key` to `value`.
    mutating func set(_ key: UInt64, _ value: Int32) {
        if (count + 1) * 2 > keys.count { grow() }
        var i = Self.slot(key, mask)
        while used[i] {
            if keys[i] == key {
                values[i] = value
                return
            }
            i = (i + 1) & mask
        }
        used[i] = true
        keys[i] = key
        values[i] = value
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let oldUsed = used
        let size = keys.count * 2
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        used = [Bool](repeating: false, count: size)
        mask = size - 1
        count = 0
        for i in oldKeys.indices where oldUsed[i] { set(oldKeys[i], oldValues[i]) }
    }

    /// Bytes held.
    var approximateBytes: Int { keys.count * 13 }
}
