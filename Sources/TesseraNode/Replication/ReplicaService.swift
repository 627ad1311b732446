import Logging
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraWire

/// This node as a replica: serves REPLICA_WRITE / REPLICA_READ from peers and the coordinator's own local
/// sends, through `LocalReplica`'s batched storage calls. Confined to the event loop.
final class ReplicaService {
    let local: LocalReplica
    let stats: NodeStats
    /// The durable hint store; nil: this node keeps no hints.
    let hintSink: (any HintSink)?
    let selfID: NodeID
    let log: Logger
    /// The keys of the replica reads and writes served, for HOT_KEYS (`tessera hot`).
    private(set) var hotKeys = HotKeyTracker()

    init(local: LocalReplica, stats: NodeStats, hintSink: (any HintSink)?, selfID: NodeID, log: Logger) {
        self.local = local
        self.stats = stats
        self.hintSink = hintSink
        self.selfID = selfID
        self.log = log
    }

    /// Hands hints to the hint store; `done` runs on the event loop with nil once they are durable. Without a
    /// store the hints are not kept (`unavailable`): a stand-in must not ack what it cannot keep.
    func storeHints(_ hints: [Hint], _ done: @escaping ReplicaChannel.WriteDone) {
        guard let hintSink else {
            stats.hintsNotKept += UInt64(hints.count)
            done(
                TesseraError(
                    .unavailable,
                    "node \(selfID) keeps no hints (started without a hint store); it cannot stand in for a sloppy write"
                )
            )
            return
        }
        let eventLoop = local.eventLoop
        let callback = NIOLoopBound(done, eventLoop: eventLoop)
        let counters = NIOLoopBound(stats, eventLoop: eventLoop)
        let log = self.log
        let count = UInt64(hints.count)
        hintSink.store(hints) { error in
            eventLoop.execute {
                if let error {
                    counters.value.hintsNotKept += count
                    log.error("storing hints failed", metadata: ["hints": "\(count)", "error": "\(error)"])
                } else {
                    counters.value.hintsHandedOff += count
                }
                callback.value(error)
            }
        }
    }

    /// A peer's REPLICA_HINTED_WRITE: this node stands in for `home`; acked only once the hint is durable.
    func serveHintedWrite(requestID: UInt64, key: [UInt8], cell: Cell, home: NodeID, sink: NodeConnectionHandler) {
        do throws(TesseraError) {
            try Limits.checkKey(key.count)
            try Limits.checkValue(cell.value?.count ?? 0)
        } catch {
            sink.reply(requestID, .error(error))
            return
        }
        let hint = Hint(target: home, key: key, cell: cell, createdMillis: WallClock.nowMillis())
        storeHints([hint]) { error in sink.reply(requestID, error.map { .error($0) } ?? .replicaHintedAck) }
    }

    /// Stores `cell` (if newer); `done` gets nil once durable.
    func write(_ key: [UInt8], _ cell: Cell, _ done: @escaping ReplicaChannel.WriteDone) {
        stats.replicaWrites += 1
        hotKeys.recordWrite(key, nowMillis: Self.monotonicMillis())
        local.write(key, cell, done)
    }

    /// Reads the newest cell of `key`.
    func read(_ key: [UInt8], _ done: @escaping ReplicaChannel.ReadDone) {
        stats.replicaReads += 1
        hotKeys.recordRead(key, nowMillis: Self.monotonicMillis())
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
            sink.answer(requestID, .error(error), admitted: .replica)
            return
        }
        write(key, cell) { error in sink.answer(requestID, error.map { .error($0) } ?? .replicaAck, admitted: .replica) }
    }

    /// A peer's REPLICA_READ_VERSION: the version of the newest cell only.
    func serveReadVersion(requestID: UInt64, key: [UInt8], sink: NodeConnectionHandler) {
        serveRead(requestID: requestID, key: key, sink: sink) { .replicaVersionResult($0?.version) }
    }

    /// A peer's REPLICA_READ (`answer`: the reply made of the cell read).
    func serveRead(
        requestID: UInt64, key: [UInt8], sink: NodeConnectionHandler,
        answer: @escaping (Cell?) -> WireMessage = { .replicaReadResult($0) }
    ) {
        do throws(TesseraError) { try Limits.checkKey(key.count) } catch {
            stats.replicaReads += 1
            sink.answer(requestID, .error(error), admitted: .replica)
            return
        }
        read(key) { result in
            switch result {
            case .success(let cell): sink.answer(requestID, answer(cell), admitted: .replica)
            case .failure(let error): sink.answer(requestID, .error(error), admitted: .replica)
            }
        }
    }
}
