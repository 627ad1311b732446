public import TesseraCore

/// Message delivery between simulated nodes, every choice drawn from one seeded `SplitMix64`: per-message
/// delay, drops, duplicates, partitions (directed pairs that cannot talk) and crashed nodes (messages to or from
/// them vanish). The same seed gives the same deliveries in the same order.
public struct SimulatedNetwork<Payload: Sendable>: Sendable {
    /// One message on its way.
    public struct Envelope: Sendable {
        public var from: NodeID
        public var to: NodeID
        public var payload: Payload
        /// Delivery time, monotonic nanoseconds.
        public var at: UInt64
        /// Send order: ties at the same time are delivered in send order.
        var sequence: UInt64
    }

    public var faults: NetworkFaults
    public private(set) var rng: SplitMix64
    private var inFlight: [Envelope] = []
    private var sequence: UInt64 = 0
    /// Directed pairs that cannot talk (`from` -> `to`).
    private var blocked: Set<Pair> = []
    /// Crashed nodes.
    public private(set) var crashed: Set<NodeID> = []
    /// Messages dropped so far (faults, partitions, crashes).
    public private(set) var dropped = 0
    /// Messages delivered so far.
    public private(set) var delivered = 0

    private struct Pair: Hashable, Sendable {
        var from: NodeID
        var to: NodeID
    }

    public init(seed: UInt64, faults: NetworkFaults = .reliable) {
        self.rng = SplitMix64(seed: seed)
        self.faults = faults
    }

    /// Messages not delivered yet.
    public var pending: Int { inFlight.count }

    /// True if `from` can currently send to `to` (both up, no partition between them).
    public func canReach(_ from: NodeID, _ to: NodeID) -> Bool {
        if from == to { return !crashed.contains(from) }
        return !crashed.contains(from) && !crashed.contains(to) && !blocked.contains(Pair(from: from, to: to))
    }

    /// Sends `payload`; it arrives after a random delay unless it is dropped (and maybe twice).
    public mutating func send(from: NodeID, to: NodeID, _ payload: Payload, now: UInt64) {
        guard canReach(from, to) else {
            dropped += 1
            return
        }
        if faults.dropPercent > 0 && rng.uniform(100) < faults.dropPercent {
            dropped += 1
            return
        }
        let copies = faults.duplicatePercent > 0 && rng.uniform(100) < faults.duplicatePercent ? 2 : 1
        for _ in 0..<copies {
            let span = faults.maxDelayNanos - faults.minDelayNanos
            let delay = faults.minDelayNanos + (span == 0 ? 0 : rng.uniform(span + 1))
            sequence += 1
            inFlight.append(Envelope(from: from, to: to, payload: payload, at: now &+ delay, sequence: sequence))
        }
    }

    /// When the next message arrives (nil: none in flight).
    public var nextDeliveryTime: UInt64? {
        var best: UInt64? = nil
        for envelope in inFlight where best == nil || envelope.at < best! { best = envelope.at }
        return best
    }

    /// Removes and returns the earliest message due at or before `now`; messages that meet a partition or a
    /// crashed node on arrival are dropped (and counted) instead.
    public mutating func deliver(upTo now: UInt64) -> Envelope? {
        while true {
            var index: Int? = nil
            for i in inFlight.indices where inFlight[i].at <= now {
                if let j = index {
                    if (inFlight[i].at, inFlight[i].sequence) < (inFlight[j].at, inFlight[j].sequence) { index = i }
                } else {
                    index = i
                }
            }
            guard let i = index else { return nil }
            let envelope = inFlight.remove(at: i)
            if canReach(envelope.from, envelope.to) {
                delivered += 1
                return envelope
            }
            dropped += 1
        }
    }

    /// Splits the nodes: no message crosses between `side` and the rest (both ways).
    public mutating func partition(_ side: Set<NodeID>, from all: [NodeID]) {
        for a in all {
            for b in all where side.contains(a) != side.contains(b) { blocked.insert(Pair(from: a, to: b)) }
        }
    }

    /// Removes every partition.
    public mutating func heal() { blocked.removeAll() }

    /// `node` stops: messages to and from it are lost until `restart`.
    public mutating func crash(_ node: NodeID) { crashed.insert(node) }

    /// `node` is back.
    public mutating func restart(_ node: NodeID) { crashed.remove(node) }
}
