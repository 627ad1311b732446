public import TesseraCluster
public import TesseraCore
import NIOCore
import Synchronization

/// The node's durable `HintSink`: pass one to `TesseraNodeServer.start(hintSink:)` (as `tessera server` does)
/// and the node keeps its hints in `DATA_DIR/hints.sqlite` and replays them (docs/healing.md). Without one a
/// node keeps no hints (a sloppy stand-in then refuses hinted writes).
///
/// A facade: the node attaches its `HintHandoff` (event-loop confined) when it starts; calls hop to that loop.
public final class DurableHintStore: HintSink {
    private let handoff = Mutex<NIOLoopBound<HintHandoff>?>(nil)

    public init() {}

    /// Called once by the node that owns this store.
    func attach(_ handoff: HintHandoff) {
        self.handoff.withLock { $0 = NIOLoopBound(handoff, eventLoop: handoff.eventLoop) }
    }

    public func store(_ hints: [Hint], completion: @escaping @Sendable (TesseraError?) -> Void) {
        guard let bound = handoff.withLock({ $0 }) else {
            completion(TesseraError(.unavailable, "the hint store is not attached to a running node"))
            return
        }
        if bound.eventLoop.inEventLoop {
            bound.value.store(hints) { completion($0) }
        } else {
            bound.eventLoop.execute { bound.value.store(hints) { completion($0) } }
        }
    }

    /// Replay follows the node's peer monitor directly (NodeCore feeds `NodeHealing`), so nothing to do here.
    public func peerChanged(_ node: NodeID, isUp: Bool) {}
}
