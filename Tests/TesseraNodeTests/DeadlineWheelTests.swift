import NIOCore
import TesseraCore
import Testing

@testable import TesseraNode

@Suite struct DeadlineWheelTests {
    @Test func elementsFireOnlyAfterTheirDeadlineAndOnce() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var wheel = DeadlineWheel<Int>(granularity: .milliseconds(10), now: start)
        wheel.insert(1, deadline: start + .milliseconds(5))
        wheel.insert(2, deadline: start + .milliseconds(25))
        wheel.insert(3, deadline: start + .milliseconds(25))
        wheel.insert(4, deadline: start - .milliseconds(50))  // already due: next sweep
        #expect(wheel.popExpired(now: start).isEmpty)
        #expect(wheel.popExpired(now: start + .milliseconds(10)).sorted() == [1, 4])
        #expect(wheel.popExpired(now: start + .milliseconds(20)).isEmpty)
        #expect(wheel.popExpired(now: start + .milliseconds(31)).sorted() == [2, 3])
        #expect(wheel.isEmpty)
        #expect(wheel.popExpired(now: start + .milliseconds(100)).isEmpty)
    }

    @Test func aLateSweepCollectsEverythingDue() {
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)
        var wheel = DeadlineWheel<Int>(granularity: .milliseconds(1), now: start)
        for i in 0..<100 { wheel.insert(i, deadline: start + .milliseconds(Int64(i * 37 % 1000))) }
        wheel.insert(1000, deadline: start + .seconds(60))
        #expect(wheel.popExpired(now: start + .seconds(2)).sorted() == Array(0..<100))
        #expect(!wheel.isEmpty)
        #expect(wheel.popExpired(now: start + .seconds(61)) == [1000])
    }

    /// A ring of 8 one-millisecond buckets: deadlines further ahead wait in the overflow and fire on time, also
    /// across sweeps that skip several turns of the ring; a model (every element with its deadline) is the
    /// oracle.
    @Test func deadlinesBeyondTheRingFireOnTimeAgainstAModel() {
        let start = NIODeadline.uptimeNanoseconds(7_000_000_000)
        var wheel = DeadlineWheel<Int>(granularity: .milliseconds(1), now: start, slotCount: 8)
        var model: [Int: Int64] = [:]  // element -> bucket (milliseconds since start, rounded up)
        var rng = SplitMix64(seed: 42)
        var nowMillis: Int64 = 0
        var next = 0
        for _ in 0..<400 {
            for _ in 0..<Int(rng.next() % 4) {
                let ahead = Int64(rng.next() % 40)  // up to 5 turns of the ring ahead
                wheel.insert(next, deadline: start + .milliseconds(nowMillis + ahead))
                model[next] = max(nowMillis + ahead, nowMillis + 1)
                next += 1
            }
            nowMillis += Int64(rng.next() % 3 == 0 ? rng.next() % 30 : 1)  // sometimes a stall of several turns
            let fired = wheel.popExpired(now: start + .milliseconds(nowMillis)).sorted()
            let due = model.filter { $0.value <= nowMillis }.keys.sorted()
            #expect(fired == due, "at \(nowMillis) ms")
            for element in due { model[element] = nil }
            #expect(wheel.isEmpty == model.isEmpty)
        }
    }
}
