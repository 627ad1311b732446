import Logging
import TesseraCore
import TesseraRing
import TesseraStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The layout of a node's directory and the identity check made before anything else opens it.
///
/// ```
/// DIR/node.lock     held (flock) by the running node, taken before anything is written
/// DIR/node.sqlite   identity: node id, cluster name, members, tokens (NodeMetadataStore)
/// DIR/data/         the storage engine's files (WAL, SSTables, manifest)
/// ```
public enum NodeDirectory {
    public static func metadataPath(_ directory: String) -> String { directory + "/node.sqlite" }
    public static func lockPath(_ directory: String) -> String { directory + "/node.lock" }
    public static func dataPath(_ directory: String) -> String { directory + "/data" }

    /// The identity a node started with `configuration` would write.
    public static func identity(for configuration: NodeConfiguration) -> NodeIdentity {
        let ring = Ring(members: configuration.members.map(\.id), virtualNodes: configuration.virtualNodes)
        var tokens: [String: [Int64]] = [:]
        for member in configuration.members { tokens[member.id.name] = ring.tokens(of: member.id).sorted() }
        return NodeIdentity(
            nodeID: configuration.nodeID.name,
            clusterName: configuration.clusterName,
            replicationFactor: configuration.replicationFactor,
            virtualNodes: configuration.virtualNodes,
            members: configuration.members,
            tokens: tokens
        )
    }

    /// Creates the directory if needed and takes `DIR/node.lock`; throws `invalidRequest` if another process
    /// holds it (a node already runs on this directory), before anything in the directory is written.
    public static func lock(_ directory: String) throws(TesseraError) -> FileLock {
        try createDirectories(directory)
        do {
            return try POSIXFileSystem().lockFile(lockPath(directory))
        } catch {
            if case .invalidArgument = error {
                throw TesseraError(
                    .invalidRequest,
                    "data directory \(directory) is in use by another running node (\(lockPath(directory)) is "
                        + "locked); refusing to start, nothing was changed"
                )
            }
            throw TesseraError(.storage, "cannot lock \(lockPath(directory)): \(error)")
        }
    }

    /// Creates the directory if needed and checks (or, for a new directory, records) the node's identity.
    ///
    /// Throws `invalidRequest` naming the owner if the directory belongs to another node or cluster, or holds
    /// storage files but no identity.
    public static func prepare(_ configuration: NodeConfiguration, log: Logger) throws(TesseraError) {
        let directory = configuration.dataDirectory
        try createDirectories(directory)
        let proposed = identity(for: configuration)
        let metadataExisted = exists(metadataPath(directory))
        if !metadataExisted && !isEmptyOrMissing(dataPath(directory)) {
            throw TesseraError(
                .invalidRequest,
                "\(dataPath(directory)) holds data but \(metadataPath(directory)) is missing: refusing to guess "
                    + "which node this directory belongs to"
            )
        }
        let store = try NodeMetadataStore(path: metadataPath(directory))
        guard let stored = try store.load() else {
            try store.save(proposed)
            log.info(
                "initialised data directory",
                metadata: ["directory": "\(directory)", "cluster": "\(configuration.clusterName)"]
            )
            return
        }
        try stored.checkCompatible(with: proposed, directory: directory)
        if stored != proposed {
            log.notice(
                "member addresses or replication factor changed; recording the new values",
                metadata: ["directory": "\(directory)"]
            )
            try store.save(proposed)
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func isEmptyOrMissing(_ path: String) -> Bool {
        guard let dir = opendir(path) else { return true }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    /// `mkdir -p`.
    static func createDirectories(_ path: String) throws(TesseraError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw TesseraError(.storage, "cannot create directory \(prefix): \(String(cString: strerror(errno)))")
            }
            prefix += "/"
        }
    }
}
