import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// This node as a replica: serves REPLICA_WRITE / REPLICA_READ from peers and the coordinator's own local
/// sends, through `LocalReplica`'s batched storage calls. Confined to the event loop.
final class ReplicaService {
    let local: LocalReplica
    let stats: NodeStats

    init(local: LocalReplica, stats: NodeStats) {
        self.local = local
        self.stats = stats
    }

    /// Stores `cell` (if newer); `done` gets nil once durable.
    func write(_ key: [UInt8], _ cell: Cell, _ done: @escaping ReplicaChannel.WriteDone) {
        stats.replicaWrites += 1
        local.write(key, cell, done)
    }

    /// Reads the newest cell of `key`.
    func read(_ key: [UInt8], _ done: @escaping ReplicaChannel.ReadDone) {
        stats.replicaReads += 1
        local.read(key, done)
    }

    /// A peer's REPLICA_WRITE. Checked here, not only in storage: one bad entry would fail the whole batch it
    /// shares with others.
    func serveWrite(requestID: UInt64, key: [UInt8], cell: Cell, sink: NodeConnectionHandler) {
        do throws(TesseraError) {
            try Limits.checkKey(key.count)
            try Limits.checkValue(cell.value?.count ?? 0)
        } catch {
            stats.replicaWrites += 1
            sink.reply(requestID, .error(error))
            return
        }
        write(key, cell) { error in sink.reply(requestID, error.map { .error($0) } ?? .replicaAck) }
    }

    /// A peer's REPLICA_READ.
    func serveRead(requestID: UInt64, key: [UInt8], sink: NodeConnectionHandler) {
        do throws(TesseraError) { try Limits.checkKey(key.count) } catch {
            stats.replicaReads += 1
            sink.reply(requestID, .error(error))
            return
        }
        read(key) { result in
            switch result {
            case .success(let cell): sink.reply(requestID, .replicaReadResult(cell))
            case .failure(let error): sink.reply(requestID, .error(error))
            }
        }
    }
}
