import ArgumentParser
import Foundation
import TesseraJepsen

/// `tessera-jepsen run`: one run, one report.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a cluster, drive clients under a nemesis schedule, check the history, write a report.",
        discussion: """
            Example: tessera-jepsen run --consistency QUORUM --nemesis kill,partition --time-limit 20
            Exit 0 when the verdict is what the mode promises (ONE and QUORUM: no acknowledged write lost; \
            linearizable modes: also a linearizable history), 1 otherwise, 2 when the run could not be made.
            """
    )

    @OptionGroup var cluster: ClusterFlags

    @Option(help: "Consistency mode: ONE, QUORUM (strict) or QUORUM-SLOPPY (sloppy quorums for writes).")
    var consistency: String = "QUORUM"

    @Option(help: "Faults: kill, pause, partition, skew, restart (comma-separated), none or all.")
    var nemesis: String = "none"

    @Option(name: .customLong("time-limit"), help: "Seconds of client workload before healing.")
    var timeLimit: Double = 20

    @Option(help: "Seed of every random choice (default: from the clock; printed).")
    var seed: UInt64?

    @Option(help: "Report folder (default: a new folder under the temporary directory).")
    var out: String?

    func run() async throws {
        try await runHarness {
            let seed = self.seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
            // Check the flags before re-executing, so bad input is reported without any namespace.
            let out = self.out ?? NSTemporaryDirectory() + "tessera-jepsen-\(consistency.lowercased())-seed\(seed)"
            var configuration = try cluster.configuration(
                out: out,
                mode: consistency,
                nemesis: nemesis,
                timeLimit: timeLimit,
                seed: seed
            )
            if let why = try cluster.enterNamespace() {
                if configuration.nemeses.contains(.partition) {
                    throw HarnessFailure(
                        "the partition nemesis needs root and its own network namespace (\(why)); "
                            + "run as root, or leave out partition"
                    )
                }
            }
            configuration.commandLine = CommandLine.arguments
            SignalHandling.install()
            let summary = try await JepsenRun.run(configuration)
            print(RunText.summary(summary))
            return summary.passed ? 0 : 1
        }
    }
}

/// The text printed after a run.
enum RunText {
    static func summary(_ s: RunSummary) -> String {
        var lines = [
            "verdict: \(s.verdictText)" + (s.violatingKey.map { " (first violation on key \($0))" } ?? ""),
            "ops: \(s.counts.invoked) invoked, \(s.counts.ok) ok, \(s.counts.fail) fail, \(s.counts.info) info",
            "set: \(s.acknowledgedAdds) acknowledged adds, \(s.lostAcknowledged) lost, "
                + "\(s.recoveredUnknown) unknown adds found",
            "faults: \(s.windows.count)" + (s.windows.isEmpty ? "" : " (" + s.windows.map(\.description).prefix(4).joined(separator: "; ") + (s.windows.count > 4 ? "; ..." : "") + ")"),
            "report: \(s.reportDirectory)",
        ]
        if s.passed {
            lines.append("\(s.mode) kept its promises")
        } else {
            lines += s.broken.map { "BROKEN: \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
