import Foundation
import Linearizability
import TesseraClient
import TesseraCore
import TesseraLocalCluster

#if canImport(Glibc)
    import Glibc
#endif

/// One harness run: start the cluster, run the workers and the nemesis for the time limit, heal, read every
/// key at ALL, check the history, write the report. See docs/fault-injection.md.
public enum JepsenRun {
    /// Runs `configuration`; throws `HarnessError` when the run could not be carried out (every process it
    /// started is stopped first). A verdict, good or bad, is a `RunSummary`.
    public static func run(_ configuration: RunConfiguration) async throws(HarnessError) -> RunSummary {
        try configuration.validate()
        let out = configuration.outputDirectory
        try makeReportDirectory(out)
        let partition = configuration.nemeses.contains(.partition)
        if partition {
            guard NetworkNamespace.isRoot else {
                throw .badInput(
                    "the partition nemesis needs root: it drops packets with iptables inside a network namespace "
                        + "the harness creates (run as root, or leave out partition)"
                )
            }
            guard NetworkNamespace.isInside else {
                throw .badInput("the partition nemesis runs only inside the harness's network namespace (--no-namespace was given)")
            }
            guard SystemCommand.find("iptables") != nil else {
                throw .badInput("the partition nemesis needs iptables: apt-get install -y iptables")
            }
        }
        let skew = configuration.nemeses.contains(.skew) ? try ClockSkew(directory: out + "/clocks") : nil
        let faketime = skew != nil ? try ClockSkew.findFaketime() : nil
        let firewall = partition ? Firewall() : nil
        if let firewall { try firewall.heal() }

        let hosts = (1...configuration.nodes).map(RunConfiguration.host(ofNode:))
        let launcher: ClusterLauncher
        do {
            let wrapper: (@Sendable (ClusterLauncher.Node) -> [String])?
            if let skew, let faketime {
                wrapper = { node in skew.wrapper(faketime: faketime, node: node.id.name) }
            } else {
                wrapper = nil
            }
            launcher = try ClusterLauncher(
                executable: configuration.tesseraExecutable,
                nodeCount: configuration.nodes,
                basePort: configuration.port,
                dataDirectory: out + "/nodes",
                replicationFactor: configuration.replication,
                extraServerArguments: skew != nil ? ["--max-clock-offset-ms", String(Self.skewedMaxClockOffsetMillis)] : [],
                hosts: hosts,
                wrapper: wrapper
            )
        } catch {
            throw .badInput(error.description)
        }
        RunningClusters.add(launcher)
        defer {
            launcher.stopAll(grace: .seconds(5))
            RunningClusters.remove(launcher)
            try? firewall?.heal()
        }
        do {
            try launcher.startAll()
            try await launcher.waitUntilReady(timeout: .seconds(60))
        } catch {
            launcher.stopAll(grace: .seconds(2))
            throw .runFailed("the cluster did not start: \(error)")
        }
        let recorder = HistoryRecorder()
        let workload = WorkloadGenerator(keys: configuration.keys, workloads: configuration.workloads)
        var options = TesseraClient.Options(
            defaultConsistency: configuration.mode.level,
            defaultTimeout: configuration.operationTimeout,
            connectionsPerNode: 2
        )
        // Writes carry a write id (IDEMPOTENT_WRITE): a write whose connection closed is resent to the same node,
        // which gives it the first attempt's version, so the resend is the same write, not a second one, and the
        // history records it as the one operation it is. If that node is gone or forgot the id, it is `info`.
        options.idempotentWrites = true
        options.retryWritesAfterConnectionLoss = true
        options.defaultQuorum = configuration.mode.quorumMode
        options.downNodeBackoff = .milliseconds(200)
        options.connectTimeout = .milliseconds(500)
        let client: TesseraClient
        do {
            client = try TesseraClient(seeds: launcher.addresses, options: options)
        } catch {
            throw .runFailed("cannot create the client: \(error)")
        }
        let nemesis = Nemesis(
            launcher: launcher,
            kinds: configuration.nemeses,
            firewall: firewall,
            skew: skew,
            shapes: configuration.partitionShapes,
            maxSkewSeconds: configuration.maxSkewSeconds,
            recorder: recorder
        )
        let deadline = ContinuousClock.now + configuration.timeLimit
        let interval = Duration.seconds(Double(configuration.concurrency) / configuration.rate)
        let progress = ProgressLine(enabled: configuration.showProgress)
        var nemesisError: HarnessError?
        await withTaskGroup(of: HarnessError?.self) { group in
            for index in 0..<configuration.concurrency {
                let worker = ClientWorker(
                    index: index,
                    concurrency: configuration.concurrency,
                    client: client,
                    recorder: recorder,
                    workload: workload,
                    level: configuration.mode.level,
                    operationTimeout: configuration.operationTimeout,
                    interval: interval
                )
                group.addTask {
                    await worker.run(until: deadline, seed: configuration.seed)
                    return nil
                }
            }
            group.addTask {
                do throws(HarnessError) {
                    try await nemesis.run(
                        until: deadline,
                        seed: configuration.seed,
                        faultDuration: configuration.faultDuration,
                        quietDuration: configuration.quietDuration
                    )
                    return nil
                } catch {
                    return error
                }
            }
            let ticker = Task {
                while !Task.isCancelled {
                    progress.update(recorder.counts, elapsed: recorder.now(), fault: nemesis.current)
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            for await error in group where error != nil { nemesisError = nemesisError ?? error }
            ticker.cancel()
        }
        progress.update(recorder.counts, elapsed: recorder.now(), fault: "healing")
        // Heal everything and let the cluster settle before the final reads.
        do {
            try await nemesis.healAll()
            try await launcher.waitUntilReady(timeout: .seconds(60))
        } catch {
            await client.shutdown()
            throw .runFailed("the cluster did not recover after healing: \(error)")
        }
        if let nemesisError {
            await client.shutdown()
            throw nemesisError
        }
        // No hint replay or anti-entropy exists yet: give in-flight replica writes and repairs a moment.
        try? await Task.sleep(for: .seconds(1))
        progress.update(recorder.counts, elapsed: recorder.now(), fault: "final reads")
        let finalReads = await readEverything(
            keys: workload.registerKeys + workload.addedSetKeys,
            client: client,
            recorder: recorder,
            firstProcess: 1_000_000,
            timeout: max(configuration.operationTimeout, .seconds(2))
        )
        await client.shutdown()
        progress.finish(recorder.counts, elapsed: recorder.now())
        launcher.stopAll(grace: .seconds(5))

        return try RunReport.write(
            configuration: configuration,
            recorder: recorder,
            windows: nemesis.windows,
            finalReads: finalReads,
            setKeys: workload.addedSetKeys
        )
    }

    /// The nodes' `--max-clock-offset-ms` under the skew nemesis: a day. The nemesis moves clocks by minutes, far
    /// beyond the default 500 ms guard, which would refuse every replica write and read repair carrying a version
    /// from the fast node (measured: hundreds of `fail`s and keys unreadable at ALL after healing, until the wall
    /// clocks catch up with the versions). The harness tests what skew does to version order, so it lifts the guard.
    static let skewedMaxClockOffsetMillis: UInt64 = 86_400_000

    /// Reads every key at ALL (several tries each), recording the reads; returns each key's final value
    /// (nil inside: the key is absent; a key missing from the map was never read successfully).
    static func readEverything(
        keys: [String],
        client: TesseraClient,
        recorder: HistoryRecorder,
        firstProcess: Int,
        timeout: Duration
    ) async -> [String: HistoryValue] {
        let lanes = 16
        let results = await withTaskGroup(of: [String: HistoryValue].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var found: [String: HistoryValue] = [:]
                    var process = firstProcess + lane
                    for key in stride(from: lane, to: keys.count, by: lanes).map({ keys[$0] }) {
                        for _ in 0..<5 {
                            let outcome = await ClientWorker.perform(
                                .read(key: key),
                                process: process,
                                client: client,
                                recorder: recorder,
                                level: .all,
                                timeout: timeout
                            )
                            if outcome.kind == .ok {
                                found[key] = outcome.value
                                break
                            }
                            if outcome.kind == .info { process += lanes }
                            try? await Task.sleep(for: .milliseconds(200))
                        }
                    }
                    return found
                }
            }
            var all: [String: HistoryValue] = [:]
            for await part in group { all.merge(part) { a, _ in a } }
            return all
        }
        return results
    }

    private static func makeReportDirectory(_ path: String) throws(HarnessError) {
        if FileManager.default.fileExists(atPath: path + "/history.jsonl") {
            throw .badInput("\(path) already holds a run's history; pick another --out")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .badInput("cannot create the report folder \(path): \(error.localizedDescription)")
        }
    }
}
