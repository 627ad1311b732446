import NIOCore
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
}
