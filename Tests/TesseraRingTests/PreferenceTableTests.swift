import TesseraCore
import Testing

@testable import TesseraRing

@Suite struct PreferenceTableTests {
    /// The table answers exactly what the ring's walk does, for tokens on, between, before and after the
    /// ring's tokens, for several cluster sizes and replication factors (including more than the members).
    @Test(arguments: [1, 3, 5, 8])
    func agreesWithTheRingWalk(nodes: Int) {
        let ring = Ring(members: (1...nodes).map { NodeID("n\($0)") }, virtualNodes: 16)
        var random = SplitMix64(seed: UInt64(nodes))
        for replicationFactor in [1, 2, 3, nodes + 1] {
            let table = PreferenceTable(ring: ring, replicationFactor: replicationFactor)
            var tokens: [Token] = [.min, .max, 0]
            for token in ring.allTokens.values.flatMap({ $0 }) { tokens += [token, token &- 1, token &+ 1] }
            for _ in 0..<500 { tokens.append(Token(bitPattern: random.next())) }
            for token in tokens {
                #expect(
                    table.preferenceList(forToken: token)
                        == ring.preferenceList(forToken: token, replicationFactor: replicationFactor),
                    "token \(token), N = \(replicationFactor)"
                )
            }
            let key: [UInt8] = Array("user:42".utf8)
            #expect(table.preferenceList(for: key) == ring.preferenceList(for: key, replicationFactor: replicationFactor))
        }
    }

    @Test func anEmptyRingHasNoReplicas() {
        let table = PreferenceTable(ring: Ring(tokens: [:]), replicationFactor: 3)
        #expect(table.preferenceList(forToken: 42).isEmpty)
    }
}
