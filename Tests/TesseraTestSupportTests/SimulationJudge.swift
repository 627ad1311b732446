import Foundation
import Linearizability
import TesseraCore
import TesseraTestSupport

/// Runs seeds through the simulator and judges each history with the checker; prints the command that
/// replays a failing seed.
enum SimulationJudge {
    /// `TESSERA_SIM_SEED=<n>` runs only that seed; `TESSERA_SIM_SEEDS=<count>` changes how many run.
    static func seeds(defaultCount: Int, base: UInt64) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["TESSERA_SIM_SEED"], let seed = UInt64(text) { return [seed] }
        let count = environment["TESSERA_SIM_SEEDS"].flatMap(Int.init) ?? defaultCount
        return (0..<UInt64(count)).map { base &+ $0 }
    }

    static func replayCommand(seed: UInt64, test: String) -> String {
        "TESSERA_SIM_SEED=\(seed) swift test --filter \(test)"
    }

    static func verdict(_ result: SimulationResult) throws -> CheckResult {
        let parsed = try HistoryParser.parse(text: result.jsonl, format: .jsonl, fileName: "seed-\(result.seed).jsonl")
        let history = try History(events: parsed.events)
        return try LinearizabilityChecker.check(
            history,
            options: CheckOptions(model: .register, timeout: .seconds(10), parallelism: 1)
        )
    }

    /// Writes a failing history next to the test's temp files and returns its path.
    static func save(_ result: SimulationResult) -> String {
        let path = NSTemporaryDirectory() + "tessera-sim-seed-\(result.seed).jsonl"
        try? result.jsonl.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
