import Foundation
import TesseraCore
import TesseraRing
import Testing

/// Prints the balance table of docs/consistency.md. Run with
/// `TESSERA_RING_REPORT=1 swift test --filter RingBalanceReport`.
@Suite struct RingBalanceReport {
    static let enabled = ProcessInfo.processInfo.environment["TESSERA_RING_REPORT"] == "1"

    static func ratio(_ shares: [NodeID: Double]) -> Double {
        let values = Array(shares.values)
        return values.max()! / (values.reduce(0, +) / Double(values.count))
    }

    @Test(.enabled(if: enabled)) func printBalanceTable() {
        let vnodeCounts = [8, 12, 16, 24]
        let prefixes = ["n", "node-", "cass", "db", "x", "10.0.0.", "host", "t"]
        print("worst primary max/mean over \(prefixes.count) name sets, 3..10 nodes")
        print("vnodes | " + (3...10).map { "n=\($0)" }.joined(separator: " | ") + " | worst | worst RF=3")
        for v in vnodeCounts {
            var row: [String] = []
            var replicatedRow: [String] = []
            var worst = 0.0
            var worstReplicated = 0.0
            for n in 3...10 {
                var w = 0.0
                var wr = 0.0
                for prefix in prefixes {
                    let ring = Ring(members: nodes(n, prefix: prefix), virtualNodes: v)
                    w = max(w, Self.ratio(ring.ownership()))
                    wr = max(wr, Self.ratio(ring.replicatedOwnership(replicationFactor: 3)))
                }
                worst = max(worst, w)
                worstReplicated = max(worstReplicated, wr)
                row.append(String(format: "%.3f", w))
                replicatedRow.append(String(format: "%.3f", wr))
            }
            print("\(v) | " + row.joined(separator: " | ") + String(format: " | %.3f | %.3f", worst, worstReplicated))
            print("  RF=3 | " + replicatedRow.joined(separator: " | "))
        }
        print("key movement when appending node n+1 (default vnodes, 100k keys): n, moved, 1/(n+1)")
        let keys = sampleKeys(100_000)
        for n in 3...10 {
            let before = Ring(members: nodes(n))
            let after = Ring(members: nodes(n + 1))
            var moved = 0
            var movedReplicas = 0
            for key in keys {
                let t = Murmur3.token(for: key)
                if before.primary(forToken: t) != after.primary(forToken: t) { moved += 1 }
                if Set(before.preferenceList(forToken: t, replicationFactor: 3))
                    != Set(after.preferenceList(forToken: t, replicationFactor: 3))
                {
                    movedReplicas += 1
                }
            }
            print(
                String(
                    format: "%d | %.4f | %.4f | RF=3 sets changed %.4f (3/(n+1) = %.4f)",
                    n,
                    Double(moved) / 1e5,
                    1.0 / Double(n + 1),
                    Double(movedReplicas) / 1e5,
                    3.0 / Double(n + 1)
                )
            )
        }
        #expect(Bool(true))
    }
}
