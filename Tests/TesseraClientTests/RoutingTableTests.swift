import TesseraCore
import TesseraRing
import Testing

@testable import TesseraClient

@Suite struct RoutingTableTests {
    let fake = FakeTransport(nodes: 5, replicationFactor: 3)

    @Test func keyedCandidatesStartWithTheKeysReplicasThenTheRestThenSeeds() {
        let seed = HostAddress(host: "10.0.0.9", port: 7001)
        let table = RoutingTable(seeds: [seed], topology: fake.topology)
        let key = Array("user:42".utf8)
        let replicas = Set(table.replicas(of: key))
        #expect(replicas.count == 3)
        for rotation in 0..<6 {
            let candidates = table.candidates(for: key, rotation: rotation, isDown: { _ in false })
            #expect(candidates.count == 6)  // 5 members + 1 seed, each once
            #expect(Set(candidates.prefix(3).compactMap(\.node)) == replicas)
            #expect(candidates.last?.address == seed)
        }
        // Consecutive rotations start at different replicas, so load spreads.
        let firsts = Set((0..<3).map { table.candidates(for: key, rotation: $0, isDown: { _ in false })[0].node })
        #expect(firsts.count == 3)
    }

    @Test func nodesBelievedDownAreTriedLast() {
        let table = RoutingTable(seeds: [], topology: fake.topology)
        let key = Array("k".utf8)
        let first = table.candidates(for: key, rotation: 0, isDown: { _ in false })[0]
        let candidates = table.candidates(for: key, rotation: 0, isDown: { $0 == first.address })
        #expect(candidates.first != first)
        #expect(candidates.last == first)
        #expect(candidates.count == 5)
    }

    @Test func thePreferredTargetIsTheFirstLiveCandidate() {
        let table = RoutingTable(seeds: [], topology: fake.topology)
        for i in 0..<50 {
            let key = Array("key-\(i)".utf8)
            let all = table.candidates(for: key, rotation: i, isDown: { _ in false })
            #expect(table.preferredTarget(for: key, rotation: i, isDown: { _ in false }) == all[0])
            let down = all[0].address
            let live = table.candidates(for: key, rotation: i, isDown: { $0 == down })
            #expect(table.preferredTarget(for: key, rotation: i, isDown: { $0 == down }) == live[0])
        }
        let key = Array("k".utf8)
        #expect(table.preferredTarget(for: key, rotation: 0, isDown: { _ in true }) == nil)
    }

    @Test func withoutATopologyOnlySeedsAreKnown() {
        let seeds = [HostAddress(host: "127.0.0.1", port: 1), HostAddress(host: "127.0.0.1", port: 2)]
        let table = RoutingTable(seeds: seeds, topology: nil)
        #expect(table.candidates(for: [1], rotation: 7, isDown: { _ in false }).map(\.address) == seeds)
        #expect(table.replicationFactor == nil)
    }
}
