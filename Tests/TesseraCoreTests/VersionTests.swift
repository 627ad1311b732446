import Testing
import TesseraCore

@Suite struct VersionTests {
    @Test func ordersByTimestampThenNode() {
        let a = Version(timestamp: HLCTimestamp(physicalMillis: 10, logical: 0), node: 9)
        let b = Version(timestamp: HLCTimestamp(physicalMillis: 10, logical: 1), node: 1)
        let c = Version(timestamp: HLCTimestamp(physicalMillis: 10, logical: 1), node: 2)
        #expect(a < b)
        #expect(b < c)
        #expect(Cell.newest(Cell(version: c, value: [1]), Cell.tombstone(b))?.value == [1])
        #expect(Cell.newest(nil, Cell.tombstone(a))?.isTombstone == true)
    }

    @Test func hlcIssuesStrictlyIncreasingTimestampsWhenTheClockStandsStillOrGoesBack() {
        var clock = HybridLogicalClock()
        let t1 = clock.now(physicalMillis: 1000)
        let t2 = clock.now(physicalMillis: 1000)
        let t3 = clock.now(physicalMillis: 900)
        #expect(t1 < t2 && t2 < t3)
        #expect(t3.physicalMillis == 1000 && t3.logical == 2)
        clock.observe(HLCTimestamp(physicalMillis: 5000, logical: 7), physicalMillis: 1000)
        let t4 = clock.now(physicalMillis: 1001)
        #expect(t4 > HLCTimestamp(physicalMillis: 5000, logical: 7))
        #expect(clock.now(physicalMillis: 6000) == HLCTimestamp(physicalMillis: 6000, logical: 0))
    }
}

@Suite struct ConsistencyLevelTests {
    @Test(arguments: [("ONE", 1), ("quorum", 2), ("ALL", 3), ("two", 2), ("3", 3)])
    func parsesAndResolvesAgainstReplicationFactorThree(_ text: String, _ needed: Int) throws {
        #expect(try ConsistencyLevel(parsing: text).required(replicationFactor: 3) == needed)
    }

    @Test func rejectsLevelsAboveNAndNonsense() {
        #expect(throws: TesseraError.self) { try ConsistencyLevel(parsing: "4").required(replicationFactor: 3) }
        #expect(throws: TesseraError.self) { try ConsistencyLevel(parsing: "0") }
        #expect(throws: TesseraError.self) { try ConsistencyLevel(parsing: "MOST") }
        #expect(throws: TesseraError.self) { try ConsistencyLevel.three.required(replicationFactor: 2) }
    }

    @Test func wireCodeRoundTrips() {
        for level in [ConsistencyLevel.one, .two, .three, .quorum, .all, .count(7)] {
            let (code, count) = level.wireCode
            #expect(ConsistencyLevel(wireCode: code, count: count) == level)
        }
        #expect(ConsistencyLevel(wireCode: 9, count: 0) == nil)
        #expect(ConsistencyLevel(wireCode: 0, count: 0) == nil)
    }
}

@Suite struct LimitsAndNodeIDTests {
    @Test func keyAndValueLimitsAreEnforcedWithTheLimitInTheMessage() throws {
        try Limits.checkKey(Limits.maxKeySize)
        try Limits.checkValue(Limits.maxValueSize)
        do {
            try Limits.checkKey(Limits.maxKeySize + 1)
            Issue.record("oversized key accepted")
        } catch {
            #expect(error.code == .invalidRequest && error.message.contains("64 KiB"))
        }
        #expect(throws: TesseraError.self) { try Limits.checkKey(0) }
        #expect(throws: TesseraError.self) { try Limits.checkValue(Limits.maxValueSize + 1) }
    }

    @Test func nodeIDsValidateNames() throws {
        try NodeID.checkDistinctTags([NodeID("n1"), NodeID("n2"), NodeID("n3")])
        #expect(throws: TesseraError.self) { try NodeID.checkDistinctTags([NodeID("bad name")]) }
        #expect(NodeID("n1").tag != NodeID("n2").tag)
    }
}
