import Logging
import NIOCore
import NIOPosix
import Synchronization
import TesseraCore
import TesseraLocalCluster
import TesseraNode
import TesseraStorage
import TesseraWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A fresh temporary directory, removed by `removeTree`.
func makeTemporaryDirectory(_ prefix: String = "tessera-node-test") -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer in String(cString: mkdtemp(buffer.baseAddress!)!) }
    return path
}

/// `rm -rf path`.
func removeTree(_ path: String) {
    guard let dir = opendir(path) else {
        unlink(path)
        return
    }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        var info = stat()
        if lstat(child, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
    }
    closedir(dir)
    rmdir(path)
}

/// An in-process cluster of real nodes on 127.0.0.1 (each with its own event loop, storage and directory).
final class TestCluster: Sendable {
    let members: [MemberAddress]
    let directory: String
    let replicationFactor: Int
    let nodes: Mutex<[TesseraNodeServer?]>
    /// Each node's hint store (nil: the node keeps no hints).
    let hintSinks: [(any HintSink)?]

    init(members: [MemberAddress], directory: String, replicationFactor: Int, hintSinks: [(any HintSink)?] = []) {
        self.members = members
        self.directory = directory
        self.replicationFactor = replicationFactor
        self.nodes = Mutex(Array(repeating: nil, count: members.count))
        self.hintSinks = hintSinks.isEmpty ? Array(repeating: nil, count: members.count) : hintSinks
    }

    static func start(size: Int = 3, replicationFactor: Int = 3, hintSinks: [(any HintSink)?] = []) async throws
        -> TestCluster
    {
        // Below the ephemeral range (ClusterLauncher.freePorts): a kernel-picked port was taken by another test's
        // outgoing connection before the node bound it (CI: "Address already in use").
        let ports = try ClusterLauncher.freePorts(count: size)
        let members = (0..<size).map { MemberAddress(id: NodeID("n\($0 + 1)"), host: "127.0.0.1", port: ports[$0]) }
        let cluster = TestCluster(
            members: members,
            directory: makeTemporaryDirectory(),
            replicationFactor: replicationFactor,
            hintSinks: hintSinks
        )
        for index in 0..<size { try await cluster.startNode(index) }
        try await cluster.waitUntilAllUp()
        return cluster
    }

    /// Starts a cluster, runs `body`, and shuts the cluster down whether `body` returns or throws.
    static func with(
        size: Int = 3,
        replicationFactor: Int = 3,
        hintSinks: [(any HintSink)?] = [],
        _ body: (TestCluster) async throws -> Void
    ) async throws {
        let cluster = try await start(size: size, replicationFactor: replicationFactor, hintSinks: hintSinks)
        do {
            try await body(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    /// Waits until every running node's failure detector sees every other running node up.
    func waitUntilAllUp(seconds: Double = 10) async throws {
        let running = nodes.withLock { list in list.indices.filter { list[$0] != nil } }
        for index in running {
            let connection = try await connect(index)
            let converged = await eventually(seconds: seconds) {
                guard
                    case .statusResult(let status)? = try? await connection.response(to: .status, timeout: .seconds(2))
                else { return false }
                return status.peersUp.count == running.count - 1
            }
            connection.close()
            guard converged else {
                throw TesseraError(.timeout, "node \(members[index].id) did not see its peers up within \(seconds) s")
            }
        }
    }

    func status(_ index: Int) async throws -> WireStatus {
        let connection = try await connect(index)
        defer { connection.close() }
        guard case .statusResult(let status) = try await connection.response(to: .status, timeout: .seconds(5)) else {
            throw TesseraError(.internalError, "no status from node \(index)")
        }
        return status
    }

    func configuration(_ index: Int) -> NodeConfiguration {
        var config = NodeConfiguration(
            nodeID: members[index].id,
            listenHost: "127.0.0.1",
            listenPort: members[index].port,
            dataDirectory: "\(directory)/\(members[index].id)",
            members: members,
            replicationFactor: replicationFactor,
            virtualNodes: 8,
            clusterName: "test",
            syncPolicy: .never
        )
        config.pingIntervalMillis = 100
        config.peerDownAfterMillis = 400
        config.storageThreads = 2
        return config
    }

    func startNode(_ index: Int) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let node = try await TesseraNodeServer.start(
            configuration: configuration(index),
            logger: logger,
            hintSink: hintSinks[index]
        )
        nodes.withLock { $0[index] = node }
    }

    func stopNode(_ index: Int) async throws {
        let node = nodes.withLock { nodes -> TesseraNodeServer? in
            defer { nodes[index] = nil }
            return nodes[index]
        }
        try await node?.shutdown()
    }

    func shutdown() async {
        for index in 0..<members.count { try? await stopNode(index) }
        removeTree(directory)
    }

    func connect(_ index: Int) async throws -> WireConnection {
        try await WireConnection.connect(
            host: "127.0.0.1",
            port: members[index].port,
            group: MultiThreadedEventLoopGroup.singleton
        )
    }

    /// A connection to node `index` that completed the peer handshake as member `peer` (REPLICA_* allowed).
    func connectAsPeer(_ index: Int, as peer: Int? = nil) async throws -> WireConnection {
        let connection = try await connect(index)
        let me = members[peer ?? (index + 1) % members.count].id.name
        let credentials = PeerHandshake.Credentials(
            clusterName: "test",
            nodeID: me == members[index].id.name ? "stranger" : me,
            members: Set(members.map(\.id.name)),
            secret: nil
        )
        try await connection.authenticateAsPeer(
            credentials: credentials, expectedNodeID: members[index].id.name, timeout: .seconds(5)
        ).get()
        return connection
    }
}

extension WireConnection {
    func put(
        _ key: String,
        _ value: String,
        _ level: ConsistencyLevel = .quorum,
        quorum: QuorumMode = .strict
    ) async throws -> WireMessage {
        try await response(
            to: .put(key: Array(key.utf8), value: Array(value.utf8), consistency: level, timeoutMillis: 2000, quorum: quorum),
            timeout: .seconds(10)
        )
    }

    /// Puts `"\(keyPrefix)\(i)"` = `"\(valuePrefix)\(i)"` for i in 0..<count; records an issue and returns false at
    /// the first write that is not acknowledged.
    func putNumbered(_ keyPrefix: String, _ valuePrefix: String, count: Int, _ level: ConsistencyLevel) async throws -> Bool {
        for i in 0..<count {
            guard case .writeResult = try await put("\(keyPrefix)\(i)", "\(valuePrefix)\(i)", level) else {
                Issue.record("write \(keyPrefix)\(i) failed")
                return false
            }
        }
        return true
    }

    func get(_ key: String, _ level: ConsistencyLevel = .quorum) async throws -> WireMessage {
        try await response(
            to: .get(key: Array(key.utf8), consistency: level, timeoutMillis: 2000),
            timeout: .seconds(10)
        )
    }

    func delete(_ key: String, _ level: ConsistencyLevel = .quorum) async throws -> WireMessage {
        try await response(
            to: .delete(key: Array(key.utf8), consistency: level, timeoutMillis: 2000),
            timeout: .seconds(10)
        )
    }
}

/// The value of a GET_RESULT, nil for not found / tombstone; throws for anything else.
func value(of reply: WireMessage) throws -> String? {
    switch reply {
    case .getResult(let cell?): return cell.value.map { String(decoding: $0, as: UTF8.self) }
    case .getResult(nil): return nil
    case .error(let error): throw error
    default: throw TesseraError(.internalError, "unexpected reply \(reply)")
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(seconds: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
