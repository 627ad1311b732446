import TesseraCore
import TesseraWire
import Testing

/// LINEARIZABLE over real TCP between nodes: the write's version phase and write phase, the read's write-back,
/// a sloppy request refused, and majority availability.
@Suite struct NodeLinearizableTests {
    @Test func linearizableWritesAndReadsAcrossCoordinatorsNeedAStrictMajority() async throws {
        try await TestCluster.with(size: 3) { cluster in
            let first = try await cluster.connect(0)
            let second = try await cluster.connect(1)
            guard case .writeResult(let v1, let acks1) = try await first.put("lin", "a", .linearizable) else {
                Issue.record("first LINEARIZABLE put failed")
                return
            }
            #expect(acks1 >= 2)
            #expect(try value(of: try await second.get("lin", .linearizable)) == "a")
            // Another coordinator's write is versioned above the first, whatever its clock says.
            guard case .writeResult(let v2, _) = try await second.put("lin", "b", .linearizable) else {
                Issue.record("second LINEARIZABLE put failed")
                return
            }
            #expect(v2 > v1)
            #expect(try value(of: try await first.get("lin", .linearizable)) == "b")
            let sloppy = try await first.put("lin", "c", .linearizable, quorum: .sloppy)
            #expect(sloppy.errorCode == .invalidRequest, "\(sloppy)")
            #expect(sloppy.errorMessage?.contains("strict majority") == true, "\(sloppy)")
            #expect(try value(of: try await first.get("lin", .linearizable)) == "b")
            // One of three down: a majority is left. Two down: refused as unavailable.
            try await cluster.stopNode(2)
            #expect(await eventually { (try? await first.put("lin", "d", .linearizable))?.isWriteResult == true })
            try await cluster.stopNode(1)
            #expect(await eventually { (try? await first.put("lin", "e", .linearizable))?.errorCode == .unavailable })
            first.close()
            second.close()
        }
    }
}

extension WireMessage {
    fileprivate var isWriteResult: Bool { if case .writeResult = self { true } else { false } }
}
