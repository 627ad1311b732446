import Foundation
import NIOCore
import NIOPosix
public import TesseraCore
import TesseraWire
import Synchronization

/// `tessera fuzz`: mutated frames against a real node, seeded with `SplitMix64`, and a check afterwards that
/// the node is up, kept its data, and released what the run held (connections, memory).
///
/// Each frame starts as a well-formed message of a random opcode (client, replica, handshake and reply
/// opcodes alike, random keys, values, levels and timeouts), then maybe one mutation: bit flips in the body,
/// a random opcode or version byte, a random length prefix, a body cut or extended (length fixed up), random
/// body bytes.
///
/// Connections are reused: `workers` connections run at once, each with its own generator seeded from `seed`
/// (the same seed sends the same frames on each worker). Every frame is decoded locally first and falls in one
/// of four kinds (`FrameKind`). Frames the node answers and keeps the connection for go in pipelined batches of
/// up to `batchSize` on the same connection, batch after batch. A frame after which the node closes (one the
/// codec rejects: the node answers ERROR protocolError and closes; one whose length overruns it: the fuzzer
/// half-closes and the node sees the stream end inside a frame) or may close (a handshake message) goes alone
/// once the batch before it was answered; only when the node closed does the worker reconnect. Frames are
/// counted as sent only when the node answered them or closed on them.
public struct WireFuzzer: Sendable {
    public struct Report: Sendable, CustomStringConvertible {
        public var framesSent = 0
        /// Frames the local codec rejects (the node must answer protocolError and close).
        public var malformedFrames = 0
        /// Frames whose length overruns the bytes sent (the fuzzer half-closes after them).
        public var incompleteFrames = 0
        public var replies: [String: Int] = [:]
        public var errorCodes: [String: Int] = [:]
        /// Connections opened (the first of each worker and every reconnect).
        public var connections = 0
        public var closedByNode = 0
        /// Frames of a batch not answered because the node closed the connection first (after a refused
        /// handshake, for example); not counted in `framesSent`.
        public var unanswered = 0
        public var sentinelsChecked = 0
        public var sentinelsIntact = 0
        public var nodeUpAfterwards = false
        public var seconds = 0.0
        public var workers = 0
        /// The node's VmRSS and open file descriptors before and after the run (when its pid is known; 0 if not).
        public var nodeRSSBefore = 0
        public var nodeRSSAfter = 0
        public var nodeRSSPeak = 0
        public var nodeFDsBefore = 0
        public var nodeFDsAfter = 0
        /// `/proc/loadavg`'s 1-minute load at the start and the end.
        public var loadBefore = 0.0
        public var loadAfter = 0.0

        /// Frames per second over the run.
        public var framesPerSecond: Double { Double(framesSent) / max(seconds, 0.001) }

        public var description: String {
            var lines: [String] = []
            lines.append("frames sent and answered or closed on: \(framesSent) (\(malformedFrames) malformed, \(incompleteFrames) incomplete) in \(String(format: "%.1f", seconds)) s, \(Int(framesPerSecond)) frames/s, \(workers) connections at once")
            lines.append("connections: \(connections) (\(connections - workers) reconnects), closed by the node: \(closedByNode), frames left unanswered by a close: \(unanswered)")
            lines.append("replies: " + replies.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines.append("ERROR codes: " + errorCodes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            if nodeRSSBefore > 0 {
                lines.append("node RSS before / peak / after: \(nodeRSSBefore >> 20) / \(nodeRSSPeak >> 20) / \(nodeRSSAfter >> 20) MiB; open file descriptors before / after: \(nodeFDsBefore) / \(nodeFDsAfter)")
            }
            lines.append("load average (1 min) before / after: \(String(format: "%.2f", loadBefore)) / \(String(format: "%.2f", loadAfter))")
            lines.append("node up afterwards: \(nodeUpAfterwards ? "yes" : "NO"); sentinel keys intact: \(sentinelsIntact) of \(sentinelsChecked)")
            return lines.joined(separator: "\n")
        }

        /// True when the node survived and kept every sentinel.
        public var passed: Bool { nodeUpAfterwards && sentinelsIntact == sentinelsChecked && sentinelsChecked > 0 }

        mutating func merge(_ other: Report) {
            framesSent += other.framesSent
            malformedFrames += other.malformedFrames
            incompleteFrames += other.incompleteFrames
            for (key, value) in other.replies { replies[key, default: 0] += value }
            for (key, value) in other.errorCodes { errorCodes[key, default: 0] += value }
            connections += other.connections
            closedByNode += other.closedByNode
            unanswered += other.unanswered
        }
    }

    public let host: String
    public let port: Int
    public let seed: UInt64
    public let frames: Int
    /// Frames per pipelined batch at most (the node serves 32 requests per connection at once by default).
    public var batchSize = 32
    /// Connections fuzzing at once.
    public var workers = 4
    /// The node's process id: when set, its RSS and open file descriptors are reported before and after.
    public var pid: Int32?

    public init(host: String, port: Int, seed: UInt64, frames: Int) {
        self.host = host
        self.port = port
        self.seed = seed
        self.frames = frames
    }

    private var group: MultiThreadedEventLoopGroup { .singleton }

    /// Runs the campaign; `progress` gets a line every few seconds.
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Report {
        var report = Report()
        report.workers = max(1, min(workers, frames))
        report.loadBefore = loadAverage()
        var random = SplitMix64(seed: seed)
        let sentinels = try await writeSentinels(&random)
        if let pid {
            report.nodeRSSBefore = Self.residentBytes(of: pid)
            report.nodeFDsBefore = Self.openDescriptors(of: pid)
        }
        let seeds = (0..<report.workers).map { _ in random.next() }
        let shares = (0..<report.workers).map { frames / report.workers + ($0 < frames % report.workers ? 1 : 0) }
        let sent = FrameCounter()
        let start = ContinuousClock.now
        let total = frames
        let pid = self.pid
        let workerReports = try await withThrowingTaskGroup(of: (isWorker: Bool, report: Report).self) { group in
            for worker in 0..<report.workers {
                group.addTask { (true, try await self.runWorker(seed: seeds[worker], frames: shares[worker], sent: sent)) }
            }
            group.addTask {  // progress line and RSS peak, until the workers are done
                var peak = 0
                var lastLine = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(250))
                    if let pid { peak = max(peak, Self.residentBytes(of: pid)) }
                    if ContinuousClock.now - lastLine >= .seconds(5) {
                        lastLine = ContinuousClock.now
                        let done = sent.value
                        let elapsed = Self.seconds(ContinuousClock.now - start)
                        progress("fuzz: \(done)/\(total) frames, \(Int(Double(done) / max(elapsed, 0.001))) frames/s"
                            + (pid.map { ", node RSS \(Self.residentBytes(of: $0) >> 20) MiB" } ?? ""))
                    }
                }
                var peakReport = Report()
                peakReport.nodeRSSPeak = peak
                return (false, peakReport)
            }
            var reports: [Report] = []
            var finished = 0
            while let next = try await group.next() {
                reports.append(next.report)
                if next.isWorker {
                    finished += 1
                    if finished == report.workers { group.cancelAll() }
                }
            }
            return reports
        }
        report.seconds = Self.seconds(ContinuousClock.now - start)
        for worker in workerReports {
            report.merge(worker)
            report.nodeRSSPeak = max(report.nodeRSSPeak, worker.nodeRSSPeak)
        }
        try await checkAfterwards(sentinels, &report)
        if let pid {
            // Closed connections are released asynchronously: give the node a moment to get back to its count.
            let deadline = ContinuousClock.now + .seconds(10)
            repeat {
                report.nodeFDsAfter = Self.openDescriptors(of: pid)
                if report.nodeFDsAfter <= report.nodeFDsBefore { break }
                try await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < deadline
            report.nodeRSSAfter = Self.residentBytes(of: pid)
            report.nodeRSSPeak = max(report.nodeRSSPeak, report.nodeRSSAfter)
        }
        report.loadAfter = loadAverage()
        return report
    }

    // MARK: connections

    /// How the node treats a frame, decided by decoding it locally as the node will.
    enum FrameKind: Equatable {
        /// Decodes completely (maybe as several frames, if a mutated length split it): answered, connection kept.
        case kept
        /// A handshake message: answered, and the node closes the connection if it refuses it.
        case closing
        /// The codec rejects it (after answering any complete frames before the bad bytes): ERROR, then close.
        case malformed
        /// Its length overruns the bytes sent: the fuzzer half-closes and the node closes on the cut frame.
        case incomplete
    }

    /// A generated frame, its kind and the replies the node owes for it.
    struct PreparedFrame {
        var bytes: ByteBuffer
        var replies: Int
        var kind: FrameKind
    }

    static func prepare(_ frame: ByteBuffer) -> PreparedFrame {
        var probe = frame
        var replies = 0
        var handshake = false
        while probe.readableBytes > 0 {
            do {
                guard let decoded = try WireCodec.decode(&probe) else {
                    return PreparedFrame(bytes: frame, replies: replies, kind: .incomplete)
                }
                replies += 1
                switch decoded.message {
                case .peerHello, .peerAuth: handshake = true
                default: break
                }
            } catch {
                return PreparedFrame(bytes: frame, replies: replies, kind: .malformed)
            }
        }
        return PreparedFrame(bytes: frame, replies: replies, kind: handshake ? .closing : .kept)
    }

    /// One worker's generator and tallies, carried from connection to connection.
    struct WorkerState {
        var random: SplitMix64
        var remaining: Int
        /// A frame generated but not sent yet (it ends the batch before it).
        var pending: PreparedFrame?
        var report = Report()

        mutating func take() -> PreparedFrame {
            if let frame = pending {
                pending = nil
                return frame
            }
            return WireFuzzer.prepare(WireFuzzer.mutatedFrame(&random))
        }
    }

    /// A worker's share of the campaign: connection after connection, each used until the node closes it.
    private func runWorker(seed: UInt64, frames: Int, sent: FrameCounter) async throws -> Report {
        var state = WorkerState(random: SplitMix64(seed: seed), remaining: frames)
        while state.remaining > 0 {
            state = try await fuzzOneConnection(state, sent: sent)
        }
        return state.report
    }

    /// Sends batches on one connection until the node closes it (or the worker's share is done).
    private func fuzzOneConnection(_ initial: WorkerState, sent: FrameCounter) async throws -> WorkerState {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                }
            }
        let batchSize = max(1, self.batchSize)
        return try await channel.executeThenClose { inbound, outbound in
            var state = initial
            state.report.connections += 1
            var iterator = inbound.makeAsyncIterator()
            var reader = WireFrameReader()
            /// Reads until `wanted` replies came (or, with `untilClosed`, until the node closes); a watchdog
            /// closes a connection that answers nothing for 30 s.
            func receive(_ wanted: Int, untilClosed: Bool, handshake: Bool = false) async -> (received: Int, closed: Bool) {
                var received = 0
                var refused = false
                let watchdog = channel.channel.eventLoop.scheduleTask(in: .seconds(30)) {
                    channel.channel.close(promise: nil)
                }
                defer { watchdog.cancel() }
                // A refused handshake message is answered with ERROR, then the node closes: wait for the close.
                while untilClosed || received < wanted || refused {
                    do {
                        guard let chunk = try await iterator.next() else { return (received, true) }
                        reader.append(chunk)
                        while let frame = try reader.next() {
                            received += 1
                            state.report.replies["\(frame.message.opcode)", default: 0] += 1
                            if case .error(let error) = frame.message {
                                state.report.errorCodes["\(error.code)", default: 0] += 1
                                if handshake { refused = true }
                            }
                        }
                    } catch {
                        return (received, true)
                    }
                }
                return (received, false)
            }
            while state.remaining > 0 {
                var batch = ByteBuffer()
                var batchFrames = 0
                var expected = 0
                var alone: PreparedFrame?
                while batchFrames < batchSize && batchFrames < state.remaining {
                    let frame = state.take()
                    if frame.kind == .kept {
                        batch.writeImmutableBuffer(frame.bytes)
                        batchFrames += 1
                        expected += frame.replies
                    } else if batchFrames == 0 {
                        alone = frame
                        break
                    } else {
                        state.pending = frame  // after this batch is answered
                        break
                    }
                }
                if let alone {
                    guard (try? await outbound.write(alone.bytes)) != nil else {
                        // The node closed the connection after the previous frame (a refused handshake).
                        state.pending = alone
                        state.report.closedByNode += 1
                        return state
                    }
                    if alone.kind == .incomplete { outbound.finish() }
                    let (received, closed) = await receive(
                        alone.replies, untilClosed: alone.kind != .closing, handshake: alone.kind == .closing)
                    state.remaining -= 1
                    state.report.framesSent += 1
                    sent.add(1)
                    switch alone.kind {
                    case .malformed: state.report.malformedFrames += 1
                    case .incomplete: state.report.incompleteFrames += 1
                    default: break
                    }
                    if alone.kind != .closing && received < alone.replies { state.report.unanswered += alone.replies - received }
                    if closed {
                        state.report.closedByNode += 1
                        return state
                    }
                    continue
                }
                let (received, closed): (Int, Bool)
                if (try? await outbound.write(batch)) != nil {
                    (received, closed) = await receive(expected, untilClosed: false)
                } else {
                    (received, closed) = (0, true)  // closed after the previous frame; these go on the next one
                }
                let answered = closed ? min(batchFrames, received) : batchFrames
                state.remaining -= answered
                state.report.framesSent += answered
                sent.add(answered)
                if closed {
                    // Not expected for these frames; the rest of the batch is counted and sent again from new
                    // frames on the next connection.
                    state.report.unanswered += batchFrames - answered
                    state.report.closedByNode += 1
                    return state
                }
            }
            return state
        }
    }

    /// Frames sent by all workers so far (for the progress line).
    final class FrameCounter: Sendable {
        private let count = Mutex(0)
        func add(_ frames: Int) { count.withLock { $0 += frames } }
        var value: Int { count.withLock { $0 } }
    }

    // MARK: process probes

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func residentBytes(of pid: Int32) -> Int { MemoryBenchmark.residentBytes(of: pid) }

    /// Open file descriptors of `pid` (its sockets among them); 0 if the process is gone.
    public static func openDescriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
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
        case .replicaReadVersion: return .replicaReadVersion(key: key)
        case .replicaVersionResult: return .replicaVersionResult(below(&random, 2) == 0 ? nil : randomCell(&random).version)
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
