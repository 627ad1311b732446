import Foundation
public import TesseraCore
import TOMLKit

/// `tessera server --config FILE`: a TOML file with one key per server flag (docs/operations.md,
/// docs/tessera.example.toml). An unknown key, a value of the wrong type or a bad value is an error that names
/// the key and the file; nothing starts.
public enum ConfigFile {
    /// Reads and parses `path`.
    public static func load(path: String) throws(TesseraError) -> ServerSettings {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TesseraError(.invalidRequest, "cannot read config file \(path): \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Parses TOML `text`; `file` only names the source in errors.
    public static func parse(_ text: String, file: String) throws(TesseraError) -> ServerSettings {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw TesseraError(
                .invalidRequest,
                "config file \(file): line \(error.source.begin.line), column \(error.source.begin.column): "
                    + error.description
            )
        } catch {
            throw TesseraError(.invalidRequest, "config file \(file): \(error)")
        }
        var reader = Reader(table: table, file: file)
        for key in table.keys.sorted() where !ServerSettings.keys.contains(key) {
            throw reader.fail(key, "unknown key (known keys: \(ServerSettings.keys.joined(separator: ", ")))")
        }
        var settings = ServerSettings()
        settings.nodeID = try reader.string("node_id") { value throws(TesseraError) in
            guard NodeID.isValidName(value) else { throw TesseraError(.invalidRequest, "use 1-64 characters of [A-Za-z0-9._-]") }
        }
        settings.listen = try reader.string("listen") { value throws(TesseraError) in
            _ = try MemberAddress.parseHostPort(value)
        }
        settings.data = try reader.string("data") { value throws(TesseraError) in
            guard !value.isEmpty else { throw TesseraError(.invalidRequest, "the data directory is empty") }
        }
        settings.members = try reader.members()
        settings.replication = try reader.int("replication", 1...64)
        settings.vnodes = try reader.int("vnodes", 1...4096)
        settings.clusterName = try reader.string("cluster_name") { value throws(TesseraError) in
            guard NodeID.isValidName(value) else { throw TesseraError(.invalidRequest, "use 1-64 characters of [A-Za-z0-9._-]") }
        }
        settings.sync = try reader.string("sync") { value throws(TesseraError) in
            _ = try NodeConfiguration.parseSyncPolicy(value)
        }
        settings.timeoutMillis = try reader.int("timeout_ms", 1...60_000)
        settings.logLevel = try reader.string("log_level") { value throws(TesseraError) in
            _ = try ServerSettings.parseLogLevel(value)
        }
        settings.exitWithParent = try reader.bool("exit_with_parent")
        settings.adminListen = try reader.string("admin_listen") { value throws(TesseraError) in
            _ = try MemberAddress.parseHostPort(value)
        }
        settings.metrics = try reader.bool("metrics")
        settings.shutdownGraceMillis = try reader.int("shutdown_grace_ms", 0...600_000)
        settings.maxInFlight = try reader.int("max_in_flight", 0...100_000_000)
        settings.maxInFlightPerConnection = try reader.int("max_in_flight_per_connection", 0...100_000_000)
        settings.maxReplicaInFlight = try reader.int("max_replica_in_flight", 0...100_000_000)
        settings.clientRate = try reader.int("client_rate", 0...100_000_000)
        settings.clientBurst = try reader.int("client_burst", 0...100_000_000)
        return settings
    }

    /// Typed access to the table, with errors that name the key and the file.
    private struct Reader {
        let table: TOMLTable
        let file: String

        func fail(_ key: String, _ message: String) -> TesseraError {
            TesseraError(.invalidRequest, "config file \(file): key `\(key)`: \(message)")
        }

        private func typeName(_ value: any TOMLValueConvertible) -> String { "\(value.type)" }

        func string(_ key: String, check: (String) throws(TesseraError) -> Void) throws(TesseraError) -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw fail(key, "must be a string, not \(typeName(value))") }
            do { try check(text) } catch { throw fail(key, error.message) }
            return text
        }

        func int(_ key: String, _ range: ClosedRange<Int>) throws(TesseraError) -> Int? {
            guard let value = table[key] else { return nil }
            guard let number = value.int else { throw fail(key, "must be an integer, not \(typeName(value))") }
            guard range.contains(number) else {
                throw fail(key, "\(number) is out of range (\(range.lowerBound) to \(range.upperBound))")
            }
            return number
        }

        func bool(_ key: String) throws(TesseraError) -> Bool? {
            guard let value = table[key] else { return nil }
            guard let flag = value.bool else { throw fail(key, "must be true or false, not \(typeName(value))") }
            return flag
        }

        /// `members` is either one `"ID=HOST:PORT,..."` string or an array of `"ID=HOST:PORT"` strings.
        func members() throws(TesseraError) -> String? {
            guard let value = table["members"] else { return nil }
            let text: String
            if let single = value.string {
                text = single
            } else if let array = value.array {
                var items: [String] = []
                for item in array {
                    guard let member = item.string else {
                        throw fail("members", "every item must be a string \"ID=HOST:PORT\", not \(typeName(item))")
                    }
                    items.append(member)
                }
                text = items.joined(separator: ",")
            } else {
                throw fail("members", "must be an array of \"ID=HOST:PORT\" strings, not \(typeName(value))")
            }
            do { _ = try MemberAddress.parseList(text) } catch { throw fail("members", error.message) }
            return text
        }
    }
}
