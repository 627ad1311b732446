public import Linearizability

/// The outcome of one run: the verdict, the counts, the lost writes, and whether that is what the mode
/// promises. Written to summary.json in the report folder.
public struct RunSummary: Sendable {
    public var mode: ConsistencyMode
    public var nemeses: [NemesisKind]
    public var seed: UInt64
    public var verdict: Verdict
    public var counts: HistoryRecorder.Counts
    /// Set adds acknowledged (ok) whose element the final read at ALL did not return.
    public var lostAcknowledged: Int
    /// Set adds acknowledged in total.
    public var acknowledgedAdds: Int
    /// Set adds that completed as info (unknown) and were found by the final read anyway.
    public var recoveredUnknown: Int
    /// Keys whose final read at ALL never succeeded (their fate is unverified).
    public var unreadKeys: Int
    /// The key of the first violation, when not linearizable.
    public var violatingKey: String?
    public var windows: [NemesisWindow]
    public var reportDirectory: String
    /// Why the run does not match its mode's promise (empty: it does).
    public var broken: [String]

    /// True when the run kept every promise of its mode.
    public var passed: Bool { broken.isEmpty }

    /// The verdict in words.
    public var verdictText: String { RunReport.words(verdict) }

    public var json: String {
        func q(_ s: String) -> String { JSONText.quoted(s) }
        let windowItems = windows.map {
            "{\"kind\":\(q($0.kind.rawValue)),\"description\":\(q($0.description)),\"start\":\($0.startNanos),\"end\":\($0.endNanos.map(String.init) ?? "null")}"
        }
        return """
            {"mode":\(q(mode.rawValue)),"nemeses":[\(nemeses.map { q($0.rawValue) }.joined(separator: ","))],\
            "seed":\(seed),"verdict":\(q(verdictText)),"invoked":\(counts.invoked),"ok":\(counts.ok),\
            "fail":\(counts.fail),"info":\(counts.info),"acknowledgedAdds":\(acknowledgedAdds),\
            "lostAcknowledged":\(lostAcknowledged),"recoveredUnknown":\(recoveredUnknown),"unreadKeys":\(unreadKeys),\
            "violatingKey":\(violatingKey.map(q) ?? "null"),"passed":\(passed),\
            "broken":[\(broken.map(q).joined(separator: ","))],"windows":[\(windowItems.joined(separator: ","))]}

            """
    }
}
