import TesseraCluster
import TesseraCore
import Testing

/// The hint replay policy driven with manual time and a fake store (an array), as the shell would drive it.
@Suite struct HintReplayTests {
    /// A fake store and target: carries out effects, acknowledges sends unless told otherwise.
    struct Harness {
        var replay: HintReplay
        var store: [StoredHint] = []
        var nextID: Int64 = 1
        var now: UInt64 = 1_000_000
        var sent: [StoredHint] = []
        var inFlight: [StoredHint] = []
        var wakes: [UInt64] = []
        var deleted: [Int64] = []

        init(_ configuration: HintReplayConfiguration) { replay = HintReplay(configuration: configuration) }

        mutating func add(_ hints: [Hint]) {
            let accepted = replay.admit(hints)
            for hint in accepted {
                store.append(StoredHint(id: nextID, hint: hint))
                nextID += 1
            }
            run(replay.onStored(accepted, nowMillis: now))
        }

        /// Carries out effects: loads and deletes at once; sends are queued in `inFlight` for the test to answer.
        mutating func run(_ effects: [HintReplayEffect]) {
            var work = effects
            while !work.isEmpty {
                let effect = work.removeFirst()
                switch effect {
                case .load(let target, let after, let limit, let ticket):
                    let hints = Array(store.filter { $0.hint.target == target && $0.id > after }.prefix(limit))
                    work += replay.onLoaded(target: target, ticket: ticket, hints: hints, nowMillis: now)
                case .send(let stored):
                    sent.append(stored)
                    inFlight.append(stored)
                case .delete(let ids):
                    deleted += ids
                    store.removeAll { ids.contains($0.id) }
                case .expire(let before):
                    var removed: [NodeID: (hints: Int, bytes: Int)] = [:]
                    for s in store where s.hint.createdMillis < before {
                        removed[s.hint.target, default: (0, 0)].hints += 1
                        removed[s.hint.target, default: (0, 0)].bytes += s.hint.byteSize
                    }
                    store.removeAll { $0.hint.createdMillis < before }
                    replay.onExpired(removed)
                case .wake(let at):
                    wakes.append(at)
                }
            }
        }

        mutating func ackOne() {
            let s = inFlight.removeFirst()
            run(replay.onAck(target: s.hint.target, id: s.id, nowMillis: now))
        }

        mutating func ackAll() {
            while !inFlight.isEmpty {
                let s = inFlight.removeFirst()
                run(replay.onAck(target: s.hint.target, id: s.id, nowMillis: now))
            }
        }

        mutating func advance(to millis: UInt64) {
            now = millis
            run(replay.onTick(nowMillis: now))
        }
    }

    static func hint(_ target: NodeID, _ i: Int, created: UInt64, valueBytes: Int = 100) -> Hint {
        Hint(
            target: target,
            key: Array("k\(i)".utf8),
            cell: Cell(version: version(created + UInt64(i)), value: Array(repeating: 7, count: valueBytes)),
            createdMillis: created
        )
    }

    @Test func replaysOldestFirstOnlyAfterThePeerIsUpAndDeletesOnlyAcknowledged() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, batchSize: 4, maxInFlight: 2, clusterSize: 3))
        h.add((0..<10).map { Self.hint(n2, $0, created: h.now) })
        #expect(h.sent.isEmpty)  // n2 not up yet
        #expect(h.replay.stats(for: n2).pendingHints == 10)
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        #expect(h.sent.map(\.id) == [1, 2])  // in-flight limit
        #expect(h.deleted.isEmpty)
        h.ackAll()
        #expect(h.sent.map(\.id) == Array(1...10))
        #expect(h.deleted.sorted() == Array(1...10))
        #expect(h.store.isEmpty)
        let stats = h.replay.stats(for: n2)
        #expect(stats.replayed == 10 && stats.pendingHints == 0 && stats.pendingBytes == 0 && !stats.replaying)
    }

    @Test func replayedHintsCarryTheirOriginalCell() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, clusterSize: 3))
        let original = Self.hint(n3, 1, created: h.now - 5000)
        h.add([original])
        h.run(h.replay.onPeerUp(n3, nowMillis: h.now))
        #expect(h.sent.map(\.hint) == [original])
        #expect(h.sent[0].hint.cell.version == original.cell.version)
    }

    @Test func aFailedSendKeepsTheHintAndRetriesFromTheOldestAfterTheDelay() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, maxInFlight: 3, retryDelayMillis: 500, clusterSize: 3))
        h.add((0..<5).map { Self.hint(n2, $0, created: h.now) })
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        #expect(h.inFlight.map(\.id) == [1, 2, 3])
        // 1 acked, 2 fails, 3 acked late.
        h.ackOne()  // 1 acked: 4 is sent
        #expect(h.inFlight.map(\.id) == [2, 3, 4])
        let failed = h.inFlight.removeFirst()
        h.run(h.replay.onFailure(target: n2, id: failed.id, nowMillis: h.now))
        #expect(h.wakes == [h.now + 500])
        #expect(h.replay.stats(for: n2).failedSends == 1)
        #expect(h.store.contains { $0.id == 2 })
        h.ackAll()  // the late acks of 3 and 4
        #expect(h.deleted.sorted() == [1, 3, 4])
        h.advance(to: h.now + 499)
        #expect(h.sent.count == 4)  // still waiting
        h.advance(to: h.now + 1)
        // Retry from the oldest remaining: 2, then 5.
        #expect(h.sent.suffix(2).map(\.id) == [2, 5])
        h.ackAll()
        #expect(h.store.isEmpty)
        #expect(h.replay.stats(for: n2).replayed == 5)
        #expect(h.replay.stats(for: n2).pendingHints == 0)
    }

    @Test func peerDownStopsTheReplayAndPeerUpResumesIt() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, batchSize: 2, maxInFlight: 1, clusterSize: 3))
        h.add((0..<4).map { Self.hint(n2, $0, created: h.now) })
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        h.ackOne()  // 1 acked, 2 sent
        #expect(h.sent.map(\.id) == [1, 2])
        h.run(h.replay.onPeerDown(n2))
        h.inFlight.removeAll()
        h.run(h.replay.onFailure(target: n2, id: 2, nowMillis: h.now))
        #expect(h.deleted == [1])
        h.advance(to: h.now + 10_000)
        #expect(h.sent.count == 2)  // nothing sent while down
        #expect(!h.replay.stats(for: n2).replaying)
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        h.ackAll()
        #expect(h.sent.map(\.id) == [1, 2, 2, 3, 4])
        #expect(h.store.isEmpty)
    }

    @Test func theThrottleHoldsTheRateToItsShareOfTheClusterBudget() {
        // 5 members: this node's share of 40 KB/s towards one target is 10 KB/s.
        let config = HintReplayConfiguration(throttleBytesPerSecond: 40_000, maxInFlight: 1000, clusterSize: 5)
        #expect(config.perTargetBytesPerSecond == 10_000)
        var h = Harness(config)
        let hints = (0..<200).map { Self.hint(n2, $0, created: h.now, valueBytes: 972) }
        #expect(hints[0].byteSize == 1000 + Array("k0".utf8).count)
        h.add(hints)
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        let start = h.now
        // Drive time in 100 ms steps for 10 s, acking everything at once.
        for step in 1...100 {
            h.ackAll()
            h.advance(to: start + UInt64(step) * 100)
        }
        h.ackAll()
        let bytes = h.sent.reduce(0) { $0 + $1.hint.byteSize }
        // 10 s at 10 KB/s plus the initial one-second burst: about 110 KB, never much more.
        #expect(bytes >= 100_000 && bytes <= 112_000, "sent \(bytes) bytes in 10 s")
        #expect(!h.wakes.isEmpty)
    }

    @Test func eachTargetHasItsOwnBudget() {
        let config = HintReplayConfiguration(throttleBytesPerSecond: 20_000, maxInFlight: 1000, clusterSize: 3)
        var h = Harness(config)
        h.add((0..<100).map { Self.hint(n2, $0, created: h.now, valueBytes: 972) })
        h.add((0..<100).map { Self.hint(n3, $0, created: h.now, valueBytes: 972) })
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        h.run(h.replay.onPeerUp(n3, nowMillis: h.now))
        let toN2 = h.sent.filter { $0.hint.target == n2 }.count
        let toN3 = h.sent.filter { $0.hint.target == n3 }.count
        // Each gets its own one-second burst of 10 KB (about 10 hints of 1 KB), not a shared one.
        #expect((9...11).contains(toN2) && (9...11).contains(toN3), "n2 \(toN2), n3 \(toN3)")
    }

    @Test func hintsOlderThanTheWindowAreDroppedAndCountedNotSent() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, hintWindowMillis: 10_000, clusterSize: 3))
        h.add((0..<3).map { Self.hint(n2, $0, created: h.now - 20_000) })  // already too old
        h.add((3..<5).map { Self.hint(n2, $0, created: h.now) })
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        h.ackAll()
        #expect(h.sent.map(\.id) == [4, 5])
        let stats = h.replay.stats(for: n2)
        #expect(stats.expired == 3 && stats.replayed == 2 && stats.pendingHints == 0)
        #expect(h.store.isEmpty)
    }

    @Test func expiryPurgesHintsOfTargetsThatStayDown() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, hintWindowMillis: 5_000, clusterSize: 3))
        h.add((0..<4).map { Self.hint(n3, $0, created: h.now) })
        h.advance(to: h.now + 1000)  // first tick: purge of nothing
        #expect(h.store.count == 4)
        h.advance(to: h.now + 6000)
        #expect(h.store.isEmpty)
        #expect(h.replay.stats(for: n3).expired == 4 && h.replay.stats(for: n3).pendingHints == 0)
        #expect(h.sent.isEmpty)
    }

    @Test func hintsOverThePerTargetCapAreDroppedAndCounted() {
        var h = Harness(HintReplayConfiguration(maxBytesPerTarget: 5 * 1000, clusterSize: 3))
        let hints = (0..<8).map { Self.hint(n2, $0, created: h.now, valueBytes: 970) }
        h.add(hints)
        #expect(hints[0].byteSize == 1000)
        #expect(h.store.count == 5)  // 5 x 1000 bytes fit the 5000-byte cap, the sixth would exceed it
        #expect(h.replay.stats(for: n2).dropped == 3)
        h.add([Self.hint(n3, 0, created: h.now, valueBytes: 970)])
        #expect(h.replay.stats(for: n3).dropped == 0)  // another target has its own cap
        var failed = h.replay
        failed.onStoreFailed([Self.hint(n3, 1, created: h.now)])
        #expect(failed.stats(for: n3).dropped == 1)
    }

    @Test func hintsStoredForATargetThatIsUpAreReplayedAtOnce() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, clusterSize: 3))
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        #expect(h.sent.isEmpty)
        h.add([Self.hint(n2, 1, created: h.now)])
        #expect(h.sent.count == 1)
        h.ackAll()
        // A hint stored during a finished pass is picked up by the next tick.
        h.add([Self.hint(n2, 2, created: h.now)])
        h.ackAll()
        h.advance(to: h.now + 1000)
        h.ackAll()
        #expect(h.store.isEmpty && h.sent.count == 2)
    }

    @Test func recoveredCountsStartAReplayAndDriftIsCorrected() {
        var h = Harness(HintReplayConfiguration(throttleBytesPerSecond: 0, clusterSize: 3))
        h.replay.recover(pending: [n2: (hints: 3, bytes: 300)])  // the store says 3, but holds none
        h.run(h.replay.onPeerUp(n2, nowMillis: h.now))
        #expect(h.replay.stats(for: n2).pendingHints == 0)
        #expect(h.replay.totals.pendingHints == 0)
    }
}
