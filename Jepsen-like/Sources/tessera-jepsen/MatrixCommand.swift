import ArgumentParser
import Foundation
import TesseraJepsen

/// `tessera-jepsen matrix`: every mode against every nemesis, short runs, one table in docs/consistency.md.
struct MatrixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Run every consistency mode against every nemesis and write the table into docs/consistency.md.",
        discussion: """
            Cells: modes ONE, QUORUM, QUORUM-SLOPPY and LINEARIZABLE against nemeses none, kill, pause, partition, skew, restart, partition+skew together and all mixed. \
            Exit 1 when a mode that promises linearizability is not linearizable somewhere, or when a weak mode \
            is caught nowhere (then the harness is too weak), or when a cell loses acknowledged writes.
            """
    )

    @OptionGroup var cluster: ClusterFlags

    @Option(name: .customLong("time-limit"), help: "Seconds of workload per cell.")
    var timeLimit: Double = 15

    @Option(help: "Seed of the first cell (each cell adds its index).")
    var seed: UInt64 = 1

    @Option(help: "Folder for the cells' reports.")
    var out: String?

    @Option(help: "The page whose matrix table is replaced (between the jepsen-matrix markers).")
    var docs: String = "docs/consistency.md"

    @Option(help: "Modes to run (comma-separated; default all).")
    var modes: String = "all"

    static let nemesisSets = ["none", "kill", "pause", "partition", "skew", "restart", "partition,skew", "all"]

    func run() async throws {
        try await runHarness {
            let base = self.out ?? NSTemporaryDirectory() + "tessera-jepsen-matrix-seed\(seed)"
            let modeNames = modes == "all" ? ConsistencyMode.allCases.map(\.rawValue) : modes.split(separator: ",").map(String.init)
            // Check every cell's flags before anything starts.
            var cells: [RunConfiguration] = []
            for (m, mode) in modeNames.enumerated() {
                for (n, nemesis) in Self.nemesisSets.enumerated() {
                    // Partition and skew together catch QUORUM only when a write lands in the short gap
                    // before the other side sees the drifting clock's versions: those cells run three times
                    // as long.
                    let composed = nemesis == "all" || nemesis.contains("partition") && nemesis.contains("skew")
                    var c = try cluster.configuration(
                        out: base + "/\(mode.lowercased())-\(nemesis)",
                        mode: mode,
                        nemesis: nemesis,
                        timeLimit: composed ? timeLimit * 3 : timeLimit,
                        seed: seed + UInt64(m * Self.nemesisSets.count + n)
                    )
                    c.showProgress = false
                    cells.append(c)
                }
            }
            guard FileManager.default.fileExists(atPath: docs) else {
                throw HarnessFailure("cannot find \(docs): run from the repository root or pass --docs")
            }
            if let why = try cluster.enterNamespace() {
                throw HarnessFailure("the matrix includes partitions and needs root and its own namespace (\(why))")
            }
            SignalHandling.install()
            var rows: [MatrixRow] = []
            for cell in cells {
                FileHandleStderr.write("matrix: \(cell.mode) nemesis \(Self.name(cell.nemeses)) ... ")
                do {
                    let summary = try await JepsenRun.run(cell)
                    FileHandleStderr.write("\(summary.verdictText), \(summary.counts.ok) ok, \(summary.lostAcknowledged) lost\n")
                    rows.append(MatrixRow(configuration: cell, summary: summary, error: nil))
                } catch {
                    FileHandleStderr.write("run failed: \(error)\n")
                    rows.append(MatrixRow(configuration: cell, summary: nil, error: "\(error)"))
                }
            }
            let table = MatrixTable.render(rows, timeLimit: timeLimit, reportRoot: base)
            try MatrixTable.replace(in: docs, with: table)
            print(table)
            let problems = MatrixTable.problems(rows)
            for problem in problems { FileHandleStderr.write("matrix: \(problem)\n") }
            return problems.isEmpty ? 0 : 1
        }
    }

    static func name(_ kinds: [NemesisKind]) -> String {
        kinds.isEmpty ? "none" : kinds.count == NemesisKind.allCases.count ? "all" : kinds.map(\.rawValue).joined(separator: ",")
    }
}
