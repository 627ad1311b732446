import Foundation
import Histogram
import NIOCore
import NIOPosix
public import TesseraCore
import TesseraWire
import Synchronization

/// `tessera bench overload`: admission control under a load test (issue 11). Against one node whose client
/// in-flight bound is small (`--max-in-flight`), it
///
/// 1. measures the node's capacity: a closed loop with as many requests outstanding as the bound admits;
/// 2. runs open-loop phases at fixed offered rates: **normal** (a fraction of the capacity), **overload**
///    (several times the capacity), **recovery** (normal again, `settleSeconds` after the overload stopped);
///
/// and reports per phase the offered and admitted ops/s, the `overloaded` rejections, other failures, and the
/// p50/p99 latency of admitted requests, measured from each request's scheduled send time (so a generator
/// that falls behind does not hide queueing: no coordinated omission). The verdict: the recovery phase's p99
/// is within `recoveryTolerance` times the normal phase's.
///
/// Requests are raw wire frames on `connections` pipelined connections (`WireConnection`), GET and PUT half
/// and half on `keys` keys, chosen with `SplitMix64` from `seed`: no client-side backoff, so the offered rate
/// is what reaches the node.
public struct OverloadBenchmark: Sendable {
    public struct Configuration: Sendable {
        public var connections = 8
        /// Requests outstanding in the capacity probe (the node's in-flight bound: the most it admits).
        public var probeInFlight = 16
        public var probeSeconds = 2.0
        public var phaseSeconds = 5.0
        /// Pause between the overload phase and the recovery phase (the node finishes the work it admitted).
        public var settleSeconds = 1.0
        /// The normal and recovery phases' rate, as a fraction of the measured capacity.
        public var normalFraction = 0.5
        /// The overload phase's rate, in multiples of the measured capacity.
        public var overloadFactor = 4.0
        /// The recovery phase's p99 must be at most this many times the normal phase's.
        public var recoveryTolerance = 2.0
        public var consistency: ConsistencyLevel = .quorum
        public var valueSize = 100
        public var keys = 10_000
        public var timeoutMillis: UInt32 = 2000
        public var seed: UInt64 = 1
        public init() {}
    }

    /// One phase's numbers.
    public struct PhaseResult: Sendable, Encodable {
        public var name: String
        public var seconds: Double
        /// The rate the phase aimed for (requests per second).
        public var targetPerSecond: Double
        public var sent = 0
        public var admitted = 0
        /// Answered `overloaded` (code 7) by admission control.
        public var rejected = 0
        /// Refused `overloaded` although this client never had `probeInFlight` (the node's bound) requests
        /// outstanding while waiting for that answer: a refusal the bound does not explain. The node counts a
        /// request from its arrival to its reply, the client from before sending it to the reply's arrival, so
        /// the node's count is never above the client's; a refusal for the in-flight bound therefore always
        /// coincides with the client holding at least the bound outstanding. Bursts from a late generator
        /// (it catches up on requests that fell due while it slept) are explained, and not counted here.
        public var rejectedBelowBound = 0
        /// Any other error or no answer in time.
        public var failed = 0
        public var p50Millis = 0.0
        public var p99Millis = 0.0
        public var offeredPerSecond: Double { Double(sent) / max(seconds, 0.001) }
        public var admittedPerSecond: Double { Double(admitted) / max(seconds, 0.001) }

        enum CodingKeys: String, CodingKey {
            case name, seconds, targetPerSecond, sent, admitted, rejected, rejectedBelowBound, failed, p50Millis, p99Millis
            case offeredPerSecond, admittedPerSecond
        }

        public init(name: String, seconds: Double, targetPerSecond: Double) {
            self.name = name
            self.seconds = seconds
            self.targetPerSecond = targetPerSecond
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(targetPerSecond, forKey: .targetPerSecond)
            try c.encode(sent, forKey: .sent)
            try c.encode(admitted, forKey: .admitted)
            try c.encode(rejected, forKey: .rejected)
            try c.encode(failed, forKey: .failed)
            try c.encode(p50Millis, forKey: .p50Millis)
            try c.encode(p99Millis, forKey: .p99Millis)
            try c.encode(offeredPerSecond, forKey: .offeredPerSecond)
            try c.encode(admittedPerSecond, forKey: .admittedPerSecond)
        }
    }

    public struct Report: Sendable, Encodable {
        public var host: String
        public var configuration: Configuration
        /// The configuration's level, as the JSON shows it.
        public var consistency: String { "\(configuration.consistency)" }
        /// Admitted requests per second in the closed-loop probe.
        public var capacityPerSecond: Double
        public var phases: [PhaseResult]
        /// The recovery phase's p99 over the normal phase's.
        public var recoveryP99Ratio: Double
        /// `recoveryP99Ratio <= configuration.recoveryTolerance`.
        public var recovered: Bool
        public var loadBefore: Double
        public var loadAfter: Double

        public func phase(_ name: String) -> PhaseResult? { phases.first { $0.name == name } }

        enum CodingKeys: String, CodingKey {
            case host, consistency, connections, probeInFlight, phaseSeconds, settleSeconds, normalFraction, overloadFactor
            case recoveryTolerance, capacityPerSecond, phases, recoveryP99Ratio, recovered, loadBefore, loadAfter
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(host, forKey: .host)
            try c.encode(consistency, forKey: .consistency)
            try c.encode(configuration.connections, forKey: .connections)
            try c.encode(configuration.probeInFlight, forKey: .probeInFlight)
            try c.encode(configuration.phaseSeconds, forKey: .phaseSeconds)
            try c.encode(configuration.settleSeconds, forKey: .settleSeconds)
            try c.encode(configuration.normalFraction, forKey: .normalFraction)
            try c.encode(configuration.overloadFactor, forKey: .overloadFactor)
            try c.encode(configuration.recoveryTolerance, forKey: .recoveryTolerance)
            try c.encode(capacityPerSecond, forKey: .capacityPerSecond)
            try c.encode(phases, forKey: .phases)
            try c.encode(recoveryP99Ratio, forKey: .recoveryP99Ratio)
            try c.encode(recovered, forKey: .recovered)
            try c.encode(loadBefore, forKey: .loadBefore)
            try c.encode(loadAfter, forKey: .loadAfter)
        }

        /// The table printed by `tessera bench overload`.
        public var text: String {
            var lines = [
                "overload test against \(host): capacity \(Int(capacityPerSecond)) ops/s (closed loop, \(configuration.probeInFlight) outstanding), \(configuration.consistency), \(configuration.connections) connections",
                "phase       target/s  offered/s  admitted/s  overloaded  below bound  failed   p50 ms   p99 ms",
            ]
            for p in phases {
                lines.append(
                    p.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + Self.column(String(Int(p.targetPerSecond)), 10) + Self.column(String(Int(p.offeredPerSecond)), 11)
                        + Self.column(String(Int(p.admittedPerSecond)), 12) + Self.column(String(p.rejected), 12)
                        + Self.column(String(p.rejectedBelowBound), 13)
                        + Self.column(String(p.failed), 8) + Self.column(String(format: "%.2f", p.p50Millis), 9)
                        + Self.column(String(format: "%.2f", p.p99Millis), 9))
            }
            lines.append(
                "recovery p99 / normal p99 = \(String(format: "%.2f", recoveryP99Ratio)) (tolerance \(String(format: "%.1f", configuration.recoveryTolerance))): "
                    + (recovered ? "recovered" : "NOT recovered"))
            lines.append("load average (1 min) before / after: \(String(format: "%.2f", loadBefore)) / \(String(format: "%.2f", loadAfter))")
            return lines.joined(separator: "\n")
        }

        private static func column(_ text: String, _ width: Int) -> String {
            text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
        }
    }

    public let configuration: Configuration
    public let host: String
    public let port: Int

    public init(configuration: Configuration, host: String, port: Int) {
        self.configuration = configuration
        self.host = host
        self.port = port
    }

    /// Counts one phase's answers; completions arrive on the connections' event loops.
    final class Tally: Sendable {
        struct State {
            var histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
            var admitted = 0
            var rejected = 0
            var rejectedBelowBound = 0
            var failed = 0
            /// Requests sent and not answered yet.
            var outstanding = 0
            /// Sends after which `outstanding` was at least the bound.
            var boundReached = 0
            var answered: Int { admitted + rejected + failed }
        }
        let state = Mutex(State())
        let bound: Int

        init(bound: Int) { self.bound = bound }

        /// Before sending a request: what `record` needs to tell whether a refusal of it is explained.
        struct Sent: Sendable {
            /// This send itself brought `outstanding` to the bound.
            var atBound: Bool
            /// `boundReached` after this send: a later send that reaches the bound changes it.
            var boundReached: Int
        }

        func sending() -> Sent {
            state.withLock { state in
                state.outstanding += 1
                let atBound = state.outstanding >= bound
                if atBound { state.boundReached += 1 }
                return Sent(atBound: atBound, boundReached: state.boundReached)
            }
        }

        func record(_ result: Result<WireMessage, any Error>, micros: UInt64, sent: Sent) {
            state.withLock { state in
                state.outstanding -= 1
                switch result {
                case .success(.error(let error)) where error.code == .overloaded:
                    state.rejected += 1
                    if !sent.atBound && state.boundReached == sent.boundReached { state.rejectedBelowBound += 1 }
                case .success(.error): state.failed += 1
                case .success:
                    state.admitted += 1
                    _ = state.histogram.record(max(1, micros))
                case .failure: state.failed += 1
                }
            }
        }

        var answered: Int { state.withLock { $0.answered } }
    }

    /// Runs the probe and the three phases; `progress` gets a line per phase and every second.
    public func run(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Report {
        let loadBefore = loadAverage()
        var connections: [WireConnection] = []
        for _ in 0..<max(1, configuration.connections) {
            connections.append(
                try await WireConnection.connect(host: host, port: port, group: MultiThreadedEventLoopGroup.singleton))
        }
        defer { for connection in connections { connection.close() } }
        var random = SplitMix64(seed: configuration.seed)
        progress("overload: measuring capacity for \(configuration.probeSeconds) s (closed loop)")
        let capacity = try await probe(connections, &random)
        guard capacity > 0 else { throw TesseraError(.unavailable, "the node admitted no request in the capacity probe") }
        progress("overload: capacity \(Int(capacity)) ops/s")
        let normal = capacity * configuration.normalFraction
        var phases: [PhaseResult] = []
        for (name, rate) in [("normal", normal), ("overload", capacity * configuration.overloadFactor), ("recovery", normal)] {
            if name == "recovery" && configuration.settleSeconds > 0 {
                try await Task.sleep(for: .milliseconds(Int(configuration.settleSeconds * 1000)))
            }
            phases.append(try await phase(name, rate: rate, connections, &random, progress: progress))
        }
        let ratio = phases[2].p99Millis / max(phases[0].p99Millis, 0.001)
        return Report(
            host: "\(host):\(port)", configuration: configuration, capacityPerSecond: capacity, phases: phases,
            recoveryP99Ratio: ratio, recovered: ratio <= configuration.recoveryTolerance,
            loadBefore: loadBefore, loadAfter: loadAverage())
    }

    private func request(_ random: inout SplitMix64) -> WireMessage {
        let key = Array("overload-\(random.next() % UInt64(max(1, configuration.keys)))".utf8)
        if random.next() % 2 == 0 {
            return .get(key: key, consistency: configuration.consistency, timeoutMillis: configuration.timeoutMillis)
        }
        return .put(
            key: key, value: [UInt8](repeating: 0x6F, count: configuration.valueSize),
            consistency: configuration.consistency, timeoutMillis: configuration.timeoutMillis)
    }

    private var replyTimeout: TimeAmount { .milliseconds(Int64(configuration.timeoutMillis) + 2000) }

    /// Admitted requests per second with `probeInFlight` requests outstanding at all times.
    private func probe(_ connections: [WireConnection], _ random: inout SplitMix64) async throws -> Double {
        let seeds = (0..<max(1, configuration.probeInFlight)).map { _ in random.next() }
        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.probeSeconds * 1000))
        let start = ContinuousClock.now
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, seed) in seeds.enumerated() {
                let connection = connections[index % connections.count]
                group.addTask {
                    var random = SplitMix64(seed: seed)
                    var admitted = 0
                    while ContinuousClock.now < deadline {
                        let reply = try? await connection.response(to: request(&random), timeout: replyTimeout)
                        switch reply {
                        case .error?, nil: break
                        default: admitted += 1
                        }
                    }
                    return admitted
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(admitted) / WireFuzzer.seconds(ContinuousClock.now - start)
    }

    /// Sends at `rate` requests per second for `phaseSeconds` (open loop), then waits for the answers.
    private func phase(
        _ name: String, rate: Double, _ connections: [WireConnection], _ random: inout SplitMix64,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> PhaseResult {
        progress("overload: phase \(name) at \(Int(rate)) ops/s for \(configuration.phaseSeconds) s")
        let tally = Tally(bound: configuration.probeInFlight)
        let start = ContinuousClock.now
        let seconds = configuration.phaseSeconds
        let end = start + .milliseconds(Int(seconds * 1000))
        var sent = 0
        var lastLine = start
        while ContinuousClock.now < end {
            let elapsed = WireFuzzer.seconds(ContinuousClock.now - start)
            let due = min(Int(rate * elapsed), Int(rate * seconds))
            while sent < due {
                // Latency counts from when the request was due, not from when this loop got to it.
                let scheduled = start + .nanoseconds(Int64(Double(sent) / rate * 1e9))
                let message = request(&random)
                let ticket = tally.sending()
                let future = connections[sent % connections.count].request(message, timeout: replyTimeout)
                future.whenComplete { result in
                    tally.record(
                        result, micros: UInt64(max(0, WireFuzzer.seconds(ContinuousClock.now - scheduled) * 1e6)), sent: ticket)
                }
                sent += 1
            }
            if ContinuousClock.now - lastLine >= .seconds(1) {
                lastLine = ContinuousClock.now
                progress("overload: \(name) \(String(format: "%.0f", elapsed))/\(Int(seconds)) s, \(sent) sent, \(tally.answered) answered")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        let drainDeadline = ContinuousClock.now + .milliseconds(Int(configuration.timeoutMillis) + 3000)
        while tally.answered < sent && ContinuousClock.now < drainDeadline { try await Task.sleep(for: .milliseconds(5)) }
        return tally.state.withLock { state in
            var result = PhaseResult(name: name, seconds: seconds, targetPerSecond: rate)
            result.sent = sent
            result.admitted = state.admitted
            result.rejected = state.rejected
            result.rejectedBelowBound = state.rejectedBelowBound
            result.failed = state.failed + (sent - state.answered)
            if state.histogram.totalCount > 0 {
                result.p50Millis = Double(state.histogram.valueAtPercentile(50)) / 1000
                result.p99Millis = Double(state.histogram.valueAtPercentile(99)) / 1000
            }
            return result
        }
    }
}
