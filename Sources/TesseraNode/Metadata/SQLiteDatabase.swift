internal import CSQLite
public import TesseraCore

#if canImport(Glibc)
    import Glibc
#endif

/// Why an SQLite call failed, sorted into what the node reacts to differently.
public struct SQLiteError: Error, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// SQLITE_FULL, or an I/O error whose errno is ENOSPC: the file system has no room.
        case diskFull
        /// SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged or not a database.
        case corrupt
        /// Anything else (locked, I/O error, misuse, ...).
        case other
    }

    public let kind: Kind
    public let message: String

    public var description: String { message }

    /// As a `TesseraError` with code `storage`.
    public var tesseraError: TesseraError { TesseraError(.storage, message) }
}

/// The one wrapper around libsqlite3: every `sqlite3_` call of the project is in this file.
///
/// One connection, opened in WAL mode; prepared statements are cached by SQL text and reused. Not
/// thread-safe: one owner (NodeMetadataStore at startup, HintStore on its own serial queue).
final class SQLiteDatabase {
    enum Value: Sendable, Equatable {
        case int(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    /// A row of a query; valid only inside the row callback.
    struct Row {
        fileprivate let statement: OpaquePointer?
        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
        func text(_ column: Int32) -> String {
            guard let pointer = sqlite3_column_text(statement, column) else { return "" }
            return String(cString: pointer)
        }
        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
        func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
            return [UInt8](UnsafeRawBufferPointer(start: pointer, count: count))
        }
    }

    let path: String
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]

    /// Opens (creating if needed) the database at `path` in WAL mode with `synchronous` (FULL or NORMAL).
    /// A file that is not a database fails here with kind `corrupt`.
    init(path: String, synchronous: String = "FULL") throws(SQLiteError) {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let error = Self.error(db, rc, "cannot open \(path)")
            sqlite3_close_v2(db)
            db = nil
            throw error
        }
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 2000)
        do throws(SQLiteError) {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=\(synchronous)")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Finalizes cached statements and closes the connection (also done by deinit).
    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        if db != nil { sqlite3_close_v2(db) }
        db = nil
    }

    // MARK: statements

    /// Runs `sql` (all rows discarded).
    func execute(_ sql: String, _ bindings: [Value] = []) throws(SQLiteError) {
        try query(sql, bindings) { _ in }
    }

    /// Runs `sql` with `bindings`, calling `row` for each result row. The prepared statement is cached.
    func query(_ sql: String, _ bindings: [Value] = [], _ row: (Row) -> Void) throws(SQLiteError) {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        try bind(statement, bindings, sql)
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw Self.error(db, rc, "\(path): '\(Self.short(sql))' failed") }
            row(Row(statement: statement))
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(db)) }

    /// Runs `body` in one `BEGIN IMMEDIATE` ... `COMMIT` transaction, rolled back if it throws.
    func transaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// `PRAGMA quick_check`: nil if the database is sound, else SQLite's first complaint.
    func quickCheck() throws(SQLiteError) -> String? {
        var result: [String] = []
        try query("PRAGMA quick_check") { row in result.append(row.text(0)) }
        return result == ["ok"] ? nil : result.prefix(3).joined(separator: "; ")
    }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer? {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw Self.error(db, rc, "\(path): cannot prepare '\(Self.short(sql))'")
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ statement: OpaquePointer?, _ bindings: [Value], _ sql: String) throws(SQLiteError) {
        // SQLITE_TRANSIENT is a macro Swift cannot import: SQLite copies bound text and blobs.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (index, value) in bindings.enumerated() {
            let position = Int32(index + 1)
            let rc: Int32
            switch value {
            case .int(let v): rc = sqlite3_bind_int64(statement, position, v)
            case .text(let text): rc = sqlite3_bind_text(statement, position, text, -1, transient)
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
                    sqlite3_bind_blob(statement, position, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), transient)
                }
            case .null: rc = sqlite3_bind_null(statement, position)
            }
            guard rc == SQLITE_OK else {
                throw Self.error(db, rc, "\(path): cannot bind parameter \(position) of '\(Self.short(sql))'")
            }
        }
    }

    // MARK: errors

    private static func short(_ sql: String) -> String { sql.count > 80 ? String(sql.prefix(77)) + "..." : sql }

    /// Sorts the result code (extended codes are on) and the OS errno into an `SQLiteError` with a message that
    /// says what happened: "disk full" rather than SQLite's "disk I/O error" when the disk is out of space.
    static func error(_ db: OpaquePointer?, _ rc: Int32, _ context: String) -> SQLiteError {
        let primary = rc & 0xFF
        let sqliteMessage = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        let systemErrno = db.map { sqlite3_system_errno($0) } ?? 0
        if primary == SQLITE_FULL || (primary == SQLITE_IOERR && systemErrno == ENOSPC) {
            return SQLiteError(kind: .diskFull, message: "\(context): disk full (no space left on device)")
        }
        if primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB {
            return SQLiteError(kind: .corrupt, message: "\(context): database file is corrupt (\(sqliteMessage))")
        }
        let os = systemErrno != 0 ? ", errno \(systemErrno): \(String(cString: strerror(systemErrno)))" : ""
        return SQLiteError(kind: .other, message: "\(context): \(sqliteMessage) (code \(rc)\(os))")
    }
}
