import Synchronization
public import TesseraCore

/// The Tessera client: async get, put and delete with a consistency level per call.
///
/// ```swift
/// let client = try TesseraClient(seeds: ["127.0.0.1:7001", "127.0.0.1:7002"])
/// try await client.put("user:1", "Ada", consistency: .quorum)
/// if let hit = try await client.get("user:1") { print(hit.string ?? "", hit.version) }
/// try await client.delete("user:1")
/// await client.shutdown()
/// ```
///
/// Routing is token-aware: the client fetches the ring (RING) from a seed and sends each request to a live
/// replica of its key, which coordinates it; replicas take turns so load spreads. It asks for the ring again
/// every `Options.ringRefreshInterval` and after a node stops answering.
///
/// Fail-over: when a node refuses the connection the request goes to the next replica, then to any node.
/// A request whose connection closed after it was sent is sent again (writes only if
/// `Options.retryWritesAfterConnectionLoss`). A request that timed out is never sent again: a timed-out write
/// is reported as `TesseraError.timeout`, whose `isIndeterminate` is true (it may or may not have been applied).
///
/// Errors are `TesseraError` with the server's code and message: `unavailable` (too few live replicas; the
/// message says how many were needed and alive, or that no node could be reached), `timeout` (the message says
/// how many replicas acknowledged of how many were needed), `invalidRequest` (checked on the client first: empty
/// or oversized key, oversized value, a level above the replication factor, a bad timeout).
///
/// Thread-safety: a client is `Sendable`; share one per process. Requests are pipelined over a few
/// connections per node (`Options.connectionsPerNode`), so many concurrent calls cost no threads.
public final class TesseraClient: Sendable {
    /// The settings this client was created with.
    public let options: Options
    /// The addresses the client starts from, until it has the ring.
    public let seeds: [HostAddress]

    private struct State: Sendable {
        var routing: RoutingTable
        var lastRefresh: ContinuousClock.Instant?
        var refresh: Task<Result<ClusterTopology, TesseraError>, Never>?
        var downUntil: [HostAddress: ContinuousClock.Instant] = [:]
        var isShutdown = false
    }

    private let transport: any ClientTransport
    private let state: Mutex<State>
    private let pools = Mutex<[HostAddress: NodeConnectionPool]>([:])
    private let rotation = Atomic<Int>(0)

    /// Creates a client that talks to `seeds` through `transport`. Connects lazily, on the first call.
    init(seeds: [HostAddress], options: Options, transport: any ClientTransport) throws(TesseraError) {
        guard !seeds.isEmpty else {
            throw TesseraError(.invalidRequest, "no seeds given: expected at least one HOST:PORT")
        }
        try options.validate()
        self.seeds = seeds
        self.options = options
        self.transport = transport
        self.state = Mutex(State(routing: RoutingTable(seeds: seeds, topology: nil)))
    }

    // MARK: Data

    /// Reads `key`: its newest value and version, or nil if the key does not exist (or was deleted).
    /// - Parameters:
    ///   - consistency: how many replicas must answer (default `options.defaultConsistency`).
    ///   - timeout: the deadline for the whole call (default `options.defaultTimeout`).
    public func get(
        _ key: [UInt8],
        consistency: ConsistencyLevel? = nil,
        timeout: Duration? = nil
    ) async throws(TesseraError) -> VersionedValue? {
        try Limits.checkKey(key.count)
        let level = consistency ?? options.defaultConsistency
        let response = try await perform(key: key, timeout: timeout, level: level) { serverTimeout in
            .get(key: key, consistency: level, timeout: serverTimeout)
        }
        switch response {
        case .value(let value): return value
        case .error(let error) where error.code == .notFound: return nil
        default: throw Self.unexpected(response, for: "get")
        }
    }

    /// Reads a UTF-8 key. See `get(_:consistency:timeout:)`.
    public func get(
        _ key: String,
        consistency: ConsistencyLevel? = nil,
        timeout: Duration? = nil
    ) async throws(TesseraError) -> VersionedValue? {
        try await get(Array(key.utf8), consistency: consistency, timeout: timeout)
    }

    /// Stores `value` under `key` and returns the version the coordinator gave the write.
    ///
    /// On `TesseraError.timeout` (and any error whose `isIndeterminate` is true) the write may or may not have
    /// been applied: read the key to find out, or call `put` again with the same `token` (a `WriteToken`), which
    /// resends it with the first attempt's version, so it is applied at most once.
    @discardableResult
    public func put(
        _ key: [UInt8],
        _ value: [UInt8],
        consistency: ConsistencyLevel? = nil,
        timeout: Duration? = nil,
        quorum: QuorumMode? = nil,
        token: WriteToken? = nil
    ) async throws(TesseraError) -> Version {
        try Limits.checkKey(key.count)
        try Limits.checkValue(value.count)
        let level = consistency ?? options.defaultConsistency
        let mode = quorum ?? options.defaultQuorum
        if let token = token ?? (options.idempotentWrites ? WriteToken() : nil) {
            return try await idempotentWrite(key: key, value: value, level: level, mode: mode, timeout: timeout, token: token)
        }
        let response = try await perform(key: key, timeout: timeout, level: level) { serverTimeout in
            .put(key: key, value: value, consistency: level, timeout: serverTimeout, quorum: mode)
        }
        guard case .written(let version) = response else { throw Self.unexpected(response, for: "put") }
        return version
    }

    /// Stores a UTF-8 value under a UTF-8 key. See `put(_:_:consistency:timeout:)`.
    @discardableResult
    public func put(
        _ key: String,
        _ value: String,
        consistency: ConsistencyLevel? = nil,
        timeout: Duration? = nil,
        quorum: QuorumMode? = nil,
        token: WriteToken? = nil
    ) async throws(TesseraError) -> Version {
        try await put(
            Array(key.utf8), Array(value.utf8), consistency: consistency, timeout: timeout, quorum: quorum, token: token
        )
    }

    /// Deletes `key` (writes a tombstone) and returns the version of the delete. Deleting a missing key
    /// succeeds. Timeouts are indeterminate, as for `put`; a `token` makes a retry idempotent, as for `put`.
    @discardableResult
    public func delete(
        _ key: [UInt8],
        consistency: ConsistencyLevel? = nil,
        timeout: Duration? = nil,
        quorum: QuorumMode? = nil,
        token: WriteToken? = nil
    ) async throws(TesseraError) -> Version {
        try Limits.checkKey(key.count)
        let level = consistency ?? options.defaultConsistency
        let mode = quorum ?? options.defaultQuorum
        if let token = token ?? (options.idempotentWrites ? WriteToken() : nil) {
            return try await idempotentWrite(key: key, value: nil, level: level, mode: mode, timeout: timeout, token: token)
        }
        let response = try await perform(key: key, timeout: timeout, level: level) { serverTimeout in
            .delete(key: key, consistency: level, timeout: serverTimeout, quorum: mode)
        }
        guard case .written(let version) = response else { throw Self.unexpected(response, for: "delete") }
        return version
    }

    /// Deletes a UTF-8 key. See `delete(_:consistency:timeout:)`.
    @discardableResult
    public func delete(
        _ key: String,
        consistency: ConsistencyLevel? = nil,
        timeout: Duration? = nil
    ) async throws(TesseraError) -> Version {
        try await delete(Array(key.utf8), consistency: consistency, timeout: timeout)
    }

    // MARK: Cluster

    /// Asks a node for the ring now and returns it (members, addresses, tokens, replication factor).
    public func topology(timeout: Duration? = nil) async throws(TesseraError) -> ClusterTopology {
        try await refreshTopology(timeout: timeout ?? options.defaultTimeout)
    }

    /// The state of every ring member: each is asked for STATUS directly; one that does not answer is down.
    public func status(timeout: Duration? = nil) async throws(TesseraError) -> [NodeStatus] {
        try await askEveryMember(.status, timeout: timeout) { member, response in
            guard case .status(var status) = response else { return nil }
            status.id = member.id
            status.address = member.address
            status.isUp = true
            return status
        } down: { member, reason in
            NodeStatus(id: member.id, address: member.address, isUp: false, error: reason)
        }
    }

    /// Sends `request` to every ring member directly (no fail-over) and collects one result per member, sorted
    /// by node id: `answer` maps a reply (nil: unexpected), `down` stands for a member that did not answer or
    /// answered with an error, with the reason.
    func askEveryMember<T: Sendable>(
        _ request: ClientRequest,
        timeout: Duration?,
        answer: @escaping @Sendable (ClusterTopology.Member, ClientResponse) -> T?,
        down: @escaping @Sendable (ClusterTopology.Member, String) -> T
    ) async throws(TesseraError) -> [T] {
        let timeout = timeout ?? options.defaultTimeout
        try Options.checkTimeout(timeout)
        let topology = try await refreshTopology(timeout: timeout)
        let deadline = ContinuousClock.now + timeout
        return await withTaskGroup(of: (NodeID, T).self) { group in
            for member in topology.members {
                group.addTask {
                    let target = RoutingTable.Target(node: member.id, address: member.address)
                    do throws(TesseraError) {
                        let response = try await self.send(request, to: target, deadline: deadline)
                        if let result = answer(member, response) { return (member.id, result) }
                        if case .error(let error) = response { return (member.id, down(member, error.message)) }
                        return (member.id, down(member, Self.unexpected(response, for: request.name).message))
                    } catch {
                        return (member.id, down(member, error.message))
                    }
                }
            }
            var result: [(NodeID, T)] = []
            for await pair in group { result.append(pair) }
            return result.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Sends PING to one address and returns the round-trip time; throws if it does not answer in time.
    public func ping(_ address: HostAddress, timeout: Duration? = nil) async throws(TesseraError) -> Duration {
        let timeout = timeout ?? options.defaultTimeout
        try Options.checkTimeout(timeout)
        let start = ContinuousClock.now
        let response = try await send(.ping, to: .init(node: nil, address: address), deadline: start + timeout)
        switch response {
        case .pong: return ContinuousClock.now - start
        case .error(let error): throw error
        default: throw Self.unexpected(response, for: "ping")
        }
    }

    /// One task executor per event loop of the client's connections. Tasks that issue many requests (load
    /// generators, servers calling Tessera) can prefer them to avoid thread hops; any task may call the client.
    public var taskExecutors: [EventLoopTaskExecutor] { transport.taskExecutors }

    /// Closes every connection. Calls made afterwards fail with `unavailable`.
    public func shutdown() async {
        let refresh = state.withLock { state -> Task<Result<ClusterTopology, TesseraError>, Never>? in
            state.isShutdown = true
            return state.refresh
        }
        _ = await refresh?.value
        let all = pools.withLock { pools -> [NodeConnectionPool] in
            let all = Array(pools.values)
            pools = [:]
            return all
        }
        for pool in all { pool.close() }
    }

    // MARK: Routing and fail-over

    /// Routes a keyed request: makes sure the ring is known, checks the level, then tries candidates.
    func perform(
        key: [UInt8],
        timeout: Duration?,
        level: ConsistencyLevel,
        token: WriteToken? = nil,
        makeRequest: (Duration) -> ClientRequest
    ) async throws(TesseraError) -> ClientResponse {
        let timeout = timeout ?? options.defaultTimeout
        try Options.checkTimeout(timeout)
        let deadline = ContinuousClock.now + timeout
        let (current, isShutdown) = state.withLock { ($0.routing, $0.isShutdown) }
        guard !isShutdown else { throw TesseraError(.unavailable, "the client was shut down") }
        var routing = current
        if routing.topology == nil {
            _ = try await refreshTopology(timeout: timeout)
            routing = state.withLock { $0.routing }
        } else {
            refreshInBackgroundIfDue()
        }
        if let n = routing.replicationFactor { _ = try level.required(replicationFactor: n) }
        return try await execute(
            key: key,
            deadline: deadline,
            timeout: timeout,
            routing: routing,
            token: token,
            makeRequest: makeRequest
        )
    }

    /// Tries the candidates in order until one answers. Only failures that leave the outcome known (nothing was
    /// sent) or harmless to repeat move on to the next node.
    private func execute(
        key: [UInt8]?,
        deadline: ContinuousClock.Instant,
        timeout: Duration,
        routing: RoutingTable,
        token: WriteToken? = nil,
        makeRequest: (Duration) -> ClientRequest
    ) async throws(TesseraError) -> ClientResponse {
        let now = ContinuousClock.now
        let down = state.withLock { state -> [HostAddress: ContinuousClock.Instant] in
            if !state.downUntil.isEmpty { state.downUntil = state.downUntil.filter { $0.value > now } }
            return state.downUntil
        }
        let turn = rotation.add(1, ordering: .relaxed).oldValue
        let isDown = { (address: HostAddress) in down[address] != nil }
        var failures: [String] = []
        var lastTarget: RoutingTable.Target?
        // Fast path: one live replica of the key, without building the whole candidate list.
        var first: RoutingTable.Target?
        if let key, let preferred = routing.preferredTarget(for: key, rotation: turn, isDown: isDown) {
            first = preferred
            lastTarget = preferred
            if let response = try await attemptOrContinue(
                preferred,
                deadline: deadline,
                timeout: timeout,
                failures: &failures,
                token: token,
                makeRequest: makeRequest
            ) {
                return response
            }
        }
        for target in routing.candidates(for: key, rotation: turn, isDown: isDown) where target != first {
            lastTarget = target
            if let response = try await attemptOrContinue(
                target,
                deadline: deadline,
                timeout: timeout,
                failures: &failures,
                token: token,
                makeRequest: makeRequest
            ) {
                return response
            }
        }
        if ContinuousClock.now >= deadline, let lastTarget {
            throw Self.timeoutError(makeRequest(.zero), target: lastTarget, timeout: timeout)
        }
        throw TesseraError(
            .unavailable,
            "no node could be reached (tried \(failures.count)): " + failures.joined(separator: "; ")
        )
    }

    /// Tries one node: returns its answer, or nil (after noting why in `failures`) when the next node may be
    /// tried; throws when the request must not go further (deadline, a write whose outcome became unknown).
    private func attemptOrContinue(
        _ target: RoutingTable.Target,
        deadline: ContinuousClock.Instant,
        timeout: Duration,
        failures: inout [String],
        token: WriteToken? = nil,
        makeRequest: (Duration) -> ClientRequest
    ) async throws(TesseraError) -> ClientResponse? {
        let remaining = deadline - ContinuousClock.now
        // The coordinator gets a slightly shorter deadline, so its own timeout error (which says how many
        // replicas acknowledged) arrives before ours fires.
        let request = makeRequest(Self.serverTimeout(remaining: remaining))
        do throws(AttemptFailure) {
            let response = try await attempt(request, on: target, deadline: deadline)
            // Overloaded (admission control or draining; refused before any work): back off, then the next node.
            // Writes too when repeating them is acceptable (`retryWritesAfterConnectionLoss`).
            if case .error(let error) = response, error.code == .overloaded,
                !request.isWrite || options.retryWritesAfterConnectionLoss
            {
                failures.append("\(target): \(error.message)")
                let doubling = min(failures.count - 1, 6)
                let pause = min(options.overloadBackoff * (1 << doubling), deadline - ContinuousClock.now)
                if pause > .zero { try? await Task.sleep(for: pause) }
                return nil
            }
            if let token { Self.note(response, of: token, from: target) }
            return response
        } catch {
            switch error {
            case .refused(let error):
                // Authentication or TLS: every node is configured alike, so fail-over would not help.
                throw error
            case .notSent(let reason):
                failures.append("\(target): \(reason)")
                return nil
            case .lost(let reason):
                token?.noteSent(to: target.address)
                if let token, options.retryWritesAfterConnectionLoss {
                    // The same write id to the same node: it gives the resend the first attempt's version.
                    return try await resend(token, to: target, deadline: deadline, timeout: timeout, lost: reason, makeRequest: makeRequest)
                }
                if request.isWrite && !options.retryWritesAfterConnectionLoss {
                    throw TesseraError(
                        .internalError,
                        "the connection to \(target) closed before it answered (\(reason)); "
                            + "the \(request.name) may or may not have been applied"
                    )
                }
                failures.append("\(target): \(reason)")
                return nil
            case .deadline:
                token?.noteSent(to: target.address)
                throw Self.timeoutError(request, target: target, timeout: timeout)
            }
        }
    }

    enum AttemptFailure: Error {
        case refused(TesseraError)
        case notSent(String)
        case lost(String)
        case deadline
    }

    /// One request to one node, with the bookkeeping that follows (mark down, refresh the ring).
    func attempt(
        _ request: ClientRequest,
        on target: RoutingTable.Target,
        deadline: ContinuousClock.Instant
    ) async throws(AttemptFailure) -> ClientResponse {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { throw .deadline }
        do throws(TransportFailure) {
            let connection = try await pool(for: target.address)
                .connection(connectTimeout: min(options.connectTimeout, remaining))
            return try await connection.send(request, timeout: deadline - ContinuousClock.now)
        } catch {
            switch error {
            case .connectFailed(let reason):
                markDown(target.address)
                if ContinuousClock.now >= deadline { throw .deadline }
                throw .notSent(reason)
            case .connectionLost(let reason):
                markDown(target.address)
                throw .lost(reason)
            case .timedOut:
                throw .deadline
            case .refused(let error):
                throw .refused(error)
            }
        }
    }

    /// Sends a request to one given node, without fail-over (STATUS, PING).
    func send(
        _ request: ClientRequest,
        to target: RoutingTable.Target,
        deadline: ContinuousClock.Instant
    ) async throws(TesseraError) -> ClientResponse {
        do throws(AttemptFailure) {
            return try await attempt(request, on: target, deadline: deadline)
        } catch {
            switch error {
            case .refused(let error):
                throw error
            case .notSent(let reason), .lost(let reason):
                throw TesseraError(.unavailable, "\(target) is not reachable: \(reason)")
            case .deadline:
                throw TesseraError(.timeout, "\(target) did not answer \(request.name) in time")
            }
        }
    }

    private func pool(for address: HostAddress) -> NodeConnectionPool {
        pools.withLock { pools in
            if let pool = pools[address] { return pool }
            let pool = NodeConnectionPool(address: address, transport: transport, size: options.connectionsPerNode)
            pools[address] = pool
            return pool
        }
    }

    private func markDown(_ address: HostAddress) {
        let until = ContinuousClock.now + options.downNodeBackoff
        state.withLock { $0.downUntil[address] = until }
        refreshInBackground()
    }

    // MARK: Ring refresh

    /// Fetches the ring now (sharing a fetch already in flight) and installs it.
    private func refreshTopology(timeout: Duration) async throws(TesseraError) -> ClusterTopology {
        try Options.checkTimeout(timeout)
        let task = startRefresh(timeout: timeout)
        return try await task.value.get()
    }

    private func refreshInBackgroundIfDue() {
        let due = state.withLock { state -> Bool in
            guard state.refresh == nil, !state.isShutdown, let last = state.lastRefresh else { return false }
            return ContinuousClock.now - last >= options.ringRefreshInterval
        }
        if due { refreshInBackground() }
    }

    private func refreshInBackground() {
        _ = startRefresh(timeout: options.defaultTimeout)
    }

    private func startRefresh(timeout: Duration) -> Task<Result<ClusterTopology, TesseraError>, Never> {
        state.withLock { state in
            if let running = state.refresh { return running }
            if state.isShutdown {
                return Task { .failure(TesseraError(.unavailable, "the client was shut down")) }
            }
            let task = Task<Result<ClusterTopology, TesseraError>, Never> {
                let result = await self.fetchTopology(timeout: timeout)
                self.state.withLock { state in
                    if case .success(let topology) = result {
                        state.routing = RoutingTable(seeds: self.seeds, topology: topology)
                    }
                    state.lastRefresh = ContinuousClock.now
                    state.refresh = nil
                }
                return result
            }
            state.refresh = task
            return task
        }
    }

    private func fetchTopology(timeout: Duration) async -> Result<ClusterTopology, TesseraError> {
        let routing = state.withLock { $0.routing }
        do throws(TesseraError) {
            let response = try await execute(
                key: nil,
                deadline: ContinuousClock.now + timeout,
                timeout: timeout,
                routing: routing
            ) { _ in .ring }
            switch response {
            case .topology(let topology):
                guard !topology.members.isEmpty, topology.replicationFactor >= 1 else {
                    return .failure(TesseraError(.internalError, "the node sent an empty ring"))
                }
                return .success(topology)
            case .error(let error):
                return .failure(error)
            default:
                return .failure(Self.unexpected(response, for: "ring"))
            }
        } catch {
            return .failure(error)
        }
    }

    // MARK: Helpers

    static func serverTimeout(remaining: Duration) -> Duration {
        guard remaining > .zero else { return .zero }
        // From 500 ms on the margin is 50 ms: no 128-bit division per request for the usual timeouts.
        if remaining >= .milliseconds(500) { return remaining - .milliseconds(50) }
        return remaining - remaining / 10
    }

    static func timeoutError(_ request: ClientRequest, target: RoutingTable.Target, timeout: Duration) -> TesseraError {
        let ms = Self.milliseconds(timeout)
        if request.isWrite {
            return TesseraError(
                .timeout,
                "\(request.name) timed out after \(ms) ms waiting for \(target); "
                    + "the write may or may not have been applied (indeterminate)"
            )
        }
        return TesseraError(.timeout, "\(request.name) timed out after \(ms) ms waiting for \(target)")
    }

    static func unexpected(_ response: ClientResponse, for request: String) -> TesseraError {
        if case .error(let error) = response { return error }
        return TesseraError(.protocolError, "unexpected answer to \(request): \(response)")
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
