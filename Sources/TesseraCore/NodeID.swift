/// A node's name in the cluster (`--node-id`), with a 32-bit tag used inside versions as a tie-break.
///
/// The tag is FNV-1a of the UTF-8 name. Two members whose tags collide would make equal timestamps
/// ambiguous, so a cluster refuses such a member list (`NodeID.checkDistinctTags`).
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The name given on the command line, for example `n1`.
    public let name: String
    /// FNV-1a 32-bit hash of `name`. DO NOT CHANGE the function: tags are stored inside versions on disk.
    public let tag: UInt32

    public init(_ name: String) {
        self.name = name
        var hash: UInt32 = 0x811C_9DC5
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        self.tag = hash
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.name < rhs.name }

    /// Equal names have equal tags, so the tag is compared first: distinct members differ in their tags
    /// (`checkDistinctTags`), and the name comparison only runs for equal ones.
    public static func == (lhs: NodeID, rhs: NodeID) -> Bool { lhs.tag == rhs.tag && lhs.name == rhs.name }

    /// Hashes the tag only (a function of the name, so equal ids hash alike): the coordinator looks node ids up
    /// in sets and dictionaries several times per request, and hashing the name's bytes cost more than the
    /// lookups (a cluster refuses members with equal tags, so its ids never collide here).
    public func hash(into hasher: inout Hasher) { hasher.combine(tag) }

    public var description: String { name }

    /// Throws `TesseraError.invalidRequest` if two distinct names share a tag or a name is not valid.
    public static func checkDistinctTags(_ nodes: [NodeID]) throws(TesseraError) {
        var seen: [UInt32: String] = [:]
        for node in nodes {
            guard Self.isValidName(node.name) else {
                throw TesseraError(.invalidRequest, "invalid node id '\(node.name)': use 1-64 characters of [A-Za-z0-9._-]")
            }
            if let other = seen[node.tag], other != node.name {
                throw TesseraError(.invalidRequest, "node ids '\(other)' and '\(node.name)' have the same tag; rename one")
            }
            seen[node.tag] = node.name
        }
    }

    /// A node id is 1 to 64 characters of letters, digits, '.', '_' and '-'.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F
                || b == 0x2D
        }
    }
}
