public import TesseraCore

/// What a lookup that may not touch the disk found (`StorageEngine.getWithoutIO`).
public enum StorageLookup: Sendable, Equatable {
    /// The answer `get` would give: the newest cell of the key, or nil if it was never written.
    case found(Cell?)
    /// A data block that may hold the key is not in the block cache: ask `get`, where blocking is allowed.
    case notCached
}
