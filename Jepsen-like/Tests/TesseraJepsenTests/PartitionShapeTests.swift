import TesseraCore
import Testing

@testable import TesseraJepsen

/// The partition shapes cut exactly the pairs they describe.
@Suite("Partition shapes")
struct PartitionShapeTests {
    @Test("each shape cuts only pairs across its groups, and bridge keeps one node connected to all")
    func shapes() {
        for seed in UInt64(1)...50 {
            var random = SplitMix64(seed: seed)
            for nodes in 3...7 {
                let isolate = PartitionShape.isolateOne.draw(nodes: nodes, random: &random).cut
                #expect(isolate.count == nodes - 1)
                #expect(Set(isolate.map(\.0)).count == 1)

                let majority = PartitionShape.majorityMinority.draw(nodes: nodes, random: &random).cut
                #expect(majority.count == (nodes / 2) * (nodes - nodes / 2))

                let halves = PartitionShape.randomHalves.draw(nodes: nodes, random: &random).cut
                let a = Set(halves.map(\.0)), b = Set(halves.map(\.1))
                #expect(a.isDisjoint(with: b) && !a.isEmpty && !b.isEmpty && a.count + b.count == nodes)
                #expect(halves.count == a.count * b.count)

                let bridge = PartitionShape.bridge.draw(nodes: nodes, random: &random).cut
                let touched = Set(bridge.flatMap { [$0.0, $0.1] })
                #expect(touched.count == nodes - 1, "the bridge node must talk to everyone")
            }
        }
    }

    @Test("nemesis lists: none, all, duplicates; an unknown name is an error naming it")
    func nemesisList() throws {
        #expect(try NemesisKind.parseList("none").isEmpty)
        #expect(try NemesisKind.parseList("all") == NemesisKind.allCases)
        #expect(try NemesisKind.parseList("skew,kill,skew") == [.kill, .skew])
        #expect(throws: HarnessError.badInput(
            "unknown nemesis 'fire': use a comma-separated list of kill, pause, partition, skew, restart (or none, all)"
        )) { try NemesisKind.parseList("kill,fire") }
    }
}
