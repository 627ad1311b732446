public import Logging
import NIOCore
import NIOPosix
import Synchronization
import TesseraCore
import TesseraStorage

/// A running Tessera node: a TCP listener speaking the wire protocol, its storage engine, links to its peers.
///
/// `start` checks the data directory's identity, opens storage, binds, and starts pinging peers. `shutdown`
/// stops accepting, lets in-flight requests finish (up to `shutdownGraceMillis`), closes connections and
/// storage (flushing the WAL). The node runs on one event loop thread plus a small storage thread pool.
public final class TesseraNodeServer: Sendable {
    public let configuration: NodeConfiguration
    /// The port the node listens on (the kernel's choice if the configuration said 0).
    public let port: Int
    public let log: Logger
    /// This node's metrics registry (nil with metrics off); never the global MetricsSystem.
    public let metrics: NodeMetrics?
    /// The admin HTTP port (nil when `adminHost` is not set).
    public var adminPort: Int? { admin?.port }

    private let admin: AdminServer?
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let engine: StorageEngine
    private let serverChannel: any Channel
    private let core: NIOLoopBound<NodeCore>
    private let state = Mutex<LifecycleState>(LifecycleState())
    /// DIR/node.lock, held from start to the end of shutdown.
    private let directoryLock: FileLock

    private struct LifecycleState {
        var shuttingDown = false
        var stopped = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private init(
        configuration: NodeConfiguration,
        port: Int,
        log: Logger,
        group: MultiThreadedEventLoopGroup,
        pool: NIOThreadPool,
        engine: StorageEngine,
        serverChannel: any Channel,
        core: NIOLoopBound<NodeCore>,
        directoryLock: FileLock,
        metrics: NodeMetrics?,
        admin: AdminServer?
    ) {
        self.directoryLock = directoryLock
        self.metrics = metrics
        self.admin = admin
        self.configuration = configuration
        self.port = port
        self.log = log
        self.group = group
        self.pool = pool
        self.engine = engine
        self.serverChannel = serverChannel
        self.core = core
    }

    /// Starts a node. Throws `TesseraError` (invalidRequest for a bad configuration or a directory that belongs
    /// to another node or cluster, storage for storage failures, unavailable if the address cannot be bound).
    /// - Parameter hintSink: the durable hint store; nil keeps no hints (a sloppy stand-in then refuses hinted
    ///   writes, so they do not count).
    public static func start(
        configuration: NodeConfiguration,
        logger: Logger? = nil,
        hintSink: (any HintSink)? = nil
    ) async throws -> TesseraNodeServer
    {
        try configuration.validate()
        var log = logger ?? Logger(label: "tessera.node")
        log[metadataKey: "node"] = "\(configuration.nodeID)"
        log[metadataKey: "component"] = "node"

        // The directory lock comes before any write (node.sqlite, storage): a start refused because another
        // process runs on this directory changes nothing on disk.
        let directoryLock = try NodeDirectory.lock(configuration.dataDirectory)
        do {
            try NodeDirectory.prepare(configuration, log: log)
        } catch {
            throw StorageEventLog.explainNoSpace(error, directory: configuration.dataDirectory)
        }
        var storageOptions = configuration.storageOptions
        storageOptions.syncPolicy = configuration.syncPolicy
        storageOptions.eventHandler = StorageEventLog.handler(log)
        let engine: StorageEngine
        do {
            engine = try StorageEngine.open(
                directory: NodeDirectory.dataPath(configuration.dataDirectory),
                options: storageOptions
            )
        } catch {
            var hint = ""
            if case .corruption(let file, _, _) = error, file.hasSuffix(".log") {
                hint = "; to start with what is intact, use --wal-recovery point-in-time or skip-corrupted "
                    + "(docs/storage.md, WAL recovery modes)"
            }
            throw StorageEventLog.explainNoSpace(
                TesseraError(
                    .storage,
                    "cannot open storage in \(NodeDirectory.dataPath(configuration.dataDirectory)): \(error)\(hint)"
                ),
                directory: configuration.dataDirectory
            )
        }
        let quarantined = engine.stats().quarantinedTables
        if !quarantined.isEmpty {
            log.error(
                "storage holds quarantined tables: their keys come from other replicas until rebuilt (docs/storage.md, Rebuilding)",
                metadata: ["quarantined": "\(quarantined.joined(separator: ","))"]
            )
        }

        // A clean stop flushes the memtable, so a restart after one replays 0 records (docs/operations.md).
        log.info("storage opened", metadata: ["walRecordsReplayed": "\(engine.stats().walRecordsReplayed)"])

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: max(1, configuration.storageThreads))
        pool.start()
        let loop = group.next()
        do {
            var componentLog = log
            componentLog[metadataKey: "component"] = "coordinator"
            let coreLog = componentLog
            let metrics = configuration.metricsEnabled ? NodeMetrics(replicationFactor: configuration.replicationFactor) : nil
            let core = try await loop.submit {
                let core = NodeCore(configuration: configuration, engine: engine, pool: pool, eventLoop: loop, log: coreLog, hintSink: hintSink)
                core.coordinator.metrics = metrics
                return NIOLoopBound(core, eventLoop: loop)
            }.get()
            let budgetLimit = configuration.connectionLimits.nodeBufferBytes
            let budget = try await loop.submit {
                NIOLoopBound(NodeConnectionBudget(limit: budgetLimit), eventLoop: loop)
            }.get()
            let serverChannel: any Channel
            let tls = configuration.tls
            let tlsLog = log
            do {
                serverChannel = try await ServerBootstrap(group: loop)
                    .serverChannelOption(.backlog, value: 256)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    // Backpressure threshold (NodeConnectionHandler stops reading above it): high enough that a
                    // momentarily slow reader does not throttle replica traffic, low enough to bound memory.
                    .childChannelOption(
                        .writeBufferWaterMark,
                        value: ChannelOptions.Types.WriteBufferWaterMark(low: 1 << 20, high: 8 << 20)
                    )
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {  // docs/security.md: TLS first, then the same framing as plain TCP
                                try channel.pipeline.syncOperations.addHandler(tls.serverContext.serverHandler())
                                try channel.pipeline.syncOperations.addHandler(TLSRefusalLog(log: tlsLog))
                            }
                            try channel.pipeline.syncOperations.addHandler(NodeConnectionHandler(core: core.value, budget: budget.value))
                        }
                    }
                    .bind(host: configuration.listenHost, port: configuration.listenPort)
                    .get()
            } catch {
                throw TesseraError(
                    .unavailable,
                    "cannot listen on \(configuration.listenHost):\(configuration.listenPort): \(error)"
                )
            }
            let port = serverChannel.localAddress?.port ?? configuration.listenPort
            var admin: AdminServer?
            if let adminHost = configuration.adminHost {
                do {
                    admin = try await AdminServer.start(
                        host: adminHost, port: configuration.adminPort, loop: loop,
                        source: .init(snapshot: { core.eventLoop.flatSubmit { core.value.snapshot() } }, metrics: metrics)
                    )
                } catch {
                    try? await serverChannel.close()
                    throw error
                }
            }
            loop.execute { core.value.start() }
            log.info(
                "node started",
                metadata: [
                    "listen": "\(configuration.listenHost):\(port)",
                    "cluster": "\(configuration.clusterName)",
                    "members": "\(configuration.members.map(\.description).joined(separator: ","))",
                    "replication": "\(configuration.replicationFactor)",
                    "vnodes": "\(configuration.virtualNodes)",
                    "sync": "\(configuration.syncPolicy)",
                    "admin": "\(admin.map { "\(configuration.adminHost ?? ""):\($0.port)" } ?? "none")",
                    "metrics": "\(metrics == nil ? "off" : "on")",
                    "tls": "\(configuration.tls.map { $0.peerMutualTLS ? "on, peer mTLS" : "on" } ?? "off")",
                    "clientToken": "\(configuration.clientToken == nil ? "off" : "required")",
                ]
            )
            return TesseraNodeServer(
                configuration: configuration,
                port: port,
                log: log,
                group: group,
                pool: pool,
                engine: engine,
                serverChannel: serverChannel,
                core: core,
                directoryLock: directoryLock,
                metrics: metrics,
                admin: admin
            )
        } catch {
            try? engine.close()
            try? await pool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Stops the node gracefully: stop accepting, finish in-flight requests (bounded by
    /// `shutdownGraceMillis`), close connections, close storage (syncs the WAL). Idempotent; concurrent callers
    /// all return when the node has stopped.
    public func shutdown() async throws {
        let first = state.withLock { state -> Bool in
            if state.shuttingDown { return false }
            state.shuttingDown = true
            return true
        }
        guard first else {
            await waitUntilStopped()
            return
        }
        log.info("shutting down: no new connections, finishing in-flight requests")
        try? await serverChannel.close()
        let core = self.core
        let grace = TimeAmount.milliseconds(Int64(configuration.shutdownGraceMillis))
        try? await core.eventLoop.flatSubmit { core.value.drain(grace: grace) }.get()
        try? await core.eventLoop.flatSubmit { core.value.stop() }.get()
        var storageError: (any Error)?
        do {
            try await pool.runIfActive { [engine] in try engine.flush() }
            log.info("memtable flushed")
        } catch {
            log.error("flushing the memtable at shutdown failed; the WAL still holds its writes", metadata: ["error": "\(error)"])
        }
        do {
            try await pool.runIfActive { [engine] in try engine.close() }
        } catch {
            storageError = error
            log.error("closing storage failed", metadata: ["error": "\(error)"])
        }
        await admin?.close()
        try? await pool.shutdownGracefully()
        try? await group.shutdownGracefully()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        directoryLock.unlock()
        for waiter in waiters { waiter.resume() }
        log.info("node stopped")
        if let storageError { throw TesseraError(.storage, "closing storage failed: \(storageError)") }
    }

    /// The node's counters and its storage engine's now (what `/metrics` and `/health/ready` read).
    public func snapshot() async throws -> NodeSnapshot {
        let core = self.core
        return try await core.eventLoop.flatSubmit { core.value.snapshot() }.get()
    }

    /// Returns when `shutdown` has completed.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.stopped { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
