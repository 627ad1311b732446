public import TesseraCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Phi-accrual failure detection (Hayashibara et al., 2004) for every peer of one node, as a pure state
/// machine: time comes in as monotonic nanoseconds, and every call returns the `FailureDetectorEffect`s the
/// shell must carry out (whom to ping, who is now down or up).
///
/// Each peer keeps a window of *heartbeat intervals*: the gaps between the times it was heard from (a ping
/// answer or any other reply). Suspicion is `phi = -log10(1 - F(t))`, where `t` is the time since the peer was
/// last heard and `F` the normal distribution fitted to the window (Akka's logistic approximation of its CDF).
/// A peer is *down* once `phi` passes `threshold` (8 by default, as Cassandra's `phi_convict_threshold`), or at
/// once when a connection to it is refused or breaks; it is *up* again the moment it is heard from.
///
/// Replies arrive far more often than pings under load; recording every gap would fit a distribution with a
/// mean of microseconds and declare a peer down after a few milliseconds of quiet. So a gap is recorded only
/// when at least `minSampleNanos` (half the ping interval) have passed since the last recorded heartbeat: the
/// window measures how often this node hears from a peer at ping-round granularity. The silence that ended
/// with a peer coming back is an outage, not a heartbeat interval, and is not recorded.
///
/// Time this node was not looking is not the peers' silence. Ticks must come at least every ping interval; when
/// two ticks are further apart (the process was stopped, swapped out or starved of CPU, and replies may be
/// waiting unread in its sockets), the excess over the ping interval is taken off every peer's silence, as
/// Cassandra skips convictions after a local pause. Without it, a node resuming from a 3 s stop would declare
/// every peer down at once. A peer that really is gone is still declared down, one detection window later.
///
/// Invariants: a transition is reported once (`.down` then, after hearing from the peer, `.up`); the local
/// node is always alive; unknown peers are never alive.
public struct PhiAccrualDetector: Sendable {
    /// Tuning. Defaults follow Cassandra/Akka, scaled to the node's ping interval.
    public struct Settings: Sendable, Equatable {
        /// Suspicion level at which a peer is declared down.
        public var threshold: Double
        /// How often each peer is pinged.
        public var pingIntervalNanos: UInt64
        /// Heartbeat intervals remembered per peer.
        public var windowSize: Int
        /// The standard deviation never goes below this (steady heartbeats would otherwise make any jitter fatal).
        public var minStdDeviationNanos: UInt64
        /// Added to the mean: a pause this long is not suspicious by itself.
        public var acceptablePauseNanos: UInt64

        public init(
            threshold: Double = 8,
            pingIntervalNanos: UInt64 = 500_000_000,
            windowSize: Int = 1000,
            minStdDeviationNanos: UInt64 = 100_000_000,
            acceptablePauseNanos: UInt64 = 0
        ) {
            self.threshold = threshold
            self.pingIntervalNanos = max(1, pingIntervalNanos)
            self.windowSize = max(2, windowSize)
            self.minStdDeviationNanos = max(1, minStdDeviationNanos)
            self.acceptablePauseNanos = acceptablePauseNanos
        }

        /// Gaps shorter than this are not recorded as heartbeat intervals.
        public var minSampleNanos: UInt64 { pingIntervalNanos / 2 }

        /// Replies that follow the last reported one within this time need not be reported (`onHeard`): they
        /// record no interval (below `minSampleNanos`) and move the last-heard time by less than phi can tell
        /// apart (phi uses a standard deviation of at least `minStdDeviationNanos`). Saves the detector call on
        /// most replies of a busy link.
        public var heardResolutionNanos: UInt64 { min(1_000_000, minSampleNanos) }
    }

    /// What this node knows about one peer.
    public struct PeerView: Sendable, Equatable {
        public var node: NodeID
        public var isUp: Bool
        public var phi: Double
        /// Nanoseconds since the peer was last heard from (nil: never, since this node started).
        public var sinceHeardNanos: UInt64?
    }

    private struct Peer: Sendable {
        /// When the peer was last heard, moved later by this node's own pauses since (what phi measures from).
        var lastHeard: UInt64
        /// How far this node's pauses moved `lastHeard` since the peer was heard: `lastHeard - paused` is when it
        /// really was heard (what STATUS shows).
        var paused: UInt64 = 0
        var heardEver = false
        var lastSample: UInt64
        var lastPing: UInt64?
        var down = false
        var intervals: [Double] = []
        var next = 0
        var sum: Double = 0
        var sumOfSquares: Double = 0

        mutating func record(_ interval: Double, window: Int) {
            if intervals.count < window {
                intervals.append(interval)
            } else {
                let old = intervals[next]
                sum -= old
                sumOfSquares -= old * old
                intervals[next] = interval
                next = (next + 1) % window
            }
            sum += interval
            sumOfSquares += interval * interval
        }

        /// The peer was heard from at `now`; returns whether it was down.
        mutating func heard(now: UInt64, minSampleNanos: UInt64, window: Int) -> Bool {
            if !heardEver || down {
                // The gap since a peer was lost (or since start) is an outage, not a heartbeat interval.
                lastSample = now
            } else if now >= lastSample &+ minSampleNanos {
                record(Double(now - lastSample), window: window)
                lastSample = now
            }
            heardEver = true
            if now > lastHeard {
                lastHeard = now
                paused = 0
            }
            let wasDown = down
            down = false
            return wasDown
        }
    }

    public let local: NodeID
    public var settings: Settings
    private var peers: [NodeID: Peer] = [:]
    private var lastTick: UInt64?

    /// - Parameters:
    ///   - peers: the other members (the local node is ignored if listed); they start up, as if heard at `now`.
    ///   - now: monotonic nanoseconds.
    public init(local: NodeID, peers: [NodeID], settings: Settings = Settings(), now: UInt64) {
        self.local = local
        self.settings = settings
        for peer in peers where peer != local {
            var state = Peer(lastHeard: now, lastSample: now)
            // The first estimate (Akka): one ping interval, with a quarter of it as deviation.
            let first = Double(settings.pingIntervalNanos)
            state.record(first - first / 4, window: settings.windowSize)
            state.record(first + first / 4, window: settings.windowSize)
            self.peers[peer] = state
        }
    }

    /// The peers watched, sorted.
    public var watched: [NodeID] { peers.keys.sorted() }

    /// True if `node` is considered up (the local node always is).
    public func isAlive(_ node: NodeID) -> Bool {
        if node == local { return true }
        guard let peer = peers[node] else { return false }
        return !peer.down
    }

    /// Every node considered up, the local node included: the `alive` set for the coordinators.
    public var alive: Set<NodeID> {
        var result: Set<NodeID> = [local]
        for (node, peer) in peers where !peer.down { result.insert(node) }
        return result
    }

    /// The suspicion level of `node` at `now` (0 for the local node and right after hearing from it).
    public func phi(of node: NodeID, now: UInt64) -> Double {
        guard let peer = peers[node] else { return node == local ? 0 : .infinity }
        return Self.phi(peer, now: now, settings: settings)
    }

    private static func phi(_ peer: Peer, now: UInt64, settings: Settings) -> Double {
        let elapsed = Double(now > peer.lastHeard ? now - peer.lastHeard : 0)
        let n = Double(peer.intervals.count)
        let mean = peer.sum / n + Double(settings.acceptablePauseNanos)
        let variance = max(0, peer.sumOfSquares / n - (peer.sum / n) * (peer.sum / n))
        let deviation = max(variance.squareRoot(), Double(settings.minStdDeviationNanos))
        let y = (elapsed - mean) / deviation
        let e = exp(-y * (1.5976 + 0.070566 * y * y))
        if elapsed > mean { return -log10(e / (1 + e)) }
        return -log10(1 - 1 / (1 + e))
    }

    /// What this node sees of each peer at `now`, sorted by name (for STATUS).
    public func views(now: UInt64) -> [PeerView] {
        watched.map { node in
            let peer = peers[node]!
            return PeerView(
                node: node,
                isUp: !peer.down,
                phi: Self.phi(peer, now: now, settings: settings),
                sinceHeardNanos: peer.heardEver ? (now > peer.lastHeard - peer.paused ? now - (peer.lastHeard - peer.paused) : 0) : nil
            )
        }
    }

    /// `node` answered a ping or sent any other reply.
    public mutating func onHeard(from node: NodeID, now: UInt64) -> [FailureDetectorEffect] {
        // Mutated in place (every reply from a peer comes here): copying the peer out and back would copy its
        // interval window whenever a sample is recorded.
        let minSample = settings.minSampleNanos
        let window = settings.windowSize
        guard let wasDown = peers[node]?.heard(now: now, minSampleNanos: minSample, window: window) else { return [] }
        return wasDown ? [.up(node)] : []
    }

    /// Connecting to `node` was refused or its connection broke: down now.
    public mutating func onConnectionFailed(to node: NodeID, now: UInt64) -> [FailureDetectorEffect] {
        guard var peer = peers[node], !peer.down else { return [] }
        peer.down = true
        peers[node] = peer
        return [.down(node)]
    }

    /// Time passed: pings peers whose ping is due, and declares down every peer whose phi passed the
    /// threshold. Effects are sorted by peer name, after a `.localPause` if this tick came late. Call it at least
    /// every ping interval: a longer gap counts as a pause of this node.
    public mutating func onTick(now: UInt64) -> [FailureDetectorEffect] {
        var effects: [FailureDetectorEffect] = []
        // Time beyond the ping interval since the last tick: this node was not looking (see the type's comment).
        var notLooking: UInt64 = 0
        if let last = lastTick, now > last, now - last > settings.pingIntervalNanos {
            notLooking = now - last - settings.pingIntervalNanos
            if now - last > 2 * settings.pingIntervalNanos { effects.append(.localPause(nanos: now - last)) }
        }
        lastTick = max(lastTick ?? now, now)
        for node in watched {
            var peer = peers[node]!
            if notLooking > 0 && !peer.down {
                let target = min(peer.lastHeard &+ notLooking, now)
                let moved = target > peer.lastHeard ? target - peer.lastHeard : 0
                peer.lastHeard += moved
                peer.paused += moved
                peer.lastSample = min(peer.lastSample &+ notLooking, now)
            }
            if !peer.down && Self.phi(peer, now: now, settings: settings) > settings.threshold {
                peer.down = true
                effects.append(.down(node))
            }
            if peer.lastPing.map({ now >= $0 &+ settings.pingIntervalNanos }) ?? true {
                peer.lastPing = now
                effects.append(.ping(node))
            }
            peers[node] = peer
        }
        return effects
    }
}
