import Testing
@testable import TesseraStorage

@Suite struct CompactionPickerTests {
    let picker = CompactionPicker(level0Trigger: 4, levelOneMaxBytes: 10_000)

    func file(_ n: UInt64, _ a: String, _ b: String, size: Int) -> FileMetadata {
        FileMetadata(number: n, size: size, smallest: Array(a.utf8), largest: Array(b.utf8), entryCount: 1)
    }

    @Test func nothingToDoWithinLimits() {
        var s = LevelState()
        s.levels[0] = [file(1, "a", "b", size: 10), file(2, "a", "b", size: 10)]
        s.levels[1] = [file(3, "a", "z", size: 9_000)]
        #expect(picker.pick(s, compactPointers: Array(repeating: nil, count: 7)) == nil)
    }

    @Test func level0TriggerTakesAllL0AndOverlappingL1() throws {
        var s = LevelState()
        s.levels[0] = (1...4).map { file(UInt64($0), "c", "f", size: 10) }
        s.levels[1] = [file(10, "a", "b", size: 10), file(11, "d", "e", size: 10), file(12, "g", "h", size: 10)]
        let plan = try #require(picker.pick(s, compactPointers: Array(repeating: nil, count: 7)))
        #expect(plan.level == 0 && plan.outputLevel == 1)
        #expect(plan.inputs.count == 4)
        #expect(plan.nextInputs.map(\.number) == [11])
        #expect(!plan.isTrivialMove)
    }

    @Test func oversizedLevelPicksRoundRobinAndMovesTrivially() throws {
        var s = LevelState()
        s.levels[1] = [file(1, "a", "c", size: 6_000), file(2, "d", "f", size: 6_000)]
        s.levels[2] = [file(3, "e", "e", size: 10)]
        var pointers: [[UInt8]?] = Array(repeating: nil, count: 7)
        let first = try #require(picker.pick(s, compactPointers: pointers))
        #expect(first.level == 1 && first.inputs.map(\.number) == [1])
        #expect(first.isTrivialMove)
        pointers[1] = Array("c".utf8)
        let second = try #require(picker.pick(s, compactPointers: pointers))
        #expect(second.inputs.map(\.number) == [2])
        #expect(second.nextInputs.map(\.number) == [3])
        #expect(!second.isTrivialMove)
    }

    @Test func levelLimitsGrowTenfold() {
        #expect(picker.maxBytes(forLevel: 1) == 10_000)
        #expect(picker.maxBytes(forLevel: 2) == 100_000)
        #expect(picker.maxBytes(forLevel: 3) == 1_000_000)
    }

    @Test func fullCompactionTakesEverythingToALevelThatFits() throws {
        var s = LevelState()
        s.levels[0] = [file(1, "a", "b", size: 50_000)]
        s.levels[2] = [file(2, "c", "d", size: 20_000)]
        let plan = try #require(picker.pickAll(s))
        #expect(plan.isFull)
        #expect(plan.inputs.count == 2)
        #expect(plan.outputLevel == 2)
    }
}
