import Logging
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraWire

/// Hinted handoff and anti-entropy of one node, as `NodeCore` sees them: one object to start, stop, feed with
/// peer up/down and healing requests, and ask for STATUS counters.
///
/// Confined to the node's event loop.
final class NodeHealing {
    let hints: HintHandoff
    let repair: RepairService

    /// - Parameter peers: the links hint replay and repair send over.
    init(configuration: NodeConfiguration, ring: Ring, local: LocalReplica, peers: PeerMonitor, log: Logger) {
        let send: RepairService.Send = { [unowned peers] node, message, timeout, done in
            guard let link = peers.links[node], link.isConnected else {
                done(.failure(TesseraError(.unavailable, "no connection to \(node)")))
                return
            }
            link.request(message, timeout: timeout) { result in
                if case .success = result { link.noteHeard() }
                done(result)
            }
        }
        var hintLog = log
        hintLog[metadataKey: "component"] = "hints"
        let service = HintService(path: configuration.dataDirectory + "/hints.sqlite", log: hintLog)
        let timeout = TimeAmount.milliseconds(Int64(configuration.defaultTimeoutMillis))
        hints = HintHandoff(
            configuration: HintReplayConfiguration(
                throttleBytesPerSecond: configuration.hintThrottleBytesPerSecond,
                hintWindowMillis: configuration.hintWindowMillis,
                maxBytesPerTarget: configuration.hintMaxBytesPerTarget,
                clusterSize: configuration.members.count
            ),
            service: service,
            eventLoop: local.eventLoop,
            log: hintLog,
            send: { [unowned peers] hint, done in
                // A replayed hint is a replica write of its original cell: it cannot overwrite anything newer.
                let channel: ReplicaChannel = peers.links[hint.target].map { .remote($0) } ?? .missing(hint.target)
                channel.write(hint.key, hint.cell, timeout: timeout, done)
            }
        )
        var repairLog = log
        repairLog[metadataKey: "component"] = "repair"
        repair = RepairService(
            selfID: configuration.nodeID,
            ring: ring,
            replicationFactor: configuration.replicationFactor,
            configuration: configuration.repair,
            tombstoneGraceMillis: configuration.storageOptions.tombstoneGracePeriodSeconds &* 1000,
            local: local,
            downtimeMillis: hints.downtimeMillis,
            log: repairLog,
            send: send
        )
    }

    func start(alivePeers: [NodeID]) {
        hints.start()
        repair.start()
        for peer in alivePeers { hints.peerUp(peer) }
    }

    func stop() {
        repair.stop()
        hints.stop()
    }

    func peerUp(_ node: NodeID) { hints.peerUp(node) }
    func peerDown(_ node: NodeID) { hints.peerDown(node) }

    /// Answers a healing request.
    func handle(_ message: WireHealingMessage, nodeID: NodeID, reply: @escaping (WireMessage) -> Void) {
        if case .hintStats = message {
            reply(.healing(.hintStatsResult(hints.stats(nodeID: nodeID))))
            return
        }
        if !repair.handle(message, reply: reply) {
            reply(.error(TesseraError(.invalidRequest, "\(message.opcode) is a reply, not a request")))
        }
    }

    /// Counters for STATUS.
    var counters: [WireCounter] {
        let t = hints.totals
        return [
            WireCounter(name: "hintsPending", value: UInt64(t.pendingHints)),
            WireCounter(name: "hintsReplayed", value: t.replayed),
            WireCounter(name: "hintsExpired", value: t.expired),
            WireCounter(name: "hintsDropped", value: t.dropped),
            WireCounter(name: "hintStoreFailed", value: hints.service.problem == nil ? 0 : 1),
            WireCounter(name: "repairsFinished", value: repair.repairsFinished),
        ]
    }
}
