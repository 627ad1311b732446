import Foundation
import Linearizability

/// Checks a finished run's history and writes its report folder:
///
/// - `history.jsonl`: every invocation and completion (design.md section 6), replayable with `tessera check`;
/// - `result.txt`, `result.json`: the checker's verdict and counterexample; `timeline.html`: its timeline of
///   the register keys (and of any violating key);
/// - `chart.svg`: throughput and latency over time with the nemesis windows shaded;
/// - `summary.json`: verdict, counts, lost acknowledged writes, the windows, whether the mode's promise held;
/// - `command.txt`: the exact command line and seed; `nodes/n<i>.log`: each node's log.
enum RunReport {
    static func write(
        configuration: RunConfiguration,
        recorder: HistoryRecorder,
        windows: [NemesisWindow],
        finalReads: [String: HistoryValue],
        setKeys: [String]
    ) throws(HarnessError) -> RunSummary {
        let out = configuration.outputDirectory
        let events = recorder.events
        try save(out + "/history.jsonl", recorder.jsonl())
        try save(
            out + "/command.txt",
            configuration.commandLine.map(shellQuoted).joined(separator: " ") + "\n# seed \(configuration.seed)\n"
        )

        let history: History
        do {
            history = try History(events: events)
        } catch {
            throw .runFailed("the recorded history is malformed (a harness bug): \(error)")
        }
        let options = CheckOptions(model: .register, initialValue: .null, splitByKey: true, timeout: .seconds(120))
        let result: CheckResult
        do {
            result = try LinearizabilityChecker.check(history, options: options)
        } catch {
            throw .runFailed("the checker rejected the history (a harness bug): \(error)")
        }
        try save(out + "/result.txt", result.renderText(name: out + "/history.jsonl"))
        try save(out + "/result.json", result.renderJSON(file: out + "/history.jsonl") + "\n")
        let shown = result.timelines(name: "").filter { timeline in
            guard let key = timeline.key else { return true }
            return key.hasPrefix("r") || timeline.verdict != "linearizable"
        }
        try save(out + "/timeline.html", HTMLTimeline.render(shown, title: "tessera-jepsen: \(out)"))
        try save(
            out + "/chart.svg",
            ThroughputChart.render(
                completions: recorder.completions,
                windows: windows,
                title: "\(configuration.mode) nemesis \(nemesisName(configuration.nemeses)) seed \(configuration.seed)"
            )
        )

        // The set workload: acknowledged adds the final read did not return.
        var acknowledged = Set<String>(), unknown = Set<String>()
        for event in events where event.f == "write" && event.key?.hasPrefix("s") == true {
            if event.kind == .ok { acknowledged.insert(event.key!) }
            if event.kind == .info { unknown.insert(event.key!) }
        }
        var lost = 0, recovered = 0, unread = 0
        for key in setKeys {
            guard let value = finalReads[key] else {
                if acknowledged.contains(key) { unread += 1 }
                continue
            }
            if acknowledged.contains(key) && value == .null { lost += 1 }
            if unknown.contains(key) && value != .null { recovered += 1 }
        }
        unread += configuration.workloads.contains(.register)
            ? (0..<configuration.keys).filter { finalReads[WorkloadGenerator.registerKey($0)] == nil }.count : 0

        var broken: [String] = []
        if configuration.mode.promisesLinearizability && result.verdict != .linearizable {
            broken.append("\(configuration.mode) promises a linearizable history; the checker says \(Self.words(result.verdict))")
        }
        if lost > 0 { broken.append("\(lost) acknowledged set adds are lost") }
        if unread > 0 { broken.append("\(unread) keys could not be read at ALL after healing") }
        let summary = RunSummary(
            mode: configuration.mode,
            nemeses: configuration.nemeses,
            seed: configuration.seed,
            verdict: result.verdict,
            counts: recorder.counts,
            lostAcknowledged: lost,
            acknowledgedAdds: acknowledged.count,
            recoveredUnknown: recovered,
            unreadKeys: unread,
            violatingKey: result.keys.first { $0.verdict == .notLinearizable }?.key,
            windows: windows,
            reportDirectory: out,
            broken: broken
        )
        try save(out + "/summary.json", summary.json)
        return summary
    }

    static func words(_ verdict: Verdict) -> String {
        switch verdict {
        case .linearizable: return "linearizable"
        case .notLinearizable: return "not linearizable"
        case .unknown: return "unknown"
        }
    }

    static func nemesisName(_ kinds: [NemesisKind]) -> String {
        kinds.isEmpty ? "none" : kinds.map(\.rawValue).joined(separator: ",")
    }

    static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:+".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func save(_ path: String, _ text: String) throws(HarnessError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw .runFailed("cannot write \(path)")
        }
    }
}
