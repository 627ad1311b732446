import TesseraCore
import Testing

@testable import TesseraCluster

@Suite struct ReplicaLoadRankingTests {
    let a = NodeID("a")
    let b = NodeID("b")
    let c = NodeID("c")

    @Test func keepsThePreferenceOrderWhileReplicasAreAlike() {
        var ranking = ReplicaLoadRanking()
        #expect(ranking.rank([a, b, c]) == [a, b, c])
        for node in [a, b, c] {
            ranking.sent(to: node)
            ranking.answered(by: node, latencyMicros: node == b ? 1050 : 1000)
        }
        // b is 5% slower: within the 10% badness threshold, the ring's order stands.
        #expect(ranking.rank([b, a, c]) == [b, a, c])
    }

    @Test func avoidsASlowReplica() {
        var ranking = ReplicaLoadRanking()
        for _ in 0..<20 {
            for node in [a, b, c] {
                ranking.sent(to: node)
                ranking.answered(by: node, latencyMicros: node == a ? 50_000 : 800)
            }
        }
        #expect(ranking.rank([a, b, c]) == [b, c, a])
        // A failure counts as a very slow answer.
        ranking.sent(to: b)
        ranking.failed(b)
        #expect(ranking.rank([a, b, c]).first == c)
    }

    @Test func spreadsAHotKeysReadsOverItsReplicas() {
        // 300 reads of one key whose replicas are equally fast, 12 in flight at a time; each read's first
        // wave asks the two best-ranked replicas (R = 2 of N = 3). Without the ranking every wave would ask a and b.
        var ranking = ReplicaLoadRanking()
        var asked: [NodeID: Int] = [:]
        var inFlight: [[NodeID]] = []
        for _ in 0..<300 {
            let wave = Array(ranking.rank([a, b, c]).prefix(2))
            for node in wave {
                ranking.sent(to: node)
                asked[node, default: 0] += 1
            }
            inFlight.append(wave)
            if inFlight.count == 12 {
                for node in inFlight.removeFirst() { ranking.answered(by: node, latencyMicros: 1000) }
            }
        }
        for node in [a, b, c] {
            let share = Double(asked[node] ?? 0) / 600
            #expect(abs(share - 1.0 / 3) < 0.05, "\(node): \(share)")
        }
    }

    @Test func anUnmeasuredReplicaIsTriedAtTheMeanNotStarved() {
        var ranking = ReplicaLoadRanking()
        for _ in 0..<5 {
            ranking.sent(to: a)
            ranking.answered(by: a, latencyMicros: 4000)
        }
        #expect(ranking.score(of: c) == ranking.score(of: a))
        ranking.sent(to: a)
        #expect(ranking.rank([a, c]) == [c, a], "a has a request outstanding, c none")
        #expect(ranking.outstanding(at: a) == 1)
    }
}
