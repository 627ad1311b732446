import NIOCore
import TesseraCore
import TesseraNode
import TesseraWire
import Testing

/// An in-process 3-node cluster (N=3) on loopback: real TCP, real storage, one event loop per node.
@Suite(.serialized) struct NodeClusterTests {
    @Test func writesAreReadableFromEveryNode() async throws {
        try await TestCluster.with { cluster in
            let c1 = try await cluster.connect(0)
            let reply = try await c1.put("alpha", "one")
            guard case .writeResult(let version, let acks) = reply else {
                Issue.record("unexpected \(reply)")
                return
            }
            #expect(acks >= 2)
            #expect(version.node == NodeID("n1").tag)
            for index in 0..<3 {
                let connection = try await cluster.connect(index)
                #expect(try value(of: try await connection.get("alpha")) == "one")
                #expect(try value(of: try await connection.get("alpha", .all)) == "one")
                #expect(try value(of: try await connection.get("missing")) == nil)
                connection.close()
            }
            // Overwrite from another coordinator, then delete from a third.
            let c2 = try await cluster.connect(1)
            _ = try await c2.put("alpha", "two", .all)
            #expect(try value(of: try await c1.get("alpha", .one)) == "two")
            let c3 = try await cluster.connect(2)
            let deleted = try await c3.delete("alpha", .all)
            guard case .writeResult(_, 3) = deleted else {
                Issue.record("unexpected \(deleted)")
                return
            }
            let afterDelete = try await c1.get("alpha", .quorum)
            guard case .getResult(let cell?) = afterDelete else {
                Issue.record("expected a tombstone, got \(afterDelete)")
                return
            }
            #expect(cell.isTombstone)
            c1.close()
            c2.close()
            c3.close()
        }
    }

    /// Replica reads that storage holds in memory are answered on the event loop (`storageMemoryReads`); a
    /// key whose block is only on disk goes to a storage read batch on the pool (`storageReadBatches`), and once
    /// that read cached its block the next read is a memory read again.
    @Test func replicaReadsComeFromMemoryWhenTheyCanAndFromDiskOtherwise() async throws {
        try await TestCluster.with { cluster in
            let writer = try await cluster.connect(1)
            guard try await writer.putNumbered("disk-", "v", count: 20, .all) else { return }
            writer.close()
            // The restart replays node 0's log into a table: its blocks are on disk, none cached.
            try await cluster.stopNode(0)
            try await cluster.startNode(0)
            try await cluster.waitUntilAllUp()
            func counter(_ name: String) async throws -> UInt64 {
                try await cluster.status(0).counters.first { $0.name == name }?.value ?? 0
            }
            let peer = try await cluster.connectAsPeer(0)
            defer { peer.close() }
            func replicaRead(_ key: String) async throws -> String? {
                guard case .replicaReadResult(let cell) = try await peer.response(to: .replicaRead(key: Array(key.utf8)), timeout: .seconds(10))
                else { throw TesseraError(.protocolError, "no replica read result") }
                return cell?.value.map { String(decoding: $0, as: UTF8.self) }
            }
            let batchesBefore = try await counter("storageReadBatches")
            #expect(try await replicaRead("disk-7") == "v7")
            let batchesAfterDisk = try await counter("storageReadBatches")
            #expect(batchesAfterDisk == batchesBefore + 1, "the first read of a table key needs the disk")

            let memoryBefore = try await counter("storageMemoryReads")
            #expect(try await replicaRead("disk-7") == "v7")  // its block is cached now
            #expect(try await replicaRead("never-written") == nil)  // ruled out by the bloom filter
            #expect(try await counter("storageMemoryReads") == memoryBefore + 2)
            #expect(try await counter("storageReadBatches") == batchesAfterDisk)
        }
    }

    @Test func manyPipelinedRequestsOnOneConnection() async throws {
        try await TestCluster.with { cluster in
            let connection = try await cluster.connect(0)
            let writes = (0..<500).map { i in
                connection.request(
                    .put(
                        key: Array("key-\(i)".utf8),
                        value: Array("value-\(i)".utf8),
                        consistency: .quorum,
                        timeoutMillis: 5000
                    ),
                    timeout: .seconds(20)
                )
            }
            for write in writes {
                let reply = try await write.get()
                guard case .writeResult = reply else {
                    Issue.record("unexpected \(reply)")
                    break
                }
            }
            let reads = (0..<500).map { i in
                connection.request(
                    .get(key: Array("key-\(i)".utf8), consistency: .quorum, timeoutMillis: 5000),
                    timeout: .seconds(20)
                )
            }
            for (i, read) in reads.enumerated() {
                #expect(try value(of: try await read.get()) == "value-\(i)")
            }
            guard case .statusResult(let status) = try await connection.response(to: .status, timeout: .seconds(5))
            else {
                Issue.record("no status")
                return
            }
            #expect(status.nodeID == "n1")
            #expect(status.puts == 500)
            #expect(status.gets == 500)
            #expect(status.peersUp.sorted() == ["n2", "n3"])
            #expect(status.keysEstimate >= 500)
            connection.close()
        }
    }

    @Test func invalidRequestsAreRejectedBeforeAnythingIsSent() async throws {
        try await TestCluster.with { cluster in
            let connection = try await cluster.connect(0)
            let tooLarge = try await connection.response(
                to: .put(
                    key: [UInt8](repeating: 1, count: Limits.maxKeySize + 1),
                    value: [1],
                    consistency: .one,
                    timeoutMillis: 0
                ),
                timeout: .seconds(10)
            )
            #expect(tooLarge.errorCode == .invalidRequest)
            #expect(tooLarge.errorMessage?.contains("65536") == true)
            let bigValue = try await connection.response(
                to: .put(
                    key: [1],
                    value: [UInt8](repeating: 0, count: Limits.maxValueSize + 1),
                    consistency: .one,
                    timeoutMillis: 0
                ),
                timeout: .seconds(20)
            )
            #expect(bigValue.errorCode == .invalidRequest)
            let empty = try await connection.response(
                to: .get(key: [], consistency: .one, timeoutMillis: 0),
                timeout: .seconds(5)
            )
            #expect(empty.errorCode == .invalidRequest)
            let level = try await connection.response(
                to: .get(key: [1], consistency: .count(4), timeoutMillis: 0),
                timeout: .seconds(5)
            )
            #expect(level.errorCode == .invalidRequest)
            #expect(level.errorMessage?.contains("replication factor is 3") == true)
            let reply = try await connection.response(to: .pong, timeout: .seconds(5))
            #expect(reply.errorCode == .invalidRequest)
            // The connection stays usable.
            #expect(try await connection.response(to: .ping, timeout: .seconds(5)) == .pong)
            guard case .ringResult(let ring) = try await connection.response(to: .ring, timeout: .seconds(5)) else {
                Issue.record("no ring")
                return
            }
            #expect(ring.clusterName == "test")
            #expect(ring.replicationFactor == 3)
            #expect(ring.members.map(\.nodeID) == ["n1", "n2", "n3"])
            #expect(ring.members.allSatisfy { $0.tokens.count == 8 })
            connection.close()
        }
    }

    @Test func deadNodeIsDetectedAndRestartedNodeRejoins() async throws {
        try await TestCluster.with { cluster in
            let connection = try await cluster.connect(0)
            _ = try await connection.put("k", "v1", .all)
            try await cluster.stopNode(2)
            // QUORUM still works with one replica down.
            let quorum = try await connection.put("k", "v2", .quorum)
            guard case .writeResult(_, let acks) = quorum else {
                Issue.record("unexpected \(quorum)")
                return
            }
            #expect(acks == 2)
            #expect(try value(of: try await connection.get("k")) == "v2")
            // ALL fails fast once the failure detector has noticed.
            let noticed = await eventually {
                (try? await connection.put("k", "v3", .all))?.errorCode == .unavailable
            }
            #expect(noticed)
            let unavailable = try await connection.get("k", .all)
            #expect(unavailable.errorMessage?.contains("needs 3 replicas, 2 alive") == true)
            // STATUS shows each peer as n1 sees it: n3 down, n2 up with a low phi, heard from recently.
            let views = try await cluster.status(0).peerViews
            #expect(views.map(\.node) == ["n2", "n3"])
            #expect(views.first?.isUp == true && (views.first?.phi ?? 99) < 8)
            #expect((views.first?.heardMillisAgo ?? .max) < 2_000)
            #expect(views.last?.isUp == false)
            // Restart: the node comes back with its data and is seen up again.
            try await cluster.startNode(2)
            let rejoined = await eventually {
                if case .writeResult(_, 3)? = try? await connection.put("k", "v4", .all) { return true }
                return false
            }
            #expect(rejoined)
            #expect(try await cluster.status(0).peerViews.allSatisfy(\.isUp))
            let c3 = try await cluster.connect(2)
            #expect(try value(of: try await c3.get("k", .one)) == "v4")
            c3.close()
            connection.close()
        }
    }

    @Test func readRepairFixesAStaleReplica() async throws {
        try await TestCluster.with { cluster in
            let connection = try await cluster.connect(0)
            _ = try await connection.put("r", "old", .all)
            try await cluster.stopNode(2)
            _ = try await connection.put("r", "new", .quorum)
            try await cluster.startNode(2)
            try await cluster.waitUntilAllUp()
            let c3 = try await cluster.connect(2)
            // n3 missed the write; an ALL read sees both versions, answers the newest and repairs n3.
            let repaired = await eventually {
                (try? value(of: try await connection.get("r", .all))) == "new"
            }
            #expect(repaired)
            let counters = try await cluster.status(0).counters
            #expect((counters.first { $0.name == "readRepairs" }?.value ?? 0) >= 1)
            c3.close()
            connection.close()
        }
    }
}

extension WireMessage {
    var errorCode: TesseraError.Code? {
        if case .error(let error) = self { return error.code }
        return nil
    }

    var errorMessage: String? {
        if case .error(let error) = self { return error.message }
        return nil
    }
}

/// Single-node behaviour: replica requests with bad input, graceful restart keeps data.
@Suite(.serialized) struct NodeSingleTests {
    @Test func badReplicaWriteFailsAloneNotItsBatch() async throws {
        // Two members: replica requests need a peer connection, and a peer must be another member.
        try await TestCluster.with(size: 2, replicationFactor: 1) { cluster in
            let connection = try await cluster.connectAsPeer(0)
            let version = Version(timestamp: HLCTimestamp(physicalMillis: 1_700_000_000_000, logical: 0), node: 1)
            // Pipelined in one write: a bad replica write between good ones.
            let good1 = connection.request(
                .replicaWrite(key: Array("g1".utf8), cell: Cell(version: version, value: [1])),
                timeout: .seconds(5)
            )
            let bad = connection.request(
                .replicaWrite(key: [], cell: Cell(version: version, value: [2])),
                timeout: .seconds(5)
            )
            let good2 = connection.request(
                .replicaWrite(key: Array("g2".utf8), cell: Cell(version: version, value: [3])),
                timeout: .seconds(5)
            )
            #expect(try await good1.get() == .replicaAck)
            #expect(try await bad.get().errorCode == .invalidRequest)
            #expect(try await good2.get() == .replicaAck)
            let read = try await connection.response(to: .replicaRead(key: Array("g2".utf8)), timeout: .seconds(5))
            #expect(read == .replicaReadResult(Cell(version: version, value: [3])))
            // The LINEARIZABLE version phase's read: the version only, nil for a key never written, and the key
            // checked like any replica request.
            #expect(try await connection.response(to: .replicaReadVersion(key: Array("g2".utf8)), timeout: .seconds(5)) == .replicaVersionResult(version))
            #expect(try await connection.response(to: .replicaReadVersion(key: Array("none".utf8)), timeout: .seconds(5)) == .replicaVersionResult(nil))
            #expect(try await connection.response(to: .replicaReadVersion(key: []), timeout: .seconds(5)).errorCode == .invalidRequest)
            connection.close()
        }
    }

    @Test func largestKeyAndValueRoundTrip() async throws {
        try await TestCluster.with(size: 1, replicationFactor: 1) { cluster in
            let connection = try await cluster.connect(0)
            let key = [UInt8](repeating: 0x6B, count: Limits.maxKeySize)
            var value = [UInt8](repeating: 0xA5, count: Limits.maxValueSize)
            for i in stride(from: 0, to: value.count, by: 4099) { value[i] = UInt8(truncatingIfNeeded: i / 4099) }
            let put = try await connection.response(
                to: .put(key: key, value: value, consistency: .one, timeoutMillis: 20_000),
                timeout: .seconds(60)
            )
            guard case .writeResult = put else {
                Issue.record("unexpected \(put)")
                return
            }
            let get = try await connection.response(
                to: .get(key: key, consistency: .one, timeoutMillis: 20_000),
                timeout: .seconds(60)
            )
            guard case .getResult(let cell?) = get else {
                Issue.record("unexpected \(get)")
                return
            }
            #expect(cell.value == value)
            connection.close()
        }
    }

    @Test func gracefulRestartKeepsAcknowledgedWrites() async throws {
        try await TestCluster.with(size: 1, replicationFactor: 1) { cluster in
            let connection = try await cluster.connect(0)
            guard try await connection.putNumbered("durable-", "value-", count: 200, .one) else { return }
            connection.close()
            try await cluster.stopNode(0)
            try await cluster.startNode(0)
            let again = try await cluster.connect(0)
            for i in 0..<200 {
                #expect(try value(of: try await again.get("durable-\(i)", .one)) == "value-\(i)")
            }
            again.close()
        }
    }
}
