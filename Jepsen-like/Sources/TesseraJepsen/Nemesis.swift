import Synchronization
import TesseraCore
import TesseraLocalCluster

/// Injects and heals the faults of a run, one at a time, on a seeded schedule: quiet, fault, heal, quiet...
///
/// Every fault is real: SIGKILL and restart on the same data directory, SIGSTOP/SIGCONT, iptables drops
/// between node addresses, libfaketime offsets, SIGTERM-and-restart of every node in turn. `healAll`
/// undoes whatever is in force (used at the end and when the run fails).
final class Nemesis: Sendable {
    private let launcher: ClusterLauncher
    private let kinds: [NemesisKind]
    private let firewall: Firewall?
    private let skew: ClockSkew?
    private let shapes: [PartitionShape]
    private let maxSkewSeconds: Int
    private let recorder: HistoryRecorder

    private struct State {
        var windows: [NemesisWindow] = []
        var killed: Set<String> = []
        var paused: Set<String> = []
        var partitioned = false
        var skewed: Set<String> = []
        /// Clock drifts in force: node -> seconds of offset gained per real second.
        var drifts: [String: Double] = [:]
        var current: String?
        /// Set while a partition and a clock skew are injected together: the nodes on one side of the bridge,
        /// whose clocks the skew then moves ahead.
        var targetSide: [String]?
        /// The largest clock offset set so far: hybrid logical clocks never go back, so once a node has seen
        /// versions from a clock that far ahead, only a larger offset makes a difference again.
        var highestOffset: Double = 0
    }

    private let state = Mutex(State())

    init(
        launcher: ClusterLauncher,
        kinds: [NemesisKind],
        firewall: Firewall?,
        skew: ClockSkew?,
        shapes: [PartitionShape],
        maxSkewSeconds: Int,
        recorder: HistoryRecorder
    ) {
        self.launcher = launcher
        self.kinds = kinds
        self.firewall = firewall
        self.skew = skew
        self.shapes = shapes
        self.maxSkewSeconds = maxSkewSeconds
        self.recorder = recorder
    }

    var windows: [NemesisWindow] { state.withLock { $0.windows } }
    /// The fault in force, for the progress line.
    var current: String? { state.withLock { $0.current } }

    private var names: [String] { launcher.nodes.map(\.id.name) }

    /// Runs the schedule until `deadline`; each fault lasts a draw from `faultDuration` seconds, with a quiet
    /// draw from `quietDuration` before it. Errors end the schedule (the caller heals and reports).
    func run(
        until deadline: ContinuousClock.Instant,
        seed: UInt64,
        faultDuration: ClosedRange<Double>,
        quietDuration: ClosedRange<Double>
    ) async throws(HarnessError) {
        guard !kinds.isEmpty else { return }
        var random = SplitMix64(seed: seed ^ 0x6E65_6D65_7369_7321)
        func draw(_ range: ClosedRange<Double>) -> Duration {
            .milliseconds(Int64((range.lowerBound + (range.upperBound - range.lowerBound) * Double(random.below(1001)) / 1000) * 1000))
        }
        while ContinuousClock.now < deadline {
            if await sleep(draw(quietDuration), before: deadline) { break }
            // One fault, or (half the time, when several kinds are enabled) two at once, as Jepsen composes
            // nemeses: a clock drift is far more dangerous while the drifting node cannot reach some peers.
            var batch = [kinds[random.below(kinds.count)]]
            let partners = kinds.filter { $0 != batch[0] && $0 != .restart && batch[0] != .restart }
            // Exactly two kinds enabled (e.g. partition,skew): always together; more: half the time.
            if !partners.isEmpty && (kinds.count == 2 || random.below(2) == 0) {
                batch.append(partners[random.below(partners.count)])
            }
            // Partition and skew together are targeted: a bridge partition, and the clocks of one side moved
            // ahead, so that side's versions win over later writes the other side coordinates before it sees
            // them (last write wins by version). The partition goes first.
            let targeted = batch.contains(.partition) && batch.contains(.skew) && shapes.contains(.bridge)
            if targeted { batch = [.partition, .skew] }
            state.withLock { $0.targetSide = targeted ? [] : nil }
            let hold = draw(faultDuration)
            var opened: [(NemesisKind, Int)] = []
            for kind in batch {
                let description = try await inject(kind, random: &random, hold: hold)
                let index = state.withLock { state -> Int in
                    state.windows.append(
                        NemesisWindow(kind: kind, description: description, startNanos: recorder.now(), endNanos: nil)
                    )
                    state.current = state.windows.suffix(opened.count + 1).map(\.description).joined(separator: " + ")
                    return state.windows.count - 1
                }
                opened.append((kind, index))
            }
            if batch != [.restart] {
                _ = await holdFault(hold, before: deadline)
            }
            for (kind, index) in opened.reversed() {
                try await heal(kind)
                state.withLock { $0.windows[index].endNanos = recorder.now() }
            }
            state.withLock { $0.current = nil }
        }
    }

    /// Sleeps `duration` or until `deadline`; true if the deadline came first.
    private func sleep(_ duration: Duration, before deadline: ContinuousClock.Instant) async -> Bool {
        let end = min(ContinuousClock.now + duration, deadline)
        try? await Task.sleep(until: end, clock: .continuous)
        return ContinuousClock.now >= deadline
    }

    /// Holds the fault for `duration` (or to the deadline), moving drifting clocks every 250 ms.
    private func holdFault(_ duration: Duration, before deadline: ContinuousClock.Instant) async -> Bool {
        let end = min(ContinuousClock.now + duration, deadline)
        while ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(250))
            let drifts = state.withLock { $0.drifts }
            if let skew {
                for (node, rate) in drifts { try? skew.set(node, seconds: skew.offset(node) + rate / 4) }
            }
        }
        return ContinuousClock.now >= deadline
    }

    /// Picks 1 to floor(n/2) nodes (at least 1).
    private func pickMinority(_ random: inout SplitMix64) -> [String] {
        var order = names
        order.shuffle(using: &random)
        return Array(order.prefix(1 + random.below(max(1, names.count / 2))))
    }

    private func inject(_ kind: NemesisKind, random: inout SplitMix64, hold: Duration) async throws(HarnessError)
        -> String
    {
        switch kind {
        case .kill:
            let victims = pickMinority(&random)
            for name in victims { try control { () throws(ClusterLauncherError) in _ = try launcher.kill(name) } }
            state.withLock { $0.killed.formUnion(victims) }
            return "kill -9 " + victims.joined(separator: ",")
        case .pause:
            let victims = pickMinority(&random)
            for name in victims { try control { () throws(ClusterLauncherError) in _ = try launcher.pause(name) } }
            state.withLock { $0.paused.formUnion(victims) }
            return "SIGSTOP " + victims.joined(separator: ",")
        case .partition:
            guard let firewall else { throw .badInput("the partition nemesis needs the harness's network namespace") }
            let targeted = state.withLock { $0.targetSide != nil }
            let shape = targeted ? PartitionShape.bridge : shapes[random.below(shapes.count)]
            let drawn = shape.draw(nodes: names.count, random: &random)
            if targeted {
                let side = Set(drawn.cut.map(\.0)).sorted().map { names[$0] }
                state.withLock { $0.targetSide = side }
            }
            let hosts = launcher.nodes.map(\.address.host)
            try firewall.cut(drawn.cut.map { (hosts[$0.0], hosts[$0.1]) })
            state.withLock { $0.partitioned = true }
            return "partition: " + drawn.description
        case .skew:
            guard let skew else { throw .badInput("the skew nemesis needs the nodes started under faketime") }
            var order = names
            order.shuffle(using: &random)
            let side = state.withLock { $0.targetSide }.flatMap { $0.isEmpty ? nil : $0 }
            let victims = side ?? Array(order.prefix(1 + random.below(max(1, names.count - 1))))
            var parts: [String] = side == nil ? [] : ["targeted at one side of the bridge:"]
            let floor = side != nil ? state.withLock { $0.highestOffset } : 0
            for name in victims {
                let direction: Double = side != nil || random.below(2) == 0 ? 1 : -1
                let seconds = floor + Double(1 + random.below(maxSkewSeconds)) * direction
                state.withLock { $0.highestOffset = max($0.highestOffset, seconds) }
                try skew.set(name, seconds: seconds)
                if side != nil || random.below(3) == 0 {
                    let rate = Double(1 + random.below(10)) * (side != nil || random.below(2) == 0 ? 1 : -1)
                    state.withLock { $0.drifts[name] = rate }
                    parts.append("\(name) \(Int(seconds))s drifting \(Int(rate))s/s")
                } else {
                    parts.append("\(name) \(Int(seconds))s")
                }
            }
            state.withLock { $0.skewed.formUnion(victims) }
            // A node rebooting with a bad clock: its hybrid logical clock starts again from its wall clock, so
            // a clock behind real time gives its next writes versions older than what the cluster holds.
            let behind = victims.filter { skew.offset($0) < 0 }
            if !behind.isEmpty && random.below(2) == 0 {
                for name in behind {
                    try control { () throws(ClusterLauncherError) in try launcher.stop(name, grace: .seconds(5)) }
                    try control { () throws(ClusterLauncherError) in try launcher.start(name) }
                }
                do {
                    try await launcher.waitUntilReady(behind, timeout: .seconds(30))
                } catch {
                    throw .runFailed("clock skew: \(behind.joined(separator: ",")) did not restart: \(error)")
                }
                parts.append("restarted " + behind.joined(separator: ","))
            }
            return "clock skew " + parts.joined(separator: ", ")
        case .restart:
            // Rolling restart: the whole fault is the restart itself, node after node.
            state.withLock { $0.current = "rolling restart" }
            for name in names {
                try control { () throws(ClusterLauncherError) in try launcher.stop(name, grace: .seconds(5)) }
                try control { () throws(ClusterLauncherError) in try launcher.start(name) }
                do {
                    try await launcher.waitUntilReady([name], timeout: .seconds(30))
                } catch {
                    throw .runFailed("rolling restart: \(name) did not come back: \(error)")
                }
            }
            return "rolling restart " + names.joined(separator: ",")
        }
    }

    private func heal(_ kind: NemesisKind) async throws(HarnessError) {
        switch kind {
        case .kill:
            let victims = state.withLock { state -> Set<String> in
                defer { state.killed = [] }
                return state.killed
            }
            for name in victims.sorted() where !launcher.isRunning(name) {
                try control { () throws(ClusterLauncherError) in try launcher.start(name) }
            }
        case .pause:
            let victims = state.withLock { state -> Set<String> in
                defer { state.paused = [] }
                return state.paused
            }
            for name in victims.sorted() {
                try control { () throws(ClusterLauncherError) in _ = try launcher.resume(name) }
            }
        case .partition:
            try firewall?.heal()
            state.withLock { $0.partitioned = false }
        case .skew:
            let victims = state.withLock { state -> Set<String> in
                defer {
                    state.skewed = []
                    state.drifts = [:]
                }
                return state.skewed
            }
            if let skew {
                let reached = victims.map { skew.offset($0) }.max() ?? 0
                state.withLock { $0.highestOffset = max($0.highestOffset, reached) }
            }
            for name in victims.sorted() { try skew?.set(name, seconds: 0) }
        case .restart:
            break
        }
    }

    /// Undoes every fault in force: resumes, heals the network, resets clocks, starts every stopped node.
    func healAll() async throws(HarnessError) {
        for kind in NemesisKind.allCases { try await heal(kind) }
        for node in launcher.nodes where !launcher.isRunning(node.id.name) {
            try control { () throws(ClusterLauncherError) in try launcher.start(node.id.name) }
        }
        state.withLock { state in
            let now = recorder.now()
            for i in state.windows.indices where state.windows[i].endNanos == nil { state.windows[i].endNanos = now }
            state.current = nil
        }
    }

    private func control(_ body: () throws(ClusterLauncherError) -> Void) throws(HarnessError) {
        do { try body() } catch { throw .runFailed(error.description) }
    }
}
