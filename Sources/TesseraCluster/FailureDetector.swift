public import TesseraCore

/// Per-peer up/down from ping answers and connection events, as a pure value: `now` comes in as an argument.
///
/// Rules (simple on purpose; gossip and phi-accrual come later):
/// - every peer starts *up*, as if heard from at `init` (a static cluster starting together should not
///   refuse requests before the first ping round);
/// - any answer from a peer (`onPingAck`, or `onHeard` for any message) marks it up at once;
/// - a refused or broken connection (`onConnectionFailed`) marks it down at once;
/// - a peer not heard from for `downAfter` is down (`onPingTimeout` and `tick` report the transition;
///   `isAlive` applies the rule even if nobody reported it).
/// The local node is always alive. Unknown peers are not alive. `Change`s are reported once per transition:
/// a `.down` when a peer is first marked down (timeout or connection failure), an `.up` when a peer marked
/// down is heard from again.
public struct FailureDetector: Sendable {
    /// A change of a peer's status, for the shell to log or act on (e.g. replay hints when a peer comes up).
    public enum Change: Sendable, Equatable {
        case up(NodeID)
        case down(NodeID)
    }

    private struct PeerState: Sendable {
        var lastHeard: ContinuousClock.Instant
        var markedDown: Bool
    }

    /// This node: always alive.
    public let local: NodeID
    /// How long a peer may stay silent before it is considered down.
    public let downAfter: Duration
    private var peers: [NodeID: PeerState]

    /// - Parameters:
    ///   - local: this node.
    ///   - peers: the other members (the local node is ignored if listed).
    ///   - downAfter: silence after which a peer is down, e.g. 3 pings at 1 s.
    ///   - now: the current time; peers count as heard from at `now`.
    public init(local: NodeID, peers: [NodeID], downAfter: Duration = .seconds(3), now: ContinuousClock.Instant) {
        self.local = local
        self.downAfter = downAfter
        var states: [NodeID: PeerState] = [:]
        for peer in peers where peer != local { states[peer] = PeerState(lastHeard: now, markedDown: false) }
        self.peers = states
    }

    /// The peers being watched (without the local node), sorted.
    public var watched: [NodeID] { peers.keys.sorted() }

    /// True if `peer` is up at `now`.
    public func isAlive(_ peer: NodeID, now: ContinuousClock.Instant) -> Bool {
        if peer == local { return true }
        guard let state = peers[peer] else { return false }
        return !state.markedDown && now - state.lastHeard < downAfter
    }

    /// Every node up at `now`, including the local node: the `alive` set for the coordinators.
    public func alive(now: ContinuousClock.Instant) -> Set<NodeID> {
        var result: Set<NodeID> = [local]
        for (peer, _) in peers where isAlive(peer, now: now) { result.insert(peer) }
        return result
    }

    /// A ping was answered.
    public mutating func onPingAck(from peer: NodeID, now: ContinuousClock.Instant) -> Change? {
        onHeard(from: peer, now: now)
    }

    /// Any message arrived from `peer`: it is up.
    public mutating func onHeard(from peer: NodeID, now: ContinuousClock.Instant) -> Change? {
        guard var state = peers[peer] else { return nil }
        let wasMarkedDown = state.markedDown
        if now > state.lastHeard { state.lastHeard = now }
        state.markedDown = false
        peers[peer] = state
        return wasMarkedDown ? .up(peer) : nil
    }

    /// A ping got no answer in time: `peer` is down if it has been silent for `downAfter`.
    public mutating func onPingTimeout(of peer: NodeID, now: ContinuousClock.Instant) -> Change? {
        guard var state = peers[peer], !state.markedDown, now - state.lastHeard >= downAfter else { return nil }
        state.markedDown = true
        peers[peer] = state
        return .down(peer)
    }

    /// Connecting to `peer` was refused or the connection broke: it is down now.
    public mutating func onConnectionFailed(to peer: NodeID, now: ContinuousClock.Instant) -> Change? {
        guard var state = peers[peer], !state.markedDown else { return nil }
        state.markedDown = true
        peers[peer] = state
        return .down(peer)
    }

    /// Marks silent peers down; returns the transitions, sorted by name. Call it from the ping timer.
    public mutating func tick(now: ContinuousClock.Instant) -> [Change] {
        var changes: [Change] = []
        for peer in watched {
            if let change = onPingTimeout(of: peer, now: now) { changes.append(change) }
        }
        return changes
    }
}
