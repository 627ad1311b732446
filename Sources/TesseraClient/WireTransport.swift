import NIOCore
import NIOPosix
import Synchronization
import TesseraCore
import TesseraTLS
import TesseraWire

/// The real transport: `ClientRequest`s as TesseraWire frames over pipelined TCP connections (`WireConnection`).
///
/// Connections live on NIO's shared event loop group; replies complete on the connection's event loop and
/// resume the caller's task.
struct WireTransport: ClientTransport {
    let group: any EventLoopGroup

    let taskExecutors: [EventLoopTaskExecutor]
    /// TLS towards the nodes; nil: plain TCP.
    let tls: TLSContext?
    /// Sent with CLIENT_AUTH first on every connection; nil: none.
    let authToken: [UInt8]?

    init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tls: TLSContext? = nil,
        authToken: [UInt8]? = nil
    ) {
        self.group = group
        self.taskExecutors = group.makeIterator().map { EventLoopTaskExecutor(loop: $0) }
        self.tls = tls
        self.authToken = authToken
    }

    func connect(to address: HostAddress, timeout: Duration) async throws(TransportFailure) -> any ClientConnection {
        let connection: WireConnection
        do {
            connection = try await WireConnection.connect(
                host: address.host,
                port: address.port,
                group: group,
                connectTimeout: Self.timeAmount(timeout),
                tlsHandler: tls?.clientHandler(host: address.host)
            ).get()
        } catch let error as TesseraError where error.code == .unauthenticated {
            throw .refused(error)  // the TLS handshake failed
        } catch {
            throw .connectFailed(Self.connectFailureReason(error))
        }
        if let authToken {
            do {
                try await connection.authenticateAsClient(token: authToken, timeout: Self.timeAmount(timeout)).get()
            } catch {
                connection.close()
                let refusal = error as? TesseraError
                if let refusal, refusal.code == .unauthenticated { throw .refused(refusal) }
                throw .connectFailed("client authentication with \(address) failed: \(refusal?.message ?? "\(error)")")
            }
        }
        return WireClientConnection(connection)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }

    /// A short reason from NIO's detailed connect error ("connection refused", "could not resolve the host").
    static func connectFailureReason(_ error: any Error) -> String {
        let text = (error as? TesseraError)?.message ?? "\(error)"
        if text.lowercased().contains("refused") { return "connection refused" }
        if text.contains("connectTimeout") || text.lowercased().contains("timed out") {
            return "connect timed out"
        }
        let lower = text.lowercased()
        if lower.contains("unknownhost") || lower.contains("dns error") || text.contains("connectionErrors: []") {
            return "could not resolve the host name"
        }
        if text.lowercased().contains("unreachable") { return "network unreachable" }
        return text
    }
}

/// One `WireConnection` as the client's `ClientConnection`.
///
/// Requests from many tasks are handed to the connection's event loop in batches: a caller appends its request
/// to a queue, and only the caller that finds the queue idle schedules a drain on the loop. The drain then
/// sends everything queued from inside the loop (no further thread hops). Under concurrency this turns one
/// event-loop wake-up (an eventfd write and a context switch) per request into one per batch, which was the
/// largest cost on the client side in profiles (docs/benchmarks.md, "Cluster").
final class WireClientConnection: ClientConnection {
    typealias Completion = @Sendable (Result<WireMessage, TesseraError>) -> Void

    private struct Queued {
        var message: WireMessage
        var timeout: TimeAmount
        var completion: Completion
    }

    private struct Queue {
        var items: [Queued] = []
        var drainScheduled = false
    }

    let connection: WireConnection
    private let queue = Mutex(Queue())

    init(_ connection: WireConnection) {
        self.connection = connection
    }

    var isActive: Bool { connection.isActive }

    func send(_ request: ClientRequest, timeout: Duration) async throws(TransportFailure) -> ClientResponse {
        let message = Self.message(for: request)
        let amount = WireTransport.timeAmount(timeout)
        // Unsafe continuation: resumed exactly once, by the connection's completion (reply, error, timeout or
        // close all complete it).
        let result = await withUnsafeContinuation {
            (continuation: UnsafeContinuation<Result<WireMessage, TesseraError>, Never>) in
            enqueue(message, timeout: amount) { continuation.resume(returning: $0) }
        }
        switch result {
        case .success(let reply):
            return Self.response(from: reply, to: request)
        case .failure(let error):
            switch error.code {
            case .unavailable:
                // The connection was closed before the request went out: nothing was sent.
                throw .connectFailed(error.message)
            case .timeout where connection.isActive:
                throw .timedOut
            default:
                // Closed (or garbled) while the request was in flight: it may have been applied.
                throw .connectionLost(error.message)
            }
        }
    }

    private func enqueue(_ message: WireMessage, timeout: TimeAmount, completion: @escaping Completion) {
        let loop = connection.eventLoop
        if loop.inEventLoop {
            connection.request(message, timeout: timeout, callback: completion)
            return
        }
        let schedule = queue.withLock { queue -> Bool in
            queue.items.append(Queued(message: message, timeout: timeout, completion: completion))
            guard !queue.drainScheduled else { return false }
            queue.drainScheduled = true
            return true
        }
        if schedule { loop.execute { self.drain() } }
    }

    /// Runs on the event loop: sends every queued request (each goes straight to the handler, which writes
    /// them all with one flush at the end of the tick).
    private func drain() {
        let items = queue.withLock { queue -> [Queued] in
            let items = queue.items
            queue.items = []
            queue.items.reserveCapacity(items.count)
            queue.drainScheduled = false
            return items
        }
        for item in items {
            connection.request(item.message, timeout: item.timeout, callback: item.completion)
        }
    }

    func close() {
        connection.close()
    }

    static func message(for request: ClientRequest) -> WireMessage {
        switch request {
        case .get(let key, let consistency, let timeout):
            return .get(key: key, consistency: consistency, timeoutMillis: millis(timeout))
        case .put(let key, let value, let consistency, let timeout, let quorum):
            return .put(key: key, value: value, consistency: consistency, timeoutMillis: millis(timeout), quorum: quorum)
        case .delete(let key, let consistency, let timeout, let quorum):
            return .delete(key: key, consistency: consistency, timeoutMillis: millis(timeout), quorum: quorum)
        case .idempotentWrite(let key, let value, let consistency, let timeout, let quorum, let id, let resend, let version):
            return .idempotentWrite(
                key: key, value: value, consistency: consistency, timeoutMillis: millis(timeout), quorum: quorum,
                writeID: id, resend: resend, version: version
            )
        case .ring: return .ring
        case .status: return .status
        case .ping: return .ping
        case .hotKeys(let limit): return .hotKeys(limit: UInt16(clamping: limit))
        }
    }

    static func response(from reply: WireMessage, to request: ClientRequest) -> ClientResponse {
        switch reply {
        case .getResult(let cell):
            guard let cell, let value = cell.value else { return .value(nil) }
            return .value(VersionedValue(value: value, version: cell.version))
        case .writeResult(let version, _):
            return .written(version)
        case .ringResult(let ring):
            let members = ring.members.map { member in
                ClusterTopology.Member(
                    id: NodeID(member.nodeID),
                    address: HostAddress(host: member.host, port: member.port),
                    tokens: member.tokens
                )
            }
            return .topology(
                ClusterTopology(
                    members: members,
                    replicationFactor: ring.replicationFactor,
                    clusterName: ring.clusterName,
                    virtualNodes: ring.virtualNodes
                )
            )
        case .statusResult(let wire):
            var status = NodeStatus(id: NodeID(wire.nodeID), address: HostAddress(host: "", port: 0), isUp: true)
            status.uptimeMillis = wire.uptimeMillis
            status.keys = wire.keysEstimate
            status.bytes = wire.diskBytes
            status.gets = wire.gets
            status.puts = wire.puts
            status.deletes = wire.deletes
            status.failedRequests = wire.failedRequests
            status.replicaWrites = wire.replicaWrites
            status.replicaReads = wire.replicaReads
            status.peersDown = wire.peersDown
            let peers = wire.peerViews
            status.peers = peers.map {
                NodeStatus.PeerView(id: NodeID($0.node), isUp: $0.isUp, phi: $0.phi, heardMillisAgo: $0.heardMillisAgo)
            }
            for counter in wire.counters where !(peers.isEmpty ? false : counter.name.hasPrefix("peer:")) {
                status.counters[counter.name] = counter.value
            }
            return .status(status)
        case .pong:
            return .pong
        case .hotKeysResult(let wire):
            var hot = NodeHotKeys(id: NodeID(wire.nodeID), address: HostAddress(host: "", port: 0), isUp: true)
            hot.halfLifeMillis = wire.halfLifeMillis
            hot.readsRecorded = wire.reads.recorded
            hot.writesRecorded = wire.writes.recorded
            func keys(_ section: WireHotKeys.Section) -> [NodeHotKeys.HotKey] {
                section.keys.map {
                    .init(key: $0.key, count: $0.count, error: $0.error, share: section.total > 0 ? $0.count / section.total : 0)
                }
            }
            hot.reads = keys(wire.reads)
            hot.writes = keys(wire.writes)
            return .hotKeys(hot)
        case .error(let error):
            return .error(error)
        case .hotKeys, .get, .put, .delete, .idempotentWrite, .ring, .status, .ping, .replicaWrite, .replicaAck, .replicaRead, .replicaReadResult, .replicaReadVersion, .replicaVersionResult,
            .replicaHintedWrite, .replicaHintedAck, .healing,
            .peerHello, .peerChallenge, .peerAuth, .peerWelcome, .clientAuth, .clientWelcome:
            return .error(TesseraError(.protocolError, "unexpected \(reply.opcode) reply to \(request.name)"))
        }
    }

    /// Milliseconds for the coordinator's deadline: at least 1, at most UInt32.max.
    static func millis(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        return UInt32(clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
