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
    private let db: SQLiteDatabase

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws(TesseraError) {
        self.path = path
        do throws(SQLiteError) {
            db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            try db.execute(
                "CREATE TABLE IF NOT EXISTS members(position INTEGER PRIMARY KEY, node_id TEXT NOT NULL, "
                    + "host TEXT NOT NULL, port INTEGER NOT NULL)"
            )
            try db.execute("CREATE TABLE IF NOT EXISTS tokens(node_id TEXT NOT NULL, token INTEGER NOT NULL)")
        } catch {
            throw TesseraError(.storage, "cannot open node metadata \(path): \(error.message)")
        }
    }

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

    // MARK: SQLite

    private func execute(_ sql: String, _ bindings: [SQLiteDatabase.Value] = []) throws(TesseraError) {
        do throws(SQLiteError) { try db.execute(sql, bindings) } catch { throw error.tesseraError }
    }

    private func query(_ sql: String, _ row: (SQLiteDatabase.Row) -> Void) throws(TesseraError) {
        do throws(SQLiteError) { try db.query(sql, [], row) } catch { throw error.tesseraError }
    }
}
