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
        settings.walRecovery = try reader.string("wal_recovery") { value throws(TesseraError) in
            _ = try SettingValue.walRecovery(value)
        }
        settings.phiThreshold = try reader.double("phi_threshold", above: 0)
        settings.readReplicas = try reader.string("read_replicas") { value throws(TesseraError) in
            _ = try SettingValue.loadAwareReads(value)
        }
        for (key, path) in [
            ("hint_window", \ServerSettings.hintWindow), ("repair_interval", \.repairInterval),
            ("tombstone_grace", \.tombstoneGrace),
        ] {
            settings[keyPath: path] = try reader.string(key) { value throws(TesseraError) in
                _ = try SettingValue.millis(value, flag: "duration")
            }
        }
        for (key, path) in [("hint_throttle", \ServerSettings.hintThrottle), ("hint_max_per_target", \.hintMaxPerTarget)] {
            settings[keyPath: path] = try reader.string(key) { value throws(TesseraError) in
                _ = try SettingValue.bytes(value, flag: "size")
            }
        }
        settings.repairDepth = try reader.int("repair_depth", 0...16)
        let nonEmpty = { (value: String) throws(TesseraError) in
            guard !value.isEmpty else { throw TesseraError(.invalidRequest, "must not be empty") }
        }
        settings.clusterSecretFile = try reader.string("cluster_secret_file", check: nonEmpty)
        settings.clusterSecret = try reader.string("cluster_secret") { value throws(TesseraError) in
            guard value.utf8.count >= 16 else {
                throw TesseraError(.invalidRequest, "the cluster secret has \(value.utf8.count) bytes; use at least 16")
            }
        }
        if settings.clusterSecretFile != nil && settings.clusterSecret != nil {
            throw reader.fail("cluster_secret", "give cluster_secret_file or cluster_secret, not both")
        }
        settings.maxClockOffsetMillis = try reader.int("max_clock_offset_ms", 1...86_400_000)
        settings.idleTimeoutMillis = try reader.int("idle_timeout_ms", 0...86_400_000)
        settings.partialFrameTimeoutMillis = try reader.int("partial_frame_timeout_ms", 0...86_400_000)
        settings.writeStallTimeoutMillis = try reader.int("write_stall_timeout_ms", 0...86_400_000)
        settings.connectionBufferMiB = try reader.int("connection_buffer_mib", 1...1_000_000)
        settings.nodeBufferMiB = try reader.int("node_buffer_mib", 1...1_000_000)
        settings.maxRequestsPerConnection = try reader.int("max_requests_per_connection", 1...1_000_000)
        settings.tlsCert = try reader.string("tls_cert", check: nonEmpty)
        settings.tlsKey = try reader.string("tls_key", check: nonEmpty)
        settings.tlsCA = try reader.string("tls_ca", check: nonEmpty)
        settings.peerMTLS = try reader.bool("peer_mtls")
        settings.clientTokenFile = try reader.string("client_token_file", check: nonEmpty)
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

        /// A TOML float or integer, finite and above `above`.
        func double(_ key: String, above: Double) throws(TesseraError) -> Double? {
            guard let value = table[key] else { return nil }
            guard let number = value.double ?? value.int.map(Double.init) else {
                throw fail(key, "must be a number, not \(typeName(value))")
            }
            guard number.isFinite, number > above else { throw fail(key, "\(number) must be a number above \(above)") }
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
