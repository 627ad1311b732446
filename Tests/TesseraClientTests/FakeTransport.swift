import Synchronization
import TesseraCore
import TesseraRing

@testable import TesseraClient

/// An in-memory cluster for client tests: each address behaves as told, and every request is recorded.
final class FakeTransport: ClientTransport {
    enum Behavior: Sendable {
        /// Answers with the handler's response.
        case up
        /// Refuses connections.
        case refuse
        /// Accepts the request, then drops the connection without answering.
        case dropAfterSend
        /// Accepts the request and never answers.
        case hang
    }

    struct Record: Sendable {
        var address: HostAddress
        var request: ClientRequest
    }

    let topology: ClusterTopology
    private let behaviors: Mutex<[HostAddress: Behavior]>
    private let log = Mutex<[Record]>([])
    private let connects = Mutex<[HostAddress: Int]>([:])
    private let store = Mutex<[[UInt8]: VersionedValue]>([:])
    private let clock = Atomic<UInt64>(1)
    /// Write id -> version given, for IDEMPOTENT_WRITE.
    private let idempotentWrites = Mutex<[UInt64: Version]>([:])
    /// The next this many data requests are carried out, then their connection drops before the answer (the
    /// node applied the write, the client never heard).
    let applyThenDrop = Mutex<Int>(0)
    /// An error every data request gets instead of its answer, when set.
    let forcedError = Mutex<TesseraError?>(nil)

    init(nodes: Int, replicationFactor: Int, virtualNodes: Int = 8) {
        let ids = (1...nodes).map { NodeID("n\($0)") }
        let ring = Ring(members: ids, virtualNodes: virtualNodes)
        let members = ids.enumerated().map { index, id in
            ClusterTopology.Member(
                id: id,
                address: HostAddress(host: "127.0.0.1", port: 7001 + index),
                tokens: ring.tokens(of: id)
            )
        }
        topology = ClusterTopology(members: members, replicationFactor: replicationFactor, clusterName: "fake")
        behaviors = Mutex(Dictionary(uniqueKeysWithValues: members.map { ($0.address, Behavior.up) }))
    }

    var addresses: [HostAddress] { topology.members.map(\.address) }

    var taskExecutors: [EventLoopTaskExecutor] { [] }

    func address(of name: String) -> HostAddress { topology.address(of: NodeID(name))! }

    func set(_ name: String, _ behavior: Behavior) {
        let address = address(of: name)
        behaviors.withLock { $0[address] = behavior }
    }

    func behavior(of address: HostAddress) -> Behavior? { behaviors.withLock { $0[address] } }

    var records: [Record] { log.withLock { $0 } }

    func records(named name: String) -> [Record] { records.filter { $0.request.name == name } }

    func resetRecords() { log.withLock { $0 = [] } }

    /// How many connections were opened to each address.
    var connectionCounts: [HostAddress: Int] { connects.withLock { $0 } }

    func connect(to address: HostAddress, timeout: Duration) async throws(TransportFailure) -> any ClientConnection {
        connects.withLock { $0[address, default: 0] += 1 }
        switch behavior(of: address) {
        case .none: throw .connectFailed("could not resolve \(address.host)")
        case .refuse: throw .connectFailed("connection refused")
        case .up, .dropAfterSend, .hang: return FakeConnection(transport: self, address: address)
        }
    }

    func handle(_ request: ClientRequest, at address: HostAddress) -> ClientResponse {
        switch request {
        case .ring: return .topology(topology)
        case .ping: return .pong
        case .status:
            var status = NodeStatus(id: NodeID("?"), address: address, isUp: true)
            status.keys = UInt64(store.withLock { $0.count })
            return .status(status)
        default: break
        }
        if let error = forcedError.withLock({ $0 }) { return .error(error) }
        let version = Version(timestamp: HLCTimestamp(rawValue: clock.add(1, ordering: .relaxed).newValue), node: 1)
        switch request {
        case .get(let key, _, _): return .value(store.withLock { $0[key] })
        case .put(let key, let value, _, _, _):
            store.withLock { $0[key] = VersionedValue(value: value, version: version) }
            return .written(version)
        case .delete(let key, _, _, _):
            store.withLock { $0[key] = nil }
            return .written(version)
        case .idempotentWrite(let key, let value, _, _, _, let id, let resend, let known):
            // As a coordinator does (NodeCoordinator.resolveVersion): the same id gets the same version.
            return idempotentWrites.withLock { ids -> ClientResponse in
                let given: Version
                if let known {
                    given = known
                } else if let first = ids[id] {
                    given = first
                } else if resend {
                    return .error(TesseraError(.invalidRequest, "write id \(id) unknown"))
                } else {
                    given = version
                }
                ids[id] = given
                store.withLock { $0[key] = value.map { VersionedValue(value: $0, version: given) } }
                return .written(given)
            }
        case .ring, .ping, .status, .hotKeys: return .pong
        }
    }

    fileprivate func record(_ request: ClientRequest, at address: HostAddress) {
        log.withLock { $0.append(Record(address: address, request: request)) }
    }
}

final class FakeConnection: ClientConnection {
    let transport: FakeTransport
    let address: HostAddress
    private let active = Atomic<Bool>(true)

    init(transport: FakeTransport, address: HostAddress) {
        self.transport = transport
        self.address = address
    }

    var isActive: Bool { active.load(ordering: .relaxed) }

    func send(_ request: ClientRequest, timeout: Duration) async throws(TransportFailure) -> ClientResponse {
        guard isActive else { throw .connectFailed("closed") }
        switch transport.behavior(of: address) {
        case .none, .refuse:
            active.store(false, ordering: .relaxed)
            throw .connectionLost("connection reset by peer")
        case .up:
            transport.record(request, at: address)
            let response = transport.handle(request, at: address)
            let drop = transport.applyThenDrop.withLock { count -> Bool in
                guard count > 0, request.isWrite else { return false }
                count -= 1
                return true
            }
            if drop {
                active.store(false, ordering: .relaxed)
                throw .connectionLost("connection reset after the node applied the write")
            }
            return response
        case .dropAfterSend:
            transport.record(request, at: address)
            active.store(false, ordering: .relaxed)
            throw .connectionLost("connection closed before the reply")
        case .hang:
            transport.record(request, at: address)
            try? await Task.sleep(for: timeout)
            throw .timedOut
        }
    }

    func close() { active.store(false, ordering: .relaxed) }
}
