import TesseraCore

/// How the partition nemesis splits the nodes. Each shape yields the pairs of nodes that cannot talk.
public enum PartitionShape: String, CaseIterable, Hashable, Sendable {
    /// One node cut off from all others.
    case isolateOne = "isolate-one"
    /// A majority and a minority (floor(n/2) nodes), chosen at random.
    case majorityMinority = "majority-minority"
    /// A random subset against the rest (any sizes, both non-empty).
    case randomHalves = "random-halves"
    /// Two halves that cannot talk, and one node that talks to both (Jepsen's bridge).
    case bridge

    /// The groups of node indexes (0-based) and the pairs to cut, drawn from `random`.
    func draw(nodes: Int, random: inout SplitMix64) -> (description: String, cut: [(Int, Int)]) {
        var order = Array(0..<nodes)
        order.shuffle(using: &random)
        func name(_ group: [Int]) -> String { "{" + group.sorted().map { "n\($0 + 1)" }.joined(separator: ",") + "}" }
        func between(_ a: [Int], _ b: [Int]) -> [(Int, Int)] { a.flatMap { x in b.map { (x, $0) } } }
        switch self {
        case .isolateOne:
            let alone = [order[0]], rest = Array(order.dropFirst())
            return ("isolate \(name(alone)) from \(name(rest))", between(alone, rest))
        case .majorityMinority:
            let minority = Array(order.prefix(nodes / 2)), majority = Array(order.dropFirst(nodes / 2))
            return ("minority \(name(minority)) | majority \(name(majority))", between(minority, majority))
        case .randomHalves:
            let size = 1 + random.below(max(1, nodes - 1))
            let a = Array(order.prefix(size)), b = Array(order.dropFirst(size))
            return ("halves \(name(a)) | \(name(b))", between(a, b))
        case .bridge:
            guard nodes >= 3 else { return PartitionShape.isolateOne.draw(nodes: nodes, random: &random) }
            let bridge = order[0]
            let rest = Array(order.dropFirst())
            let a = Array(rest.prefix(rest.count / 2)), b = Array(rest.dropFirst(rest.count / 2))
            return ("bridge n\(bridge + 1) between \(name(a)) and \(name(b))", between(a, b))
        }
    }
}
