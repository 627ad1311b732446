import ArgumentParser
import Dispatch
import Logging
import TesseraCore
import TesseraNode

#if canImport(Glibc)
import Glibc
#endif

/// `tessera server`: run one node. See docs/operations.md.
struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run one Tessera node.",
        discussion: """
            Every node of a cluster gets the same --members list (same order). Example, node n1 of three:
              tessera server --node-id n1 --listen 127.0.0.1:7001 --data /var/lib/tessera/n1 \\
                --members n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003 --replication 3
            The data directory remembers its node id and cluster; starting another node on it is refused.
            SIGTERM or SIGINT: stop accepting, finish in-flight requests, flush, exit 0.
            """
    )

    @Option(name: .customLong("node-id"), help: "This node's id (1-64 of [A-Za-z0-9._-]); must be in --members.")
    var nodeID: String

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String

    @Option(help: "Data directory (holds node.sqlite and data/).")
    var data: String

    @Option(help: "All members, ID=HOST:PORT,ID=HOST:PORT,... in the same order on every node.")
    var members: String

    @Option(help: "Replicas per key (N).")
    var replication: Int = 3

    @Option(help: "Virtual nodes (tokens) per member.")
    var vnodes: Int = 16

    @Option(
        name: .customLong("cluster-name"),
        help: "Cluster name; a node refuses a data directory of another cluster."
    )
    var clusterName: String = "tessera"

    @Option(help: "WAL sync policy: always, group[:MICROS], periodic[:MILLIS] or never.")
    var sync: String = "group"

    @Option(name: .customLong("timeout-ms"), help: "Default request timeout when a request asks for 0.")
    var timeoutMillis: UInt32 = 2000

    @Option(
        name: .customLong("cluster-secret-file"),
        help: "File whose contents (at least 16 bytes; one trailing newline dropped) peers prove in the handshake."
    )
    var clusterSecretFile: String?

    @Option(
        name: .customLong("cluster-secret"),
        help: "The cluster secret itself (visible in the process list: prefer --cluster-secret-file)."
    )
    var clusterSecret: String?

    @Option(
        name: .customLong("max-clock-offset-ms"),
        help: "Refuse replica versions more than this far ahead of the node's clock."
    )
    var maxClockOffsetMillis: UInt64 = 500

    @Option(name: .customLong("idle-timeout-ms"), help: "Close client connections idle this long (0: never).")
    var idleTimeoutMillis: Int = 300_000

    @Option(
        name: .customLong("partial-frame-timeout-ms"),
        help: "Close a connection whose frame is incomplete this long after its first byte (0: never)."
    )
    var partialFrameTimeoutMillis: Int = 15_000

    @Option(
        name: .customLong("write-stall-timeout-ms"),
        help: "Close a connection that takes none of its pending replies for this long (0: never)."
    )
    var writeStallTimeoutMillis: Int = 30_000

    @Option(
        name: .customLong("connection-buffer-mib"),
        help: "Per connection: MiB of requests being served plus unsent replies before its reads stop."
    )
    var connectionBufferMiB: Int = 32

    @Option(
        name: .customLong("node-buffer-mib"),
        help: "Per node: the same over all client connections before every client's reads stop (peers exempt)."
    )
    var nodeBufferMiB: Int = 256

    @Option(
        name: .customLong("max-requests-per-connection"),
        help: "Requests served at once per connection; further frames wait in the socket."
    )
    var maxRequestsPerConnection: Int = 32

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(
        name: .customLong("exit-with-parent"),
        help: "Shut down cleanly when the process that started this node exits (used by demo, bench and tests)."
    )
    var exitWithParent = false

    /// Checks every flag before anything starts, so errors come with this command's usage.
    func validate() throws {
        _ = try makeConfiguration()
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("unknown log level '\(logLevel)': use trace, debug, info, notice, warning, error or critical")
        }
    }

    /// The node configuration the flags describe; `ValidationError` saying what is wrong otherwise.
    func makeConfiguration() throws -> NodeConfiguration {
        do {
            let (host, port) = try MemberAddress.parseHostPort(listen)
            var config = NodeConfiguration(
                nodeID: NodeID(nodeID),
                listenHost: host,
                listenPort: port,
                dataDirectory: data,
                members: try MemberAddress.parseList(members),
                replicationFactor: replication,
                virtualNodes: vnodes,
                clusterName: clusterName,
                syncPolicy: try NodeConfiguration.parseSyncPolicy(sync)
            )
            config.defaultTimeoutMillis = timeoutMillis
            config.maxClockOffsetMillis = maxClockOffsetMillis
            config.connectionLimits.idleTimeoutMillis = idleTimeoutMillis
            config.connectionLimits.partialFrameTimeoutMillis = partialFrameTimeoutMillis
            config.connectionLimits.writeStallTimeoutMillis = writeStallTimeoutMillis
            config.connectionLimits.connectionBufferBytes = connectionBufferMiB << 20
            config.connectionLimits.nodeBufferBytes = nodeBufferMiB << 20
            config.connectionLimits.maxRequestsInFlight = maxRequestsPerConnection
            config.clusterSecret = try readClusterSecret()
            try config.validate()
            return config
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// `mallopt(M_MMAP_THRESHOLD, bytes)`, looked up at run time (malloc.h is not in the Glibc module).
    static func fixMmapThreshold(_ bytes: Int32) {
        #if os(Linux)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in malloc.h
            _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, bytes)
        #endif
    }

    /// The secret from --cluster-secret-file or --cluster-secret (not both); nil when neither is given.
    func readClusterSecret() throws(TesseraError) -> [UInt8]? {
        if clusterSecretFile != nil && clusterSecret != nil {
            throw TesseraError(.invalidRequest, "give --cluster-secret-file or --cluster-secret, not both")
        }
        if let clusterSecret { return Array(clusterSecret.utf8) }
        guard let path = clusterSecretFile else { return nil }
        guard let file = fopen(path, "rb") else {
            throw TesseraError(.invalidRequest, "cannot read the cluster secret file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
            if bytes.count > 1 << 20 { throw TesseraError(.invalidRequest, "the cluster secret file \(path) is over 1 MiB") }
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }

    func run() async throws {
        // A fixed mmap threshold: blocks of 256 KiB and more (large values, reply buffers) are mmapped and
        // returned to the kernel on free. glibc's default raises the threshold after such a free, after which
        // large blocks come from arenas that keep freed memory resident (RSS stayed hundreds of MiB above its
        // baseline after large-GET bursts; docs/benchmarks.md, "Node memory").
        Self.fixMmapThreshold(256 << 10)
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let configuration = try makeConfiguration()
        if configuration.clusterSecret == nil && configuration.members.count > 1 {
            Logger(label: "tessera.node").warning(
                "no cluster secret (--cluster-secret-file): peers are identified by member id only; anyone who can reach this port and knows a member id can send replica traffic"
            )
        }

        let node: TesseraNodeServer
        do {
            node = try await TesseraNodeServer.start(configuration: configuration)
        } catch let error as TesseraError {
            FileHandleStderr.write("tessera server: \(error.message)\n")
            throw ExitCode(2)
        }

        // SIGTERM / SIGINT: graceful shutdown. The handlers run on a Dispatch queue, not in a signal context.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                node.log.info("received signal \(sig)")
                Task { try? await node.shutdown() }
            }
            source.resume()
            sources.append(source)
        }
        // --exit-with-parent: a launcher killed with SIGKILL cannot stop its nodes, so each node watches for
        // being re-parented (getppid changes) and shuts down the same way as on SIGTERM.
        var parentWatch: (any DispatchSourceTimer)?
        if exitWithParent {
            let parent = getppid()
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(500))
            timer.setEventHandler {
                guard getppid() != parent else { return }
                node.log.notice("parent process \(parent) exited; shutting down (--exit-with-parent)")
                timer.cancel()
                Task { try? await node.shutdown() }
            }
            timer.resume()
            parentWatch = timer
        }
        await node.waitUntilStopped()
        for source in sources { source.cancel() }
        parentWatch?.cancel()
    }
}

/// Writes to standard error without Foundation.
enum FileHandleStderr {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
