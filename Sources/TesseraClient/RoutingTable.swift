import TesseraCore
import TesseraRing

/// Token-aware routing as a pure value: which nodes to try, in which order, for a request.
///
/// Order for a keyed request: the key's live replicas (rotated by `rotation`, so load spreads over them),
/// then the other live members, then the seeds that are not members, then every node believed down (a last
/// resort: the belief may be stale). Requests without a key (RING, STATUS) start with the live members.
/// Without a topology (before the first RING answer) only the seeds are known.
struct RoutingTable: Sendable {
    /// One node to try.
    struct Target: Hashable, Sendable, CustomStringConvertible {
        var node: NodeID?
        var address: HostAddress
        var description: String { node.map { "\($0.name) (\(address))" } ?? address.description }
    }

    let seeds: [HostAddress]
    let topology: ClusterTopology?
    /// The ring's preference lists, computed once per topology (a lookup per request allocates nothing).
    private let preferences: PreferenceTable?
    private let memberTargets: [NodeID: Target]

    init(seeds: [HostAddress], topology: ClusterTopology?) {
        self.seeds = seeds
        self.topology = topology
        self.preferences = topology.map { PreferenceTable(ring: $0.makeRing(), replicationFactor: $0.replicationFactor) }
        var targets: [NodeID: Target] = [:]
        for member in topology?.members ?? [] { targets[member.id] = Target(node: member.id, address: member.address) }
        self.memberTargets = targets
    }

    /// The replication factor, once a topology is known.
    var replicationFactor: Int? { topology?.replicationFactor }

    /// The replicas of `key` in preference-list order (empty before a topology is known).
    func replicas(of key: [UInt8]) -> [NodeID] {
        preferences?.preferenceList(for: key) ?? []
    }

    /// The first choice for `key`: its live replica at position `rotation` (mod N) of the preference list, or
    /// the next live one; nil before a topology is known or when every replica is believed down.
    func preferredTarget(for key: [UInt8], rotation: Int, isDown: (HostAddress) -> Bool) -> Target? {
        let replicas = self.replicas(of: key)
        guard !replicas.isEmpty else { return nil }
        let start = Int(UInt(bitPattern: rotation) % UInt(replicas.count))
        for i in 0..<replicas.count {
            if let target = memberTargets[replicas[(start + i) % replicas.count]], !isDown(target.address) {
                return target
            }
        }
        return nil
    }

    /// The nodes to try for a request on `key` (or a key-less request when nil), best first, each once.
    /// - Parameters:
    ///   - rotation: any integer; consecutive values start at different replicas.
    ///   - isDown: whether an address is currently believed down.
    func candidates(for key: [UInt8]?, rotation: Int, isDown: (HostAddress) -> Bool) -> [Target] {
        var ordered: [Target] = []
        ordered.reserveCapacity(memberTargets.count + seeds.count)
        var seen = Set<HostAddress>()
        func add(_ target: Target) {
            if seen.insert(target.address).inserted { ordered.append(target) }
        }
        if let key {
            let replicas = self.replicas(of: key)
            if !replicas.isEmpty {
                let start = Int(UInt(bitPattern: rotation) % UInt(replicas.count))
                for i in 0..<replicas.count {
                    if let target = memberTargets[replicas[(start + i) % replicas.count]] { add(target) }
                }
            }
        }
        if let topology {
            let members = topology.members
            if !members.isEmpty {
                let start = Int(UInt(bitPattern: rotation) % UInt(members.count))
                for i in 0..<members.count {
                    let member = members[(start + i) % members.count]
                    add(Target(node: member.id, address: member.address))
                }
            }
        }
        for seed in seeds { add(Target(node: nil, address: seed)) }
        // Stable partition: live targets first, in order, then the ones believed down.
        let live = ordered.filter { !isDown($0.address) }
        if live.count == ordered.count { return ordered }
        return live + ordered.filter { isDown($0.address) }
    }
}
