internal import CSQLite
import TesseraCore

/// The node's identity store: DIR/node.sqlite, a few tables in SQLite (the system library via CSQLite).
///
/// Tables: `meta(key TEXT PRIMARY KEY, value TEXT)` (node_id, cluster_name, replication_factor,
/// virtual_nodes, format_version), `members(position INTEGER PRIMARY KEY, node_id, host, port)`,
/// `tokens(node_id TEXT, token INTEGER)`. Not thread-safe: one owner, used at startup.
public final class NodeMetadataStore {
    /// DO NOT CHANGE: on disk. Bump with a migration if the tables change.
    static let formatVersion = 1

    public let path: String
    private var db: OpaquePointer?

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(TesseraError) {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(rc)"
            sqlite3_close_v2(db)
            db = nil
            throw TesseraError(.storage, "cannot open node metadata \(path): \(message)")
        }
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        try execute(
            "CREATE TABLE IF NOT EXISTS members(position INTEGER PRIMARY KEY, node_id TEXT NOT NULL, "
                + "host TEXT NOT NULL, port INTEGER NOT NULL)"
        )
        try execute("CREATE TABLE IF NOT EXISTS tokens(node_id TEXT NOT NULL, token INTEGER NOT NULL)")
    }

    deinit { sqlite3_close_v2(db) }

    /// The identity stored in the directory, or nil for a fresh directory.
    public func load() throws(TesseraError) -> NodeIdentity? {
        var meta: [String: String] = [:]
        try query("SELECT key, value FROM meta") { row in meta[row.text(0)] = row.text(1) }
        guard let nodeID = meta["node_id"] else { return nil }
        guard let format = meta["format_version"].flatMap(Int.init), format == Self.formatVersion else {
            throw TesseraError(
                .storage,
                "\(path) has metadata format \(meta["format_version"] ?? "?"), this build reads \(Self.formatVersion)"
            )
        }
        guard let clusterName = meta["cluster_name"], let rf = meta["replication_factor"].flatMap(Int.init),
            let vnodes = meta["virtual_nodes"].flatMap(Int.init)
        else {
            throw TesseraError(
                .storage,
                "\(path) is missing identity fields (cluster_name, replication_factor, virtual_nodes)"
            )
        }
        var members: [MemberAddress] = []
        try query("SELECT node_id, host, port FROM members ORDER BY position") { row in
            members.append(MemberAddress(id: NodeID(row.text(0)), host: row.text(1), port: Int(row.int(2))))
        }
        var tokens: [String: [Int64]] = [:]
        try query("SELECT node_id, token FROM tokens ORDER BY node_id, token") { row in
            tokens[row.text(0), default: []].append(row.int(1))
        }
        return NodeIdentity(
            nodeID: nodeID,
            clusterName: clusterName,
            replicationFactor: rf,
            virtualNodes: vnodes,
            members: members,
            tokens: tokens
        )
    }

    /// Replaces the stored identity with `identity`, in one transaction.
    public func save(_ identity: NodeIdentity) throws(TesseraError) {
        try execute("BEGIN IMMEDIATE")
        do throws(TesseraError) {
            try execute("DELETE FROM meta")
            try execute("DELETE FROM members")
            try execute("DELETE FROM tokens")
            let meta: [(String, String)] = [
                ("format_version", String(Self.formatVersion)),
                ("node_id", identity.nodeID),
                ("cluster_name", identity.clusterName),
                ("replication_factor", String(identity.replicationFactor)),
                ("virtual_nodes", String(identity.virtualNodes)),
            ]
            for (key, value) in meta {
                try execute("INSERT INTO meta(key, value) VALUES (?, ?)", [.text(key), .text(value)])
            }
            for (position, member) in identity.members.enumerated() {
                try execute(
                    "INSERT INTO members(position, node_id, host, port) VALUES (?, ?, ?, ?)",
                    [.int(Int64(position)), .text(member.id.name), .text(member.host), .int(Int64(member.port))]
                )
            }
            for (node, tokens) in identity.tokens {
                for token in tokens {
                    try execute("INSERT INTO tokens(node_id, token) VALUES (?, ?)", [.text(node), .int(token)])
                }
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    // MARK: the wrapper

    enum Binding {
        case text(String)
        case int(Int64)
    }

    struct Row {
        let statement: OpaquePointer?
        func text(_ column: Int32) -> String {
            guard let pointer = sqlite3_column_text(statement, column) else { return "" }
            return String(cString: pointer)
        }
        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    }

    private func errorMessage() -> String { db.map { String(cString: sqlite3_errmsg($0)) } ?? "no database" }

    private func prepare(_ sql: String, _ bindings: [Binding]) throws(TesseraError) -> OpaquePointer? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw TesseraError(.storage, "\(path): cannot prepare '\(sql)': \(errorMessage())")
        }
        // SQLITE_TRANSIENT is a macro Swift cannot import: SQLite copies the bound text.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (index, binding) in bindings.enumerated() {
            let position = Int32(index + 1)
            let rc: Int32
            switch binding {
            case .text(let text): rc = sqlite3_bind_text(statement, position, text, -1, transient)
            case .int(let value): rc = sqlite3_bind_int64(statement, position, value)
            }
            guard rc == SQLITE_OK else {
                sqlite3_finalize(statement)
                throw TesseraError(
                    .storage,
                    "\(path): cannot bind parameter \(position) of '\(sql)': \(errorMessage())"
                )
            }
        }
        return statement
    }

    private func execute(_ sql: String, _ bindings: [Binding] = []) throws(TesseraError) {
        let statement = try prepare(sql, bindings)
        defer { sqlite3_finalize(statement) }
        var rc = sqlite3_step(statement)
        while rc == SQLITE_ROW { rc = sqlite3_step(statement) }
        guard rc == SQLITE_DONE else {
            throw TesseraError(.storage, "\(path): '\(sql)' failed: \(errorMessage())")
        }
    }

    private func query(_ sql: String, _ row: (Row) -> Void) throws(TesseraError) {
        let statement = try prepare(sql, [])
        defer { sqlite3_finalize(statement) }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                throw TesseraError(.storage, "\(path): '\(sql)' failed: \(errorMessage())")
            }
            row(Row(statement: statement))
        }
    }
}
