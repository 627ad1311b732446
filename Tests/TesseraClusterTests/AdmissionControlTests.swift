import TesseraCluster
import TesseraCore
import Testing

/// The admission state machine: node and connection bounds, the replica queue bound, token buckets.
@Suite struct AdmissionControlTests {
    @Test func theNodeBoundRefusesPastItAndAdmitsAgainAfterACompletion() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlight: 3, maxInFlightPerConnection: 0))
        for connection in UInt64(1)...3 { #expect(admission.admit(.client, connection: connection, nowMillis: 0) == nil) }
        #expect(admission.admit(.client, connection: 4, nowMillis: 0) == .nodeInFlight)
        #expect(admission.clientInFlight == 3)
        admission.completed(.client, connection: 2)
        #expect(admission.admit(.client, connection: 4, nowMillis: 0) == nil)
        #expect(admission.rejectedCount(.nodeInFlight) == 1)
        let error = admission.error(for: .nodeInFlight, node: NodeID("n1"))
        #expect(error.code == .overloaded && error.message.contains("limit 3"))
    }

    @Test func oneConnectionCannotTakeTheWholeNode() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlight: 100, maxInFlightPerConnection: 2))
        #expect(admission.admit(.client, connection: 7, nowMillis: 0) == nil)
        #expect(admission.admit(.client, connection: 7, nowMillis: 0) == nil)
        #expect(admission.admit(.client, connection: 7, nowMillis: 0) == .connectionInFlight)
        #expect(admission.admit(.client, connection: 8, nowMillis: 0) == nil)
        admission.completed(.client, connection: 7)
        #expect(admission.admit(.client, connection: 7, nowMillis: 0) == nil)
    }

    @Test func replicaRequestsHaveTheirOwnBound() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlight: 1, maxReplicaInFlight: 2))
        #expect(admission.admit(.client, connection: 1, nowMillis: 0) == nil)
        #expect(admission.admit(.replica, connection: 2, nowMillis: 0) == nil)
        #expect(admission.admit(.replica, connection: 2, nowMillis: 0) == nil)
        #expect(admission.admit(.replica, connection: 2, nowMillis: 0) == .replicaQueue)
        admission.completed(.replica, connection: 2)
        #expect(admission.admit(.replica, connection: 2, nowMillis: 0) == nil)
        #expect(admission.replicaInFlight == 2 && admission.clientInFlight == 1)
    }

    @Test func theTokenBucketAllowsABurstThenTheRate() {
        var admission = AdmissionControl(
            limits: AdmissionLimits(maxInFlight: 0, maxInFlightPerConnection: 0, ratePerSecond: 100, burst: 5))
        var admitted = 0
        for _ in 0..<20 where admission.admit(.client, connection: 1, nowMillis: 1000) == nil { admitted += 1 }
        #expect(admitted == 5)
        #expect(admission.admit(.client, connection: 1, nowMillis: 1005) == .rate)  // 0.5 token refilled
        #expect(admission.admit(.client, connection: 1, nowMillis: 1010) == nil)  // 1 token after 10 ms at 100/s
        #expect(admission.admit(.client, connection: 2, nowMillis: 1010) == nil)  // another connection: its own bucket
        #expect(admission.rejectedCount(.rate) == 16)
    }

    @Test func closedIdleConnectionsAreForgotten() {
        var admission = AdmissionControl(limits: AdmissionLimits(maxInFlightPerConnection: 4))
        #expect(admission.admit(.client, connection: 1, nowMillis: 0) == nil)
        admission.closed(connection: 1)
        #expect(admission.trackedConnections == 1)  // still has a request in flight
        admission.completed(.client, connection: 1)
        #expect(admission.trackedConnections == 0 && admission.clientInFlight == 0)
    }
}
