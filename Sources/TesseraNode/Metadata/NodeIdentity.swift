public import TesseraCore

/// What a data directory remembers about the node that owns it (DIR/node.sqlite).
public struct NodeIdentity: Sendable, Equatable {
    public var nodeID: String
    public var clusterName: String
    public var replicationFactor: Int
    public var virtualNodes: Int
    /// Members in member-list order.
    public var members: [MemberAddress]
    /// Every member's tokens, as computed when the directory was created.
    public var tokens: [String: [Int64]]

    public init(
        nodeID: String,
        clusterName: String,
        replicationFactor: Int,
        virtualNodes: Int,
        members: [MemberAddress],
        tokens: [String: [Int64]]
    ) {
        self.nodeID = nodeID
        self.clusterName = clusterName
        self.replicationFactor = replicationFactor
        self.virtualNodes = virtualNodes
        self.members = members
        self.tokens = tokens
    }

    /// Checks that a node started with `proposed` may use a directory that remembers `self`.
    ///
    /// Refused: another node id, another cluster name, another member list (ids or order) or vnode count, or
    /// tokens that differ (the data would sit on the wrong nodes). Allowed: new hosts/ports and a new
    /// replication factor (the caller stores them).
    public func checkCompatible(with proposed: NodeIdentity, directory: String) throws(TesseraError) {
        if nodeID != proposed.nodeID || clusterName != proposed.clusterName {
            throw TesseraError(
                .invalidRequest,
                "data directory \(directory) belongs to node '\(nodeID)' of cluster '\(clusterName)'; refusing to "
                    + "start as node '\(proposed.nodeID)' of cluster '\(proposed.clusterName)'"
            )
        }
        let storedIDs = members.map(\.id.name)
        let proposedIDs = proposed.members.map(\.id.name)
        if storedIDs != proposedIDs {
            throw TesseraError(
                .invalidRequest,
                "data directory \(directory) was created for members [\(storedIDs.joined(separator: ", "))] but "
                    + "--members names [\(proposedIDs.joined(separator: ", "))]; membership is static (same list, "
                    + "same order on every node)"
            )
        }
        if virtualNodes != proposed.virtualNodes {
            throw TesseraError(
                .invalidRequest,
                "data directory \(directory) was created with \(virtualNodes) virtual nodes per member but "
                    + "--vnodes is \(proposed.virtualNodes); changing it would move the data"
            )
        }
        if tokens != proposed.tokens {
            throw TesseraError(
                .invalidRequest,
                "data directory \(directory) remembers other ring tokens than this build computes for the same "
                    + "members; refusing to start (the data would be on the wrong nodes)"
            )
        }
    }
}
