import NIOCore
import TesseraWire
import Testing

@Suite struct WirePeerViewTests {
    @Test func peerViewsTravelAsCountersAndSurviveTheCodec() throws {
        let views = [
            WirePeerView(node: "n.2", isUp: true, phi: 0.25, heardMillisAgo: 120),
            WirePeerView(node: "n3", isUp: false, phi: .infinity, heardMillisAgo: nil),
        ]
        let status = WireStatus(
            nodeID: "n1", clusterName: "c", uptimeMillis: 1, peersUp: ["n.2"], peersDown: ["n3"], keysEstimate: 0,
            diskBytes: 0, gets: 0, puts: 0, deletes: 0, failedRequests: 0, replicaWrites: 0, replicaReads: 0,
            counters: [WireCounter(name: "readRepairs", value: 4)] + views.flatMap(\.counters)
        )
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        WireCodec.encode(requestID: 9, message: .statusResult(status), into: &buffer)
        var reader = WireFrameReader()
        reader.append(buffer)
        guard case .statusResult(let decoded)? = try reader.next()?.message else {
            Issue.record("no status decoded")
            return
        }
        let parsed = decoded.peerViews
        #expect(parsed.count == 2)
        #expect(parsed[0] == views[0])
        #expect(parsed[1].node == "n3" && !parsed[1].isUp && parsed[1].phi == 1_000_000 && parsed[1].heardMillisAgo == nil)
        #expect(decoded.counters.first == WireCounter(name: "readRepairs", value: 4))
    }
}
