import TesseraCluster
import TesseraCore
import Testing

/// The admission state machine: node and connection bounds, the replica queue bound, token buckets.
@Suite struct AdmissionControlTests {
    @Test func onlyARateLimitNeedsTheClock() {
        #expect(!AdmissionControl(limits: AdmissionLimits()).usesTime)
        #expect(AdmissionControl(limits: AdmissionLimits(ratePerSecond: 10, burst: 5)).usesTime)
    }

    @Test func theNodeBoundRefusesPastItAndAdmitsAgainAfterACompletion() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlight: 3, maxInFlightPerConnection: 0))
        var connections = Array(repeating: AdmissionControl.Connection(), count: 5)
        for c in 1...3 { #expect(admission.admit(.client, connection: &connections[c], nowMillis: 0) == nil) }
        #expect(admission.admit(.client, connection: &connections[4], nowMillis: 0) == .nodeInFlight)
        #expect(admission.clientInFlight == 3)
        admission.completed(.client, connection: &connections[2])
        #expect(admission.admit(.client, connection: &connections[4], nowMillis: 0) == nil)
        #expect(admission.rejectedCount(.nodeInFlight) == 1)
        let error = admission.error(for: .nodeInFlight, node: NodeID("n1"))
        #expect(error.code == .overloaded && error.message.contains("limit 3"))
    }

    @Test func oneConnectionCannotTakeTheWholeNode() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlight: 100, maxInFlightPerConnection: 2))
        var seven = AdmissionControl.Connection()
        var eight = AdmissionControl.Connection()
        #expect(admission.admit(.client, connection: &seven, nowMillis: 0) == nil)
        #expect(admission.admit(.client, connection: &seven, nowMillis: 0) == nil)
        #expect(admission.admit(.client, connection: &seven, nowMillis: 0) == .connectionInFlight)
        #expect(seven.inFlight == 2)
        #expect(admission.admit(.client, connection: &eight, nowMillis: 0) == nil)
        admission.completed(.client, connection: &seven)
        #expect(admission.admit(.client, connection: &seven, nowMillis: 0) == nil)
        #expect(admission.clientInFlight == 3)
    }

    @Test func replicaRequestsHaveTheirOwnBound() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlight: 1, maxReplicaInFlight: 2))
        var client = AdmissionControl.Connection()
        var peer = AdmissionControl.Connection()
        #expect(admission.admit(.client, connection: &client, nowMillis: 0) == nil)
        #expect(admission.admit(.replica, connection: &peer, nowMillis: 0) == nil)
        #expect(admission.admit(.replica, connection: &peer, nowMillis: 0) == nil)
        #expect(admission.admit(.replica, connection: &peer, nowMillis: 0) == .replicaQueue)
        admission.completed(.replica, connection: &peer)
        #expect(admission.admit(.replica, connection: &peer, nowMillis: 0) == nil)
        #expect(admission.replicaInFlight == 2 && admission.clientInFlight == 1)
        #expect(peer.inFlight == 0, "replica requests are bounded node-wide, not per connection")
    }

    @Test func theTokenBucketAllowsABurstThenTheRate() {
        var admission = AdmissionControl(
            limits: AdmissionLimits(maxInFlight: 0, maxInFlightPerConnection: 0, ratePerSecond: 100, burst: 5))
        var one = AdmissionControl.Connection()
        var two = AdmissionControl.Connection()
        var admitted = 0
        for _ in 0..<20 where admission.admit(.client, connection: &one, nowMillis: 1000) == nil { admitted += 1 }
        #expect(admitted == 5)
        #expect(admission.admit(.client, connection: &one, nowMillis: 1005) == .rate)  // 0.5 token refilled
        #expect(admission.admit(.client, connection: &one, nowMillis: 1010) == nil)  // 1 token after 10 ms at 100/s
        #expect(admission.admit(.client, connection: &two, nowMillis: 1010) == nil)  // another connection: its own bucket
        #expect(admission.rejectedCount(.rate) == 16)
    }

    @Test func completionsNeverTakeCountsBelowZero() {
        var admission = AdmissionControl(limits: AdmissionLimits())
        var connection = AdmissionControl.Connection()
        admission.completed(.client, connection: &connection)
        admission.completed(.replica, connection: &connection)
        #expect(admission.clientInFlight == 0 && admission.replicaInFlight == 0 && connection.inFlight == 0)
        #expect(admission.admit(.client, connection: &connection, nowMillis: 0) == nil)
        #expect(admission.clientInFlight == 1 && connection.inFlight == 1)
    }
}
