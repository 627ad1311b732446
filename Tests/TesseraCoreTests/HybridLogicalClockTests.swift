import Testing
import TesseraCore

/// The clock's two hardening rules: it never wraps, and it refuses timestamps beyond the maximum offset.
@Suite struct HybridLogicalClockTests {
    let wall: UInt64 = 1_700_000_000_000

    @Test func refusesATimestampMoreThanTheMaxOffsetAheadAndStaysUnchanged() throws {
        var clock = HybridLogicalClock()
        let before = clock.now(physicalMillis: wall)
        let ahead = HLCTimestamp(physicalMillis: wall + 3_600_000, logical: 0)
        do {
            try clock.observe(ahead, physicalMillis: wall, maxOffsetMillis: 500)
            Issue.record("a timestamp an hour ahead was accepted")
        } catch {
            #expect(error.aheadMillis == 3_600_000)
            #expect(error.description.contains("3600000 ms ahead"))
        }
        #expect(clock.last == before)
        #expect(clock.now(physicalMillis: wall).physicalMillis == wall)
    }

    @Test func acceptsATimestampWithinTheOffsetAndMovesPastIt() throws {
        var clock = HybridLogicalClock()
        let near = HLCTimestamp(physicalMillis: wall + 500, logical: 3)
        try clock.observe(near, physicalMillis: wall, maxOffsetMillis: 500)
        #expect(clock.last == near)
        #expect(clock.now(physicalMillis: wall) > near)
        // One millisecond more than the offset is refused.
        #expect(throws: ClockOffsetError.self) {
            try clock.observe(HLCTimestamp(physicalMillis: wall + 501, logical: 0), physicalMillis: wall, maxOffsetMillis: 500)
        }
        // Timestamps in the past are always fine.
        try clock.observe(HLCTimestamp(physicalMillis: 1, logical: 0), physicalMillis: wall, maxOffsetMillis: 500)
    }

    @Test func theLargestTimestampIsRefusedByTheCheck() {
        var clock = HybridLogicalClock()
        #expect(throws: ClockOffsetError.self) {
            try clock.observe(HLCTimestamp.max, physicalMillis: wall, maxOffsetMillis: 500)
        }
        #expect(clock.last.rawValue == 0)
    }

    @Test func saturatesInsteadOfWrappingAtTheLargestTimestamp() {
        var clock = HybridLogicalClock()
        // The unchecked observe (what the node did before) with 2^64-1: the next timestamps must not wrap to 0.
        clock.observe(HLCTimestamp.max, physicalMillis: wall)
        let first = clock.now(physicalMillis: wall)
        let second = clock.now(physicalMillis: wall)
        #expect(first == HLCTimestamp.max)
        #expect(second == HLCTimestamp.max)
        #expect(second >= first)
        var nearEnd = HybridLogicalClock(last: HLCTimestamp(rawValue: UInt64.max - 1))
        #expect(nearEnd.now(physicalMillis: wall).rawValue == UInt64.max)
        #expect(nearEnd.now(physicalMillis: wall).rawValue == UInt64.max)
    }

    @Test func aFullLogicalCounterCarriesIntoTheNextMillisecond() {
        var clock = HybridLogicalClock(last: HLCTimestamp(physicalMillis: wall, logical: HLCTimestamp.maxLogical))
        let next = clock.now(physicalMillis: wall)
        #expect(next == HLCTimestamp(physicalMillis: wall + 1, logical: 0))
    }

    @Test func aWallClockBeyondTheRangeIsClampedNotATrap() {
        var clock = HybridLogicalClock()
        let t = clock.now(physicalMillis: UInt64.max)
        #expect(t.physicalMillis == HLCTimestamp.maxPhysicalMillis)
        clock.observe(HLCTimestamp(rawValue: 5), physicalMillis: UInt64.max)
        #expect(clock.last >= t)
    }

    @Test func anOffsetThatOverflowsAcceptsEverything() throws {
        var clock = HybridLogicalClock()
        try clock.observe(HLCTimestamp(physicalMillis: wall + 10_000, logical: 0), physicalMillis: wall, maxOffsetMillis: .max)
        #expect(clock.last.physicalMillis == wall + 10_000)
    }
}
