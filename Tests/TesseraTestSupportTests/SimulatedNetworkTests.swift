import TesseraCore
import TesseraTestSupport
import Testing

@Suite struct SimulatedNetworkTests {
    let a = NodeID("a")
    let b = NodeID("b")
    let c = NodeID("c")

    func drain(_ network: inout SimulatedNetwork<Int>) -> [(NodeID, Int)] {
        var out: [(NodeID, Int)] = []
        while let time = network.nextDeliveryTime {
            while let envelope = network.deliver(upTo: time) { out.append((envelope.to, envelope.payload)) }
        }
        return out
    }

    @Test func deliversWithinTheDelayRangeInTimeOrder() {
        var network = SimulatedNetwork<Int>(seed: 7, faults: NetworkFaults(minDelayNanos: 1_000, maxDelayNanos: 5_000))
        for i in 0..<50 { network.send(from: a, to: b, i, now: 100) }
        var last: UInt64 = 0
        var count = 0
        while let time = network.nextDeliveryTime {
            #expect(time >= 1_100 && time <= 5_100 && time >= last)
            last = time
            while network.deliver(upTo: time) != nil { count += 1 }
        }
        #expect(count == 50)
    }

    @Test func partitionsAndCrashesDropMessagesUntilHealed() {
        var network = SimulatedNetwork<Int>(seed: 1)
        network.partition([a], from: [a, b, c])
        network.send(from: a, to: b, 1, now: 0)
        network.send(from: b, to: c, 2, now: 0)
        network.send(from: c, to: a, 3, now: 0)
        #expect(drain(&network).map(\.1) == [2])
        network.heal()
        network.crash(c)
        network.send(from: a, to: b, 4, now: 0)
        network.send(from: a, to: c, 5, now: 0)
        #expect(drain(&network).map(\.1) == [4])
        // A message in flight when its target crashes is lost too.
        network.restart(c)
        network.send(from: a, to: c, 6, now: 0)
        network.crash(c)
        #expect(drain(&network).isEmpty)
        #expect(network.dropped == 4)
    }

    @Test func dropsAndDuplicatesFollowTheSeed() {
        func run(_ seed: UInt64) -> [Int] {
            var network = SimulatedNetwork<Int>(seed: seed, faults: NetworkFaults(dropPercent: 20, duplicatePercent: 20))
            for i in 0..<500 { network.send(from: a, to: b, i, now: 0) }
            return drain(&network).map(\.1)
        }
        let first = run(3)
        #expect(first == run(3))
        #expect(first != run(4))
        #expect(first.count > 350 && first.count < 650)
        #expect(Set(first).count < 500)  // some were dropped
        #expect(Set(first).count < first.count)  // some were duplicated
    }

    @Test func manualClockOnlyMovesForward() {
        var clock = ManualClock()
        clock.advance(millis: 3)
        clock.advance(to: 1_000)
        #expect(clock.nanos == 3_000_000 && clock.millis == 3)
        clock.advance(by: 500)
        #expect(clock.nanos == 3_000_500)
    }
}
