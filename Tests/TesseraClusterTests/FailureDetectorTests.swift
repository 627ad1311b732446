import TesseraCluster
import TesseraCore
import Testing

@Suite struct FailureDetectorTests {
    let t0 = ContinuousClock.Instant.now

    func detector() -> FailureDetector {
        FailureDetector(local: n1, peers: [n1, n2, n3], downAfter: .seconds(3), now: t0)
    }

    @Test func peersStartUpAndTheLocalNodeIsAlwaysAlive() {
        let fd = detector()
        #expect(fd.watched == [n2, n3])
        #expect(fd.alive(now: t0) == [n1, n2, n3])
        #expect(fd.isAlive(n1, now: t0 + .seconds(100)))
        #expect(!fd.isAlive(n4, now: t0))
    }

    @Test func aSilentPeerGoesDownAfterTheConfiguredTime() {
        var fd = detector()
        #expect(fd.onPingAck(from: n2, now: t0 + .seconds(2)) == nil)
        #expect(fd.onPingTimeout(of: n3, now: t0 + .seconds(2)) == nil)  // silent 2 s only
        #expect(fd.isAlive(n3, now: t0 + .seconds(2)))
        #expect(!fd.isAlive(n3, now: t0 + .seconds(3)))
        #expect(fd.tick(now: t0 + .seconds(4)) == [.down(n3)])
        #expect(fd.tick(now: t0 + .seconds(5)) == [.down(n2)])  // last heard at 2 s
        #expect(fd.tick(now: t0 + .seconds(6)) == [])  // reported once
        #expect(fd.alive(now: t0 + .seconds(6)) == [n1])
    }

    @Test func aRefusedConnectionMarksDownAtOnceAndTheFirstAnswerBringsItBack() {
        var fd = detector()
        #expect(fd.onConnectionFailed(to: n2, now: t0 + .milliseconds(10)) == .down(n2))
        #expect(fd.onConnectionFailed(to: n2, now: t0 + .milliseconds(20)) == nil)
        #expect(!fd.isAlive(n2, now: t0 + .milliseconds(10)))
        #expect(fd.onPingAck(from: n2, now: t0 + .seconds(1)) == .up(n2))
        #expect(fd.isAlive(n2, now: t0 + .seconds(1)))
        #expect(fd.onHeard(from: n2, now: t0 + .seconds(2)) == nil)
    }

    @Test func unknownPeersAreIgnored() {
        var fd = detector()
        #expect(fd.onPingAck(from: n5, now: t0) == nil)
        #expect(fd.onConnectionFailed(to: n5, now: t0) == nil)
        #expect(!fd.isAlive(n5, now: t0))
    }
}
