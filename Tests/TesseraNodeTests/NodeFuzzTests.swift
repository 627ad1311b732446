import NIOCore
import NIOPosix
import TesseraCore
import TesseraNode
import TesseraWire
import Testing

/// Throws thousands of malformed, truncated, oversized and mutated frames at a live node over real TCP from
/// many concurrent connections, then checks the node still answers correctly.
@Suite(.serialized) struct NodeFuzzTests {
    private static let version = Version(
        timestamp: HLCTimestamp(physicalMillis: 1_700_000_000_000, logical: 1),
        node: 7
    )

    private static let requests: [WireMessage] = [
        .get(key: Array("fuzz-a".utf8), consistency: .one, timeoutMillis: 500),
        .put(key: Array("fuzz-b".utf8), value: Array("some value".utf8), consistency: .one, timeoutMillis: 500),
        .delete(key: Array("fuzz-c".utf8), consistency: .all, timeoutMillis: 500),
        .replicaWrite(key: Array("fuzz-d".utf8), cell: Cell(version: version, value: [1, 2, 3, 4])),
        .replicaRead(key: Array("fuzz-e".utf8)),
        .ring, .status, .ping,
    ]

    private enum Outcome {
        case protocolErrorThenClose
        case otherwise
    }

    /// One fuzz case: the bytes to send after a valid PING (id 1), and the kind (for the summary).
    private static func fuzzBytes(_ rng: inout SplitMix64) -> [UInt8] {
        func encoded(_ message: WireMessage) -> [UInt8] {
            var buffer = ByteBuffer()
            WireCodec.encode(WireFrame(requestID: 2, message: message), into: &buffer)
            return Array(buffer.readableBytesView)
        }
        let sample = encoded(requests[Int(rng.next() % UInt64(requests.count))])
        switch rng.next() % 10 {
        case 0, 1, 2, 3:  // mutate header or body bytes
            var bytes = sample
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                bytes[4 + Int(rng.next() % UInt64(bytes.count - 4))] = UInt8(truncatingIfNeeded: rng.next())
            }
            return bytes
        case 4:  // mutate anywhere, the length prefix included
            var bytes = sample
            bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            return bytes
        case 5, 6:  // random garbage
            return (0..<(1 + Int(rng.next() % 64))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        case 7:  // truncated frame
            return Array(sample.prefix(Int(rng.next() % UInt64(sample.count))))
        case 8:  // oversized length prefix, then a little data
            let length = UInt32(WireCodec.maxFrameLength) + 1 + UInt32(truncatingIfNeeded: rng.next() % 1_000_000)
            return withUnsafeBytes(of: length.bigEndian) { Array($0) } + [1, 2, 3]
        default:  // length shorter than the header
            let length = UInt32(rng.next() % 10)
            return withUnsafeBytes(of: length.bigEndian) { Array($0) } + Array(repeating: 0, count: Int(length))
        }
    }

    /// Sends PING + fuzz bytes, half-closes, and returns every byte the node sent before closing.
    private static func exchange(port: Int, payload: [UInt8]) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var out = ByteBuffer()
            WireCodec.encode(WireFrame(requestID: 1, message: .ping), into: &out)
            out.writeBytes(payload)
            try await outbound.write(out)
            outbound.finish()
            var received: [UInt8] = []
            for try await chunk in inbound { received += Array(chunk.readableBytesView) }
            return received
        }
    }

    @Test func liveNodeSurvivesThousandsOfBadFramesFromManyConnections() async throws {
        try await TestCluster.with(size: 1, replicationFactor: 1) { cluster in
            let port = cluster.members[0].port
            let workers = 16
            let casesPerWorker = 150
            let results = try await withThrowingTaskGroup(of: (protocolErrors: Int, violations: [String]).self) {
                group in
                for worker in 0..<workers {
                    group.addTask {
                        var rng = SplitMix64(seed: UInt64(worker) &* 0x9E37_79B9 &+ 1)
                        var protocolErrors = 0
                        var violations: [String] = []
                        for _ in 0..<casesPerWorker {
                            let payload = Self.fuzzBytes(&rng)
                            let bytes = try await Self.exchange(port: port, payload: payload)
                            var reader = WireFrameReader()
                            reader.append(ByteBuffer(bytes: bytes))
                            var frames: [WireFrame] = []
                            do {
                                while let frame = try reader.next() { frames.append(frame) }
                            } catch {
                                violations.append("node sent an undecodable reply: \(error)")
                                continue
                            }
                            if reader.bufferedBytes > 0 { violations.append("node sent a partial frame") }
                            guard frames.first == WireFrame(requestID: 1, message: .pong) else {
                                violations.append(
                                    "first reply was not PONG for id 1: \(frames.first.map { "\($0)" } ?? "none") after \(payload.prefix(24))"
                                )
                                continue
                            }
                            if let index = frames.firstIndex(where: { $0.message.errorCode == .protocolError }) {
                                protocolErrors += 1
                                if index != frames.count - 1 { violations.append("frames after a protocol error") }
                            }
                        }
                        return (protocolErrors: protocolErrors, violations: violations)
                    }
                }
                var protocolErrors = 0
                var violations: [String] = []
                for try await result in group {
                    protocolErrors += result.protocolErrors
                    violations += result.violations
                }
                return (protocolErrors: protocolErrors, violations: violations)
            }
            #expect(results.violations.isEmpty, "\(results.violations.prefix(5))")
            // Most cases are malformed: the node must have answered a good share with protocolError.
            #expect(results.protocolErrors > workers * casesPerWorker / 3)

            // The node still serves correctly.
            let connection = try await cluster.connect(0)
            for i in 0..<50 {
                let reply = try await connection.put("after-fuzz-\(i)", "v\(i)", .one)
                guard case .writeResult(_, 1) = reply else {
                    Issue.record("unexpected \(reply)")
                    break
                }
            }
            for i in 0..<50 {
                #expect(try value(of: try await connection.get("after-fuzz-\(i)", .one)) == "v\(i)")
            }
            let status = try await cluster.status(0)
            let counted = status.counters.first { $0.name == "protocolErrors" }?.value ?? 0
            #expect(counted >= UInt64(results.protocolErrors))
            connection.close()
        }
    }
}

