import NIOCore
import NIOPosix
public import TesseraCore
import TesseraWire

/// `tessera fuzz`: mutated frames against a real node, seeded with `SplitMix64`, and a check afterwards that
/// the node is up and kept its data.
///
/// Each frame starts as a well-formed message of a random opcode (client, replica, handshake and reply
/// opcodes alike, random keys, values, levels and timeouts), then maybe one mutation: bit flips in the body,
/// a random opcode or version byte, a random length prefix, a body cut or extended (length fixed up), random
/// body bytes. Every frame is decoded locally first: a frame the codec rejects is where the node will answer
/// ERROR protocolError and close, so it ends its batch, and the next batch goes on a new connection. Frames
/// are counted as sent only when the node answered them or closed on them.
public struct WireFuzzer: Sendable {
    public struct Report: Sendable, CustomStringConvertible {
        public var framesSent = 0
        /// Frames the local codec rejects (the node must answer protocolError and close).
        public var malformedFrames = 0
        public var replies: [String: Int] = [:]
        public var errorCodes: [String: Int] = [:]
        public var connections = 0
        public var closedByNode = 0
        /// Frames of a batch not answered because the node closed the connection first (after a refused
        /// handshake, for example); not counted in `framesSent`.
        public var unanswered = 0
        public var sentinelsChecked = 0
        public var sentinelsIntact = 0
        public var nodeUpAfterwards = false
        public var seconds = 0.0

        public var description: String {
            var lines: [String] = []
            lines.append("frames sent and answered or closed on: \(framesSent) (\(malformedFrames) malformed) in \(String(format: "%.1f", seconds)) s, \(Int(Double(framesSent) / max(seconds, 0.001))) frames/s")
            lines.append("connections: \(connections), closed by the node: \(closedByNode), frames left unanswered by a close: \(unanswered)")
            lines.append("replies: " + replies.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines.append("ERROR codes: " + errorCodes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines.append("node up afterwards: \(nodeUpAfterwards ? "yes" : "NO"); sentinel keys intact: \(sentinelsIntact) of \(sentinelsChecked)")
            return lines.joined(separator: "\n")
        }

        /// True when the node survived and kept every sentinel.
        public var passed: Bool { nodeUpAfterwards && sentinelsIntact == sentinelsChecked && sentinelsChecked > 0 }
    }

    public let host: String
    public let port: Int
    public let seed: UInt64
    public let frames: Int
    /// Frames per batch at most (a batch also ends at a malformed frame).
    public var batchSize = 32  // the node serves 32 requests per connection at once by default

    public init(host: String, port: Int, seed: UInt64, frames: Int) {
        self.host = host
        self.port = port
        self.seed = seed
        self.frames = frames
    }

    private var group: MultiThreadedEventLoopGroup { .singleton }

    /// Runs the campaign; `progress` gets a line every few seconds.
    public func run(progress: (String) -> Void = { _ in }) async throws -> Report {
        var report = Report()
        let start = ContinuousClock.now
        var random = SplitMix64(seed: seed)
        let sentinels = try await writeSentinels(&random)
        var lastProgress = start
        var pendingRejected: ByteBuffer?
        while report.framesSent < frames {
            var batch = ByteBuffer()
            var expected = 0
            var endsMalformed = false
            var endsIncomplete = false
            // Frames the codec accepts go in batches on one connection; a frame it rejects goes alone on its own
            // (the node closes the connection on it, dropping replies still in flight for earlier frames).
            while expected < batchSize && report.framesSent + expected < frames {
                var frame = pendingRejected ?? Self.mutatedFrame(&random)
                var probe = frame
                var rejected = false
                var incomplete = false
                do {
                    if try WireCodec.decode(&probe) == nil { incomplete = true }  // its length overruns the frame
                } catch {
                    rejected = true
                }
                if (rejected || incomplete) && expected > 0 {
                    pendingRejected = frame
                    break
                }
                pendingRejected = nil
                expected += 1
                batch.writeBuffer(&frame)
                if rejected || incomplete {
                    endsMalformed = rejected
                    endsIncomplete = incomplete
                    break
                }
            }
            try await sendBatch(
                batch, expected: expected, endsMalformed: endsMalformed, endsIncomplete: endsIncomplete, report: &report)
            if ContinuousClock.now - lastProgress > .seconds(5) {
                lastProgress = ContinuousClock.now
                progress("fuzz: \(report.framesSent)/\(frames) frames, \(report.connections) connections")
            }
        }
        report.seconds = Double((ContinuousClock.now - start).components.seconds)
            + Double((ContinuousClock.now - start).components.attoseconds) / 1e18
        try await checkAfterwards(sentinels, &report)
        return report
    }

    /// Sends one batch on a fresh connection and counts the replies until all came or the node closed.
    private func sendBatch(
        _ batch: ByteBuffer, expected: Int, endsMalformed: Bool, endsIncomplete: Bool, report: inout Report
    ) async throws {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        report.connections += 1
        // A frame whose length overruns never completes: the node would wait for its partial-frame timeout. The
        // fuzzer half-closes instead (the node sees the stream end inside a frame) and counts the frames before.
        let wanted = endsIncomplete ? expected - 1 : expected
        let closer = channel.channel.eventLoop.scheduleTask(in: .seconds(20)) { channel.channel.close(promise: nil) }
        let (answered, closed, messages) = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(batch)
            if endsIncomplete { outbound.finish() }
            var reader = WireFrameReader()
            var messages: [WireMessage] = []
            var closed = true
            do {
                for try await chunk in inbound {
                    reader.append(chunk)
                    while let frame = try reader.next() { messages.append(frame.message) }
                    if messages.count >= wanted && !endsIncomplete {
                        closed = false
                        break
                    }
                }
            } catch {
                closed = true
            }
            return (messages.count, closed, messages)
        }
        closer.cancel()
        for message in messages {
            report.replies["\(message.opcode)", default: 0] += 1
            if case .error(let error) = message { report.errorCodes["\(error.code)", default: 0] += 1 }
        }
        if closed { report.closedByNode += 1 }
        if endsMalformed || endsIncomplete {
            // The last frame counts as delivered once every frame before it was answered: the node answered it
            // with ERROR or saw the stream end inside it.
            report.malformedFrames += 1
            let before = min(answered, expected - 1)
            report.framesSent += before + 1
            report.unanswered += expected - 1 - before
        } else {
            report.framesSent += min(answered, expected)
            report.unanswered += expected - min(answered, expected)
        }
    }

    // MARK: frames

    static let opcodes = WireOpcode.allCases

    static func randomBytes(_ random: inout SplitMix64, count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
        return bytes
    }

    static func below(_ random: inout SplitMix64, _ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }

    static func randomLevel(_ random: inout SplitMix64) -> ConsistencyLevel {
        [.one, .two, .three, .quorum, .all, .count(1), .count(2), .count(4)][below(&random, 8)]
    }

    static func randomCell(_ random: inout SplitMix64) -> Cell {
        let timestamp: HLCTimestamp
        switch below(&random, 3) {
        case 0: timestamp = HLCTimestamp(rawValue: random.next())
        case 1: timestamp = HLCTimestamp(rawValue: .max)
        default: timestamp = HLCTimestamp(physicalMillis: 1_700_000_000_000 + random.next() % 1_000_000, logical: 0)
        }
        let version = Version(timestamp: timestamp, node: UInt32(truncatingIfNeeded: random.next()))
        return below(&random, 4) == 0 ? .tombstone(version) : Cell(version: version, value: randomBytes(&random, count: below(&random, 64)))
    }

    /// A well-formed message of a random opcode.
    static func randomMessage(_ random: inout SplitMix64) -> WireMessage {
        let key = randomBytes(&random, count: below(&random, 5) == 0 ? 0 : 1 + below(&random, 24))
        let timeout = UInt32(below(&random, 3000))
        switch opcodes[below(&random, opcodes.count)] {
        case .get: return .get(key: key, consistency: randomLevel(&random), timeoutMillis: timeout)
        case .put:
            return .put(key: key, value: randomBytes(&random, count: below(&random, 256)), consistency: randomLevel(&random), timeoutMillis: timeout)
        case .delete: return .delete(key: key, consistency: randomLevel(&random), timeoutMillis: timeout)
        case .ring: return .ring
        case .status: return .status
        case .ping: return .ping
        case .getResult: return .getResult(randomCell(&random))
        case .writeResult: return .writeResult(version: randomCell(&random).version, acks: below(&random, 5))
        case .ringResult: return .ringResult(WireRing(clusterName: "x", replicationFactor: 1, virtualNodes: 1, members: []))
        case .statusResult, .pong: return .pong
        case .error: return .error(TesseraError(.internalError, "fuzz"))
        case .replicaWrite: return .replicaWrite(key: key, cell: randomCell(&random))
        case .replicaRead: return .replicaRead(key: key)
        case .replicaAck: return .replicaAck
        case .replicaReadResult: return .replicaReadResult(randomCell(&random))
        case .peerHello:
            return .peerHello(clusterName: below(&random, 10) == 0 ? "other" : "tessera", nodeID: "n\(1 + below(&random, 4))", nonce: randomBytes(&random, count: below(&random, 2) == 0 ? 32 : 7))
        case .peerAuth: return .peerAuth(proof: randomBytes(&random, count: 32))
        case .peerChallenge: return .peerChallenge(nodeID: "n1", mode: .hmacSHA256, nonce: randomBytes(&random, count: 32), proof: [])
        case .peerWelcome: return .peerWelcome
        case .replicaHintedWrite: return .replicaHintedWrite(key: key, cell: randomCell(&random), home: "n\(1 + below(&random, 4))")
        case .hotKeys: return .hotKeys(limit: UInt16(below(&random, 100)))
        default: return .ping  // the healing and result messages: their bodies are fuzzed by mutation of others
        }
    }

    /// One frame, length prefix included, possibly mutated.
    static func mutatedFrame(_ random: inout SplitMix64) -> ByteBuffer {
        var frame = ByteBuffer()
        WireCodec.encode(requestID: random.next(), message: randomMessage(&random), into: &frame)
        let roll = below(&random, 1000)
        let bodyStart = 4 + WireCodec.headerSize
        let body = frame.readableBytes - bodyStart
        switch roll {
        case 0..<700:
            break  // well-formed, random fields
        case 700..<900:  // bit flips in the last bytes of the body (values, nonces, proofs, timeouts, levels)
            guard body > 0 else { break }
            for _ in 0..<(1 + below(&random, 3)) {
                let index = bodyStart + body - 1 - below(&random, min(body, 16))
                let byte = frame.getInteger(at: index, as: UInt8.self)!
                frame.setInteger(byte ^ (1 << UInt8(below(&random, 8))), at: index)
            }
        case 900..<950:  // bit flips anywhere after the length prefix
            for _ in 0..<(1 + below(&random, 3)) {
                let index = 4 + below(&random, frame.readableBytes - 4)
                let byte = frame.getInteger(at: index, as: UInt8.self)!
                frame.setInteger(byte ^ (1 << UInt8(below(&random, 8))), at: index)
            }
        case 950..<965:  // random opcode byte
            frame.setInteger(UInt8(truncatingIfNeeded: random.next()), at: 5)
        case 965..<970:  // random version byte
            frame.setInteger(UInt8(truncatingIfNeeded: random.next()), at: 4)
        case 970..<975:  // random length prefix (too large, too short, or overrunning the frame)
            frame.setInteger(UInt32(truncatingIfNeeded: random.next() >> UInt64(below(&random, 40))), at: 0)
        case 975..<990:  // body cut or extended, length fixed up
            if body > 0 && below(&random, 2) == 0 {
                frame.moveWriterIndex(to: bodyStart + below(&random, body))
            } else {
                frame.writeBytes(randomBytes(&random, count: 1 + below(&random, 16)))
            }
            frame.setInteger(UInt32(frame.readableBytes - 4), at: 0)
        default:  // random body bytes behind a valid header
            frame.moveWriterIndex(to: bodyStart)
            frame.writeBytes(randomBytes(&random, count: below(&random, 64)))
            frame.setInteger(UInt32(frame.readableBytes - 4), at: 0)
        }
        return frame
    }

    // MARK: data check

    private func connect() async throws -> WireConnection {
        try await WireConnection.connect(host: host, port: port, group: group, connectTimeout: .seconds(5))
    }

    /// Keys the fuzzer cannot hit by chance (16 random bytes after a prefix), written at ALL before the run.
    private func writeSentinels(_ random: inout SplitMix64) async throws -> [([UInt8], [UInt8])] {
        let connection = try await connect()
        defer { connection.close() }
        var sentinels: [([UInt8], [UInt8])] = []
        for i in 0..<50 {
            let key = Array("fuzz-sentinel-\(i)-".utf8) + Self.randomBytes(&random, count: 16)
            let value = Self.randomBytes(&random, count: 100)
            let reply = try await connection.response(
                to: .put(key: key, value: value, consistency: .all, timeoutMillis: 10_000), timeout: .seconds(30))
            guard case .writeResult = reply else { throw TesseraError(.internalError, "writing sentinel \(i) failed: \(reply)") }
            sentinels.append((key, value))
        }
        return sentinels
    }

    private func checkAfterwards(_ sentinels: [([UInt8], [UInt8])], _ report: inout Report) async throws {
        let connection = try await connect()
        defer { connection.close() }
        report.nodeUpAfterwards = (try? await connection.response(to: .ping, timeout: .seconds(10))) == .pong
        for (key, value) in sentinels {
            report.sentinelsChecked += 1
            let reply = try? await connection.response(
                to: .get(key: key, consistency: .all, timeoutMillis: 10_000), timeout: .seconds(30))
            if case .getResult(let cell?)? = reply, cell.value == value { report.sentinelsIntact += 1 }
        }
    }
}
