import TesseraCore
import TesseraRing
import Testing

func nodes(_ count: Int, prefix: String = "n") -> [NodeID] { (1...count).map { NodeID("\(prefix)\($0)") } }

func sampleKeys(_ count: Int) -> [[UInt8]] { (0..<count).map { Array("user:\($0)".utf8) } }

@Suite struct RingTests {
    @Test func allocationIsDeterministic() {
        let a = Ring(members: nodes(5))
        let b = Ring(members: nodes(5))
        #expect(a == b)
        #expect(a.allTokens == b.allTokens)
        #expect(a.members == nodes(5))
        for node in nodes(5) { #expect(a.tokens(of: node).count == Ring.defaultVirtualNodes) }
        #expect(Ring(members: nodes(5), virtualNodes: 8) != a)
    }

    @Test func tokensAreDistinctAndSorted() {
        let ring = Ring(members: nodes(10), virtualNodes: 32)
        let all = ring.allTokens.values.flatMap { $0 }
        #expect(all.count == 320)
        #expect(Set(all).count == 320)
        #expect(!all.contains(.min))
        for node in ring.members { #expect(ring.tokens(of: node) == ring.tokens(of: node).sorted()) }
        #expect(ring.tokens(of: NodeID("stranger")).isEmpty)
    }

    @Test func rebuildingFromTokensGivesTheSameRing() throws {
        let ring = Ring(members: nodes(6))
        try Ring.validate(tokens: ring.allTokens)
        let rebuilt = Ring(tokens: ring.allTokens)
        #expect(rebuilt == ring)
        #expect(rebuilt.members == nodes(6).sorted())
        for key in sampleKeys(200) {
            #expect(
                rebuilt.preferenceList(for: key, replicationFactor: 3)
                    == ring.preferenceList(for: key, replicationFactor: 3)
            )
        }
    }

    @Test func validateRejectsATokenClaimedTwice() {
        let tokens: [NodeID: [Token]] = [NodeID("a"): [1, 5], NodeID("b"): [5, 9]]
        #expect(throws: TesseraError.self) { try Ring.validate(tokens: tokens) }
        let ring = Ring(tokens: tokens)
        #expect(ring.primary(forToken: 5) == NodeID("a"))  // the smaller name keeps a contested token
        #expect(ring.tokenCount == 3)
    }

    @Test func validateMembersRejectsBadConfigurationsWithAMessage() throws {
        try Ring.validate(members: nodes(3), virtualNodes: 16)
        for (members, vnodes, fragment) in [
            ([NodeID](), 16, "empty"),
            (nodes(3), 0, "between 1 and"),
            (nodes(3), Ring.maxVirtualNodes + 1, "between 1 and"),
            (nodes(2) + [NodeID("n1")], 16, "listed twice"),
            ([NodeID("bad name")], 16, "invalid node id"),
        ] {
            do {
                try Ring.validate(members: members, virtualNodes: vnodes)
                Issue.record("accepted \(members) with \(vnodes) vnodes")
            } catch {
                #expect(error.code == .invalidRequest && error.message.contains(fragment), "\(error)")
            }
        }
    }

    @Test func keysBelongToTheFirstTokenAtOrAfterThem() {
        let a = NodeID("a")
        let b = NodeID("b")
        let c = NodeID("c")
        let ring = Ring(tokens: [a: [-100], b: [0], c: [100]])
        #expect(ring.primary(forToken: -100) == a)
        #expect(ring.primary(forToken: -99) == b)
        #expect(ring.primary(forToken: 0) == b)
        #expect(ring.primary(forToken: 1) == c)
        #expect(ring.primary(forToken: 101) == a)  // wraps past Int64.max
        #expect(ring.primary(forToken: .max) == a)
        #expect(ring.preferenceList(forToken: 50, replicationFactor: 2) == [c, a])
        #expect(ring.preferenceList(forToken: 50, replicationFactor: 5) == [c, a, b])
        let share = ring.ownership()
        #expect(abs(share[b]! - 100.0 / 18_446_744_073_709_551_616.0) < 1e-15)
        #expect(abs(share.values.reduce(0, +) - 1) < 1e-9)
    }

    @Test func preferenceListsHoldDistinctPhysicalNodes() {
        for count in [1, 2, 3, 5, 8] {
            let ring = Ring(members: nodes(count))
            for key in sampleKeys(500) {
                for rf in 1...4 {
                    let list = ring.preferenceList(for: key, replicationFactor: rf)
                    #expect(list.count == min(rf, count))
                    #expect(Set(list).count == list.count)
                    #expect(list.first == ring.primary(forToken: Murmur3.token(for: key)))
                }
            }
        }
    }

    @Test func emptyRingHasNoReplicas() {
        let ring = Ring(members: [])
        #expect(ring.preferenceList(for: [1], replicationFactor: 3).isEmpty)
        #expect(ring.ownership().isEmpty)
    }

    @Test func ownershipSumsToOneAndReplicatedOwnershipToN() {
        let ring = Ring(members: nodes(7))
        #expect(abs(ring.ownership().values.reduce(0, +) - 1) < 1e-9)
        #expect(abs(ring.replicatedOwnership(replicationFactor: 3).values.reduce(0, +) - 3) < 1e-9)
        #expect(abs(Ring(members: nodes(1)).ownership()[NodeID("n1")]! - 1) < 1e-12)
    }
}

@Suite struct RingBalanceTests {
    static func maxOverMean(_ shares: [NodeID: Double]) -> Double {
        let values = Array(shares.values)
        return values.max()! / (values.reduce(0, +) / Double(values.count))
    }

    @Test(arguments: 3...10)
    func largestShareIsWithinTenPercentOfTheMeanAtTheDefaultVirtualNodes(_ count: Int) {
        let ring = Ring(members: nodes(count))
        #expect(Self.maxOverMean(ring.ownership()) <= 1.10)
        // Other names (other seeds for the first node) balance as well.
        let other = Ring(members: nodes(count, prefix: "db-\(count)-"))
        #expect(Self.maxOverMean(other.ownership()) <= 1.10)
    }

    @Test(arguments: 4...10)
    func replicatedOwnershipForThreeReplicasIsBalancedToo(_ count: Int) {
        // Not a hard requirement, but what spreads the load: each node stores about 3/n of the keys.
        let ring = Ring(members: nodes(count))
        #expect(Self.maxOverMean(ring.replicatedOwnership(replicationFactor: 3)) <= 1.12)
    }

    @Test func sampledKeysFollowTheOwnership() {
        let ring = Ring(members: nodes(5))
        var counts: [NodeID: Int] = [:]
        let keys = sampleKeys(50_000)
        for key in keys { counts[ring.primary(forToken: Murmur3.token(for: key))!, default: 0] += 1 }
        for (node, share) in ring.ownership() {
            let measured = Double(counts[node, default: 0]) / Double(keys.count)
            #expect(abs(measured - share) < 0.01, "\(node): \(measured) of keys vs \(share) of the ring")
        }
    }

    @Test(arguments: [3, 5, 9])
    func addingANodeMovesOnlyItsShareOfKeysAndNoExistingToken(_ count: Int) {
        let before = Ring(members: nodes(count))
        let after = Ring(members: nodes(count + 1))
        let newcomer = NodeID("n\(count + 1)")
        for node in nodes(count) { #expect(after.tokens(of: node) == before.tokens(of: node)) }
        var moved = 0
        let keys = sampleKeys(20_000)
        for key in keys {
            let token = Murmur3.token(for: key)
            let old = before.primary(forToken: token)
            let new = after.primary(forToken: token)
            if old != new {
                moved += 1
                #expect(new == newcomer)  // keys move only to the new node
            }
        }
        let fraction = Double(moved) / Double(keys.count)
        let expected = 1.0 / Double(count + 1)
        #expect(abs(fraction - expected) < 0.2 * expected, "moved \(fraction), expected about \(expected)")
    }

    @Test(arguments: [3, 6])
    func addingANodeChangesAReplicaSetOnlyByLettingTheNewNodeIn(_ count: Int) {
        let before = Ring(members: nodes(count))
        let after = Ring(members: nodes(count + 1))
        let newcomer = NodeID("n\(count + 1)")
        var changed = 0
        for key in sampleKeys(5_000) {
            let old = before.preferenceList(for: key, replicationFactor: 3)
            let new = after.preferenceList(for: key, replicationFactor: 3)
            guard old != new else { continue }
            changed += 1
            // The newcomer takes its place in the walk and the last old replica drops out; the rest keep order.
            #expect(new.contains(newcomer))
            #expect(new.filter { $0 != newcomer } == Array(old.prefix(2)))
        }
        #expect(changed > 0)
    }
}

@Suite struct RingGoldenTests {
    /// Pins the allocation: every node (and client) must compute these exact tokens from this member list.
    /// If this fails, the allocator changed and existing clusters would disagree about their rings.
    @Test func tokensForAKnownMemberListAreStable() {
        let ring = Ring(members: nodes(5))
        #expect(
            Array(ring.tokens(of: NodeID("n1")).prefix(2)) == [-8_020_718_605_578_323_953, -6_307_992_757_993_207_535]
        )
        #expect(
            Array(ring.tokens(of: NodeID("n5")).prefix(2)) == [-7_501_903_928_505_242_705, -7_213_673_552_353_531_025]
        )
    }
}
