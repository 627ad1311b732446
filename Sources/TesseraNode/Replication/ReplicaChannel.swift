import NIOCore
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

    /// Stores `cell` on the replica (if newer); `done` gets nil on its ack.
    func write(_ key: [UInt8], _ cell: Cell, timeout: TimeAmount, _ done: @escaping WriteDone) {
        switch self {
        case .local(let service):
            service.write(key, cell, done)
        case .remote(let link):
            link.request(.replicaWrite(key: key, cell: cell), timeout: timeout) { result in
                switch result {
                case .success(.replicaAck):
                    link.noteHeard()
                    done(nil)
                case .success(let other):
                    link.noteHeard()
                    done(Self.replyError(other, link.member.id))
                case .failure(let error):
                    done(error)
                }
            }
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
            link.request(.replicaRead(key: key), timeout: timeout) { result in
                switch result {
                case .success(.replicaReadResult(let cell)):
                    link.noteHeard()
                    done(.success(cell))
                case .success(let other):
                    link.noteHeard()
                    done(.failure(Self.replyError(other, link.member.id)))
                case .failure(let error):
                    done(.failure(error))
                }
            }
        case .missing(let node):
            done(.failure(Self.noLink(node)))
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
