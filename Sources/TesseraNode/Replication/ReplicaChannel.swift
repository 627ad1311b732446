import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// "Send to replica", written once for this node's own replica and for peers: the coordinator shell asks
/// `CoordinatorShell.channel(to:)` and never branches on local or remote itself. A node without a link (not
/// a member) fails fast with `unavailable`, for every kind of request alike.
enum ReplicaChannel {
    case local(ReplicaService)
    case remote(PeerLink)
    case missing(NodeID)

    typealias WriteDone = (TesseraError?) -> Void
    typealias ReadDone = (Result<Cell?, TesseraError>) -> Void
    typealias VersionDone = (Result<Version?, TesseraError>) -> Void

    /// Stores `cell` on the replica (if newer); `done` gets nil on its ack.
    func write(_ key: [UInt8], _ cell: Cell, timeout: TimeAmount, _ done: @escaping WriteDone) {
        switch self {
        case .local(let service):
            service.write(key, cell, done)
        case .remote(let link):
            Self.request(link, .replicaWrite(key: key, cell: cell), ack: .replicaAck, timeout: timeout, done)
        case .missing(let node):
            done(Self.noLink(node))
        }
    }

    /// Sloppy quorum: asks this node to keep `cell` as a hint for `home`; `done` gets nil once it is durable.
    func hintedWrite(_ key: [UInt8], _ cell: Cell, home: NodeID, timeout: TimeAmount, _ done: @escaping WriteDone) {
        switch self {
        case .local(let service):
            service.storeHints([Hint(target: home, key: key, cell: cell, createdMillis: WallClock.nowMillis())], done)
        case .remote(let link):
            let message = WireMessage.replicaHintedWrite(key: key, cell: cell, home: home.name)
            Self.request(link, message, ack: .replicaHintedAck, timeout: timeout, done)
        case .missing(let node):
            done(Self.noLink(node))
        }
    }

    /// Reads the replica's newest cell of `key`.
    func read(_ key: [UInt8], timeout: TimeAmount, _ done: @escaping ReadDone) {
        switch self {
        case .local(let service):
            service.read(key, done)
        case .remote(let link):
            Self.request(link, .replicaRead(key: key), timeout: timeout, done) { reply -> Cell?? in
                if case .replicaReadResult(let cell) = reply { return .some(cell) } else { return nil }
            }
        case .missing(let node):
            done(.failure(Self.noLink(node)))
        }
    }

    /// The version of the replica's newest cell of `key` (nil: none), without its value (REPLICA_READ_VERSION).
    func readVersion(_ key: [UInt8], timeout: TimeAmount, _ done: @escaping VersionDone) {
        switch self {
        case .local(let service):
            service.read(key) { result in done(result.map { $0?.version }) }
        case .remote(let link):
            Self.request(link, .replicaReadVersion(key: key), timeout: timeout, done) { reply -> Version?? in
                if case .replicaVersionResult(let version) = reply { return .some(version) } else { return nil }
            }
        case .missing(let node):
            done(.failure(Self.noLink(node)))
        }
    }

    /// Sends a request whose answer `expected` unpacks (nil: another reply, an error); any reply is a sign of life.
    private static func request<Answer>(
        _ link: PeerLink,
        _ message: WireMessage,
        timeout: TimeAmount,
        _ done: @escaping (Result<Answer, TesseraError>) -> Void,
        expected: @escaping (WireMessage) -> Answer?
    ) {
        link.request(message, timeout: timeout) { result in
            switch result {
            case .success(let reply):
                link.noteHeard()
                if let answer = expected(reply) { done(.success(answer)) } else { done(.failure(replyError(reply, link.member.id))) }
            case .failure(let error):
                done(.failure(error))
            }
        }
    }

    /// The payload-free acknowledgements a write is answered with.
    enum Ack {
        case replicaAck, replicaHintedAck

        /// True if `reply` is this ack (a switch on the reply's case: the derived `==` of `WireMessage` copied
        /// both messages and was 0.5% of a node's put path).
        func matches(_ reply: WireMessage) -> Bool {
            switch (self, reply) {
            case (.replicaAck, .replicaAck), (.replicaHintedAck, .replicaHintedAck): return true
            default: return false
            }
        }
    }

    /// Sends a request answered by `ack` (or an error); any reply is a sign of life.
    private static func request(
        _ link: PeerLink,
        _ message: WireMessage,
        ack: Ack,
        timeout: TimeAmount,
        _ done: @escaping WriteDone
    ) {
        link.request(message, timeout: timeout) { result in
            switch result {
            case .success(let reply):
                link.noteHeard()
                done(ack.matches(reply) ? nil : replyError(reply, link.member.id))
            case .failure(let error):
                done(error)
            }
        }
    }

    static func noLink(_ node: NodeID) -> TesseraError {
        TesseraError(.unavailable, "no link to node \(node): it is not a member of this node's cluster")
    }

    static func replyError(_ message: WireMessage, _ node: NodeID) -> TesseraError {
        if case .error(let error) = message { return error }
        return TesseraError(.internalError, "node \(node) answered with unexpected \(message.opcode)")
    }
}
