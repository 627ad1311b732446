import NIOCore
import TesseraCore
import Testing

@testable import TesseraNode

@Suite struct DeadlineWheelTests {
    /// A timed thing with a name, as the wheel's entry.
    final class Probe: DeadlineWheelEntry {
        let id: Int
        init(_ id: Int) { self.id = id }
    }

    private static func ids(_ entries: [DeadlineWheelEntry]) -> [Int] {
        entries.map { ($0 as! Probe).id }.sorted()
    }

    @Test func elementsFireOnlyAfterTheirDeadlineAndOnce() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var wheel = DeadlineWheel(granularity: .milliseconds(10), now: start)
        let probes = (0...4).map(Probe.init)
        wheel.insert(probes[1], deadline: start + .milliseconds(5))
        wheel.insert(probes[2], deadline: start + .milliseconds(25))
        wheel.insert(probes[3], deadline: start + .milliseconds(25))
        wheel.insert(probes[4], deadline: start - .milliseconds(50))  // already due: next sweep
        #expect(wheel.count == 4)
        #expect(wheel.popExpired(now: start).isEmpty)
        #expect(Self.ids(wheel.popExpired(now: start + .milliseconds(10))) == [1, 4])
        #expect(!probes[1].isScheduled && probes[2].isScheduled)
        #expect(wheel.popExpired(now: start + .milliseconds(20)).isEmpty)
        #expect(Self.ids(wheel.popExpired(now: start + .milliseconds(31))) == [2, 3])
        #expect(wheel.isEmpty)
        #expect(wheel.popExpired(now: start + .milliseconds(100)).isEmpty)
    }

    /// An answered request leaves the wheel at once, from the head, the middle or the end of its bucket's list,
    /// and a rescheduled one moves instead of waiting twice.
    @Test func removedEntriesNeverFireAndRescheduledOnesMove() {
        let start = NIODeadline.uptimeNanoseconds(2_000_000_000)
        var wheel = DeadlineWheel(granularity: .milliseconds(1), now: start)
        let probes = (0..<6).map(Probe.init)
        for probe in probes { wheel.insert(probe, deadline: start + .milliseconds(3)) }
        wheel.remove(probes[0])  // the list's tail (entries are pushed at the head)
        wheel.remove(probes[5])  // its head
        wheel.remove(probes[2])  // the middle
        wheel.remove(probes[2])  // twice: nothing happens
        wheel.insert(probes[3], deadline: start + .milliseconds(8))
        #expect(wheel.count == 3)
        #expect(Self.ids(wheel.popExpired(now: start + .milliseconds(4))) == [1, 4])
        #expect(Self.ids(wheel.popExpired(now: start + .milliseconds(8))) == [3])
        #expect(wheel.isEmpty && probes.allSatisfy { !$0.isScheduled })
    }

    /// Tearing down a wheel whose bucket holds a long list unschedules every entry (and does not release the list
    /// recursively, which would take one stack frame per entry).
    @Test func removeAllUnschedulesALongListOneByOne() {
        let start = NIODeadline.uptimeNanoseconds(3_000_000_000)
        var wheel = DeadlineWheel(granularity: .milliseconds(5), now: start)
        let probes = (0..<200_000).map(Probe.init)
        for probe in probes { wheel.insert(probe, deadline: start + .seconds(5)) }
        wheel.insert(Probe(-1), deadline: start + .seconds(600))  // the overflow list too
        #expect(wheel.count == 200_001)
        wheel.removeAll()
        #expect(wheel.isEmpty && probes.allSatisfy { !$0.isScheduled })
        #expect(wheel.popExpired(now: start + .seconds(700)).isEmpty)
    }

    @Test func aLateSweepCollectsEverythingDue() {
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
        var wheel = DeadlineWheel(granularity: .milliseconds(1), now: start)
        let probes = (0...1000).map(Probe.init)
        for i in 0..<100 { wheel.insert(probes[i], deadline: start + .milliseconds(Int64(i * 37 % 1000))) }
        wheel.insert(probes[1000], deadline: start + .seconds(60))
        #expect(Self.ids(wheel.popExpired(now: start + .seconds(2))) == Array(0..<100))
        #expect(!wheel.isEmpty)
        #expect(Self.ids(wheel.popExpired(now: start + .seconds(61))) == [1000])
    }

    /// A ring of 8 one-millisecond buckets: deadlines further ahead wait in the overflow and fire on time, also
    /// across sweeps that skip several turns of the ring, and removals (answered requests) and reschedules come
    /// in between; a model (every scheduled entry with its bucket) is the oracle.
    @Test func deadlinesBeyondTheRingFireOnTimeAgainstAModel() {
        let start = NIODeadline.uptimeNanoseconds(7_000_000_000)
        var wheel = DeadlineWheel(granularity: .milliseconds(1), now: start, slotCount: 8)
        var model: [Int: Int64] = [:]  // entry -> bucket (milliseconds since start, rounded up)
        var probes: [Probe] = []
        var rng = SplitMix64(seed: 42)
        var nowMillis: Int64 = 0
        for _ in 0..<400 {
            for _ in 0..<Int(rng.next() % 4) {
                let ahead = Int64(rng.next() % 40)  // up to 5 turns of the ring ahead
                let probe: Probe
                if !probes.isEmpty && rng.next() % 4 == 0 {
                    probe = probes[Int(rng.next() % UInt64(probes.count))]  // scheduled or not: (re)scheduled
                } else {
                    probe = Probe(probes.count)
                    probes.append(probe)
                }
                wheel.insert(probe, deadline: start + .milliseconds(nowMillis + ahead))
                model[probe.id] = max(nowMillis + ahead, nowMillis + 1)
            }
            if !probes.isEmpty && rng.next() % 3 == 0 {
                let probe = probes[Int(rng.next() % UInt64(probes.count))]
                wheel.remove(probe)
                model[probe.id] = nil
            }
            nowMillis += Int64(rng.next() % 3 == 0 ? rng.next() % 30 : 1)  // sometimes a stall of several turns
            let fired = Self.ids(wheel.popExpired(now: start + .milliseconds(nowMillis)))
            let due = model.filter { $0.value <= nowMillis }.keys.sorted()
            #expect(fired == due, "at \(nowMillis) ms")
            for id in due { model[id] = nil }
            #expect(wheel.count == model.count)
            #expect(probes.allSatisfy { $0.isScheduled == (model[$0.id] != nil) })
        }
    }
}
