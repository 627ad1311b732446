public import TesseraCluster
public import TesseraCore

/// Hints and their bytes (per target).
public typealias HintCount = (hints: Int, bytes: Int)

/// The durable hints of one node: DIR/hints.sqlite, one table in SQLite (WAL journal, one connection).
///
/// Table `hints(id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT, key BLOB, value BLOB NULL, version_ts
/// INTEGER, version_node INTEGER, created_ms INTEGER, bytes INTEGER)`: one row per hint, `value` NULL for a
/// tombstone; AUTOINCREMENT so row ids only grow and order hints oldest first per target (index
/// `(target, id)`). Table `node_state(key TEXT PRIMARY KEY, value INTEGER)` keeps `last_alive_ms`, which tells
/// a restarted node how long it was down (the tombstone rule of repair, docs/healing.md).
///
/// Not thread-safe: one owner (`HintService` runs it on its own serial queue; tools may open the file of a
/// stopped node).
public final class HintStore {
    /// DO NOT CHANGE: on disk. Bump with a migration if the tables change.
    static let formatVersion: Int64 = 1

    public let path: String
    private let db: SQLiteDatabase
    /// Insert transactions committed (each may hold many hints): batching is observable in tests and STATUS.
    private(set) var insertTransactions = 0

    /// Opens (creating if needed) the store at `path`. `synchronous` is SQLite's: FULL syncs every commit.
    public init(path: String, synchronous: String = "FULL") throws(SQLiteError) {
        self.path = path
        db = try SQLiteDatabase(path: path, synchronous: synchronous)
        try db.execute(
            "CREATE TABLE IF NOT EXISTS hints(id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, "
                + "key BLOB NOT NULL, value BLOB, version_ts INTEGER NOT NULL, version_node INTEGER NOT NULL, "
                + "created_ms INTEGER NOT NULL, bytes INTEGER NOT NULL)"
        )
        try db.execute("CREATE INDEX IF NOT EXISTS hints_by_target ON hints(target, id)")
        try db.execute("CREATE INDEX IF NOT EXISTS hints_by_created ON hints(created_ms)")
        try db.execute("CREATE TABLE IF NOT EXISTS node_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        var format: Int64?
        try db.query("SELECT value FROM node_state WHERE key = 'format_version'") { format = $0.int(0) }
        if let format, format != Self.formatVersion {
            throw SQLiteError(kind: .other, message: "\(path) has hint format \(format), this build reads \(Self.formatVersion)")
        }
        if format == nil {
            try db.execute("INSERT INTO node_state(key, value) VALUES ('format_version', ?)", [.int(Self.formatVersion)])
        }
    }

    /// Closes the connection.
    public func close() { db.close() }

    /// Inserts `hints` in one transaction (all or none).
    public func insert(_ hints: [Hint]) throws(SQLiteError) {
        guard !hints.isEmpty else { return }
        let sql =
            "INSERT INTO hints(target, key, value, version_ts, version_node, created_ms, bytes) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?)"
        try db.transaction { () throws(SQLiteError) in
            for hint in hints {
                try db.execute(
                    sql,
                    [
                        .text(hint.target.name), .blob(hint.key), hint.cell.value.map { .blob($0) } ?? .null,
                        .int(Int64(bitPattern: hint.cell.version.timestamp.rawValue)),
                        .int(Int64(hint.cell.version.node)), .int(Int64(bitPattern: hint.createdMillis)),
                        .int(Int64(hint.byteSize)),
                    ]
                )
            }
        }
        insertTransactions += 1
    }

    /// Up to `limit` hints for `target` with id greater than `afterID`, oldest first.
    public func load(target: NodeID, afterID: Int64, limit: Int) throws(SQLiteError) -> [StoredHint] {
        var result: [StoredHint] = []
        try db.query(
            "SELECT id, key, value, version_ts, version_node, created_ms FROM hints "
                + "WHERE target = ? AND id > ? ORDER BY id LIMIT ?",
            [.text(target.name), .int(afterID), .int(Int64(limit))]
        ) { row in
            let version = Version(
                timestamp: HLCTimestamp(rawValue: UInt64(bitPattern: row.int(3))),
                node: UInt32(truncatingIfNeeded: row.int(4))
            )
            let cell = Cell(version: version, value: row.isNull(2) ? nil : row.blob(2))
            let hint = Hint(target: target, key: row.blob(1), cell: cell, createdMillis: UInt64(bitPattern: row.int(5)))
            result.append(StoredHint(id: row.int(0), hint: hint))
        }
        return result
    }

    /// Deletes the hints with these ids, in one transaction.
    public func delete(ids: [Int64]) throws(SQLiteError) {
        guard !ids.isEmpty else { return }
        try db.transaction { () throws(SQLiteError) in
            for id in ids { try db.execute("DELETE FROM hints WHERE id = ?", [.int(id)]) }
        }
    }

    /// Deletes hints created before `createdBeforeMillis`; returns what was removed per target.
    public func deleteExpired(createdBeforeMillis: UInt64) throws(SQLiteError) -> [NodeID: HintCount] {
        let cutoff = Int64(bitPattern: createdBeforeMillis)
        return try db.transaction { () throws(SQLiteError) in
            var removed: [NodeID: HintCount] = [:]
            try db.query(
                "SELECT target, COUNT(*), SUM(bytes) FROM hints WHERE created_ms < ? GROUP BY target",
                [.int(cutoff)]
            ) { row in removed[NodeID(row.text(0))] = (Int(row.int(1)), Int(row.int(2))) }
            if !removed.isEmpty { try db.execute("DELETE FROM hints WHERE created_ms < ?", [.int(cutoff)]) }
            return removed
        }
    }

    /// Hints per target and their bytes.
    public func pending() throws(SQLiteError) -> [NodeID: HintCount] {
        var result: [NodeID: HintCount] = [:]
        try db.query("SELECT target, COUNT(*), SUM(bytes) FROM hints GROUP BY target") { row in
            result[NodeID(row.text(0))] = (Int(row.int(1)), Int(row.int(2)))
        }
        return result
    }

    /// The wall time last recorded by `recordAlive`, nil for a new store.
    public func lastAliveMillis() throws(SQLiteError) -> UInt64? {
        var value: UInt64?
        try db.query("SELECT value FROM node_state WHERE key = 'last_alive_ms'") { value = UInt64(bitPattern: $0.int(0)) }
        return value
    }

    /// Records that the node was alive at `millis` (called periodically).
    public func recordAlive(_ millis: UInt64) throws(SQLiteError) {
        try db.execute(
            "INSERT INTO node_state(key, value) VALUES ('last_alive_ms', ?) "
                + "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [.int(Int64(bitPattern: millis))]
        )
    }

    /// SQLite's integrity check: nil when sound.
    public func check() throws(SQLiteError) -> String? { try db.quickCheck() }
}
