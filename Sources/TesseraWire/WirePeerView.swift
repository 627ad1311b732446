/// How a node sees one peer, carried in STATUS_RESULT as named counters so that older clients still decode the
/// reply (and show them as plain counters): `peer:<id>:up` (1 or 0), `peer:<id>:phiMilli` (phi x 1000, capped)
/// and `peer:<id>:heardMillisAgo` (absent if never heard since the node started).
public struct WirePeerView: Sendable, Hashable {
    public var node: String
    public var isUp: Bool
    /// Phi-accrual suspicion (0 right after hearing from the peer; infinite is sent as the cap).
    public var phi: Double
    public var heardMillisAgo: UInt64?

    public init(node: String, isUp: Bool, phi: Double, heardMillisAgo: UInt64?) {
        self.node = node
        self.isUp = isUp
        self.phi = phi
        self.heardMillisAgo = heardMillisAgo
    }

    static let prefix = "peer:"
    /// The largest phi sent (x 1000): 1e9, phi one million.
    static let maxPhiMilli: UInt64 = 1_000_000_000

    /// The counters that carry this view.
    public var counters: [WireCounter] {
        let phiMilli: UInt64 = phi.isFinite ? UInt64(max(0, min(phi * 1000, Double(Self.maxPhiMilli)))) : Self.maxPhiMilli
        var result = [
            WireCounter(name: "\(Self.prefix)\(node):up", value: isUp ? 1 : 0),
            WireCounter(name: "\(Self.prefix)\(node):phiMilli", value: phiMilli),
        ]
        if let heardMillisAgo { result.append(WireCounter(name: "\(Self.prefix)\(node):heardMillisAgo", value: heardMillisAgo)) }
        return result
    }

    /// The peer views found among `counters`, in the order their first counter appears; other counters are
    /// ignored.
    public static func parse(_ counters: [WireCounter]) -> [WirePeerView] {
        var order: [String] = []
        var views: [String: WirePeerView] = [:]
        for counter in counters where counter.name.hasPrefix(prefix) {
            let rest = counter.name.dropFirst(prefix.count)
            guard let colon = rest.lastIndex(of: ":") else { continue }
            let node = String(rest[..<colon])
            let field = rest[rest.index(after: colon)...]
            if views[node] == nil {
                order.append(node)
                views[node] = WirePeerView(node: node, isUp: false, phi: 0, heardMillisAgo: nil)
            }
            switch field {
            case "up": views[node]!.isUp = counter.value != 0
            case "phiMilli": views[node]!.phi = Double(counter.value) / 1000
            case "heardMillisAgo": views[node]!.heardMillisAgo = counter.value
            default: break
            }
        }
        return order.map { views[$0]! }
    }
}

extension WireStatus {
    /// Each peer as the node sees it (empty from nodes older than the phi-accrual detector).
    public var peerViews: [WirePeerView] { WirePeerView.parse(counters) }
}
