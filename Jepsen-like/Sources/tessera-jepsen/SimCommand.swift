import ArgumentParser
import TesseraJepsen

/// `tessera-jepsen sim`: thousands of simulated histories, judged by the checker.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the deterministic cluster simulator over many seeds and check every history.",
        discussion: """
            Each seed draws its own faults (from --nemesis: partition, kill/restart = crashes, pause = long \
            delays, skew = clock offsets) plus drops, duplicates and disk errors, and runs the production \
            coordinators over a simulated network. Exit 0 when every seed kept the mode's promises (no \
            acknowledged write lost; linearizable modes: every history linearizable), 1 otherwise. \
            Replay one seed with --seeds 1 --first-seed N.
            """
    )

    @Option(help: "How many seeds.")
    var seeds: Int = 1000

    @Option(name: .customLong("first-seed"), help: "The first seed.")
    var firstSeed: UInt64 = 1

    @Option(help: "Consistency mode: ONE or QUORUM.")
    var consistency: String = "QUORUM"

    @Option(help: "Faults to draw from: kill, pause, partition, skew, restart (comma-separated), none or all.")
    var nemesis: String = "kill,partition"

    @Option(name: .customLong("max-skew-ms"), help: "Largest simulated clock offset, in milliseconds.")
    var maxSkewMillis: UInt64 = 50

    func run() throws {
        var passed = false
        do throws(HarnessError) {
            guard (1...10_000_000).contains(seeds) else { throw .badInput("--seeds is \(seeds); use 1 to 10000000") }
            let mode = try ConsistencyMode(parsing: consistency)
            let nemeses = try NemesisKind.parseList(nemesis)
            let progress = ProgressPrinter()
            let summary = try SimulationRun.run(
                seeds: seeds,
                firstSeed: firstSeed,
                mode: mode,
                nemeses: nemeses,
                maxSkewMillis: maxSkewMillis
            ) { progress.update($0) }
            progress.done()
            print(
                "\(summary.seeds) seeds in \(String(format: "%.1f", summary.seconds)) s "
                    + "(\(Int(Double(summary.seeds) / max(summary.seconds, 0.001) * 60)) histories a minute): "
                    + "\(summary.linearizable) linearizable, \(summary.notLinearizable.count) not, "
                    + "\(summary.unknown.count) unknown; \(summary.lostWrites.count) seeds lost acknowledged writes; "
                    + "ops \(summary.ok) ok, \(summary.fail) fail, \(summary.info) info"
            )
            if let first = summary.notLinearizable.first {
                print("first seed not linearizable: \(first) (replay: tessera-jepsen sim --seeds 1 --first-seed \(first) "
                    + "--consistency \(mode) --nemesis \(nemesis))")
            }
            if let first = summary.lostWrites.first { print("first seed that lost an acknowledged write: \(first)") }
            print(summary.passed ? "\(mode) kept its promises" : "BROKEN: \(mode) did not keep its promises")
            passed = summary.passed
        } catch {
            FileHandleStderr.write("tessera-jepsen: \(error.description)\n")
            throw ExitCode(2)
        }
        if !passed { throw ExitCode(1) }
    }
}

/// The sim's progress line: seeds done and violations so far, every 100 seeds.
struct ProgressPrinter {
    func update(_ s: SimulationRun.Summary) {
        guard s.seeds % 100 == 0 else { return }
        FileHandleStderr.write("\(s.seeds) seeds, \(s.notLinearizable.count) not linearizable, \(s.lostWrites.count) lost writes\n")
    }
    func done() {}
}
