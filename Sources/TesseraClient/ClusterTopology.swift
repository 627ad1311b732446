public import TesseraCore
public import TesseraRing

/// What a node answers to RING: every member with its client address and tokens, and the replication factor.
///
/// The client routes with it (token-aware routing); `tessera ring` prints it.
public struct ClusterTopology: Sendable {
    /// One member of the ring.
    public struct Member: Hashable, Sendable {
        public var id: NodeID
        /// Where the member listens for clients.
        public var address: HostAddress
        /// The member's tokens (virtual nodes), sorted.
        public var tokens: [Token]

        public init(id: NodeID, address: HostAddress, tokens: [Token]) {
            self.id = id
            self.address = address
            self.tokens = tokens
        }
    }

    /// Members sorted by id.
    public var members: [Member]
    /// N: how many replicas hold each key.
    public var replicationFactor: Int
    /// The cluster's name, as the node reports it.
    public var clusterName: String
    /// Virtual nodes (tokens) per member the cluster was configured with.
    public var virtualNodes: Int

    public init(members: [Member], replicationFactor: Int, clusterName: String = "", virtualNodes: Int = 0) {
        self.members = members.sorted { $0.id < $1.id }
        self.replicationFactor = replicationFactor
        self.clusterName = clusterName
        self.virtualNodes = virtualNodes
    }

    /// The ring built from the members' tokens.
    public func makeRing() -> Ring {
        var tokens: [NodeID: [Token]] = [:]
        for member in members { tokens[member.id] = member.tokens }
        return Ring(tokens: tokens)
    }

    /// The share of the token space each member owns as primary (0...1), from the ring.
    public func ownership() -> [NodeID: Double] { makeRing().ownership() }

    /// The address of `node`, if it is a member.
    public func address(of node: NodeID) -> HostAddress? { members.first { $0.id == node }?.address }
}
