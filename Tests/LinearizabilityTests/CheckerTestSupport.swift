import Linearizability
import Testing


/// Builds histories line by line: `h.invoke(0, "write", 1); h.ok(0, "write", 1)`.
struct CheckerTestHistory {
    var events: [HistoryEvent] = []

    mutating func add(_ kind: HistoryEvent.Kind, _ p: Int, _ f: String, _ v: HistoryValue, key: String? = nil) {
        events.append(HistoryEvent(process: p, kind: kind, f: f, key: key, value: v, line: events.count + 1))
    }
    mutating func invoke(_ p: Int, _ f: String, _ v: HistoryValue = .null, key: String? = nil) {
        add(.invoke, p, f, v, key: key)
    }
    mutating func ok(_ p: Int, _ f: String, _ v: HistoryValue = .null, key: String? = nil) {
        add(.ok, p, f, v, key: key)
    }
    mutating func fail(_ p: Int, _ f: String, _ v: HistoryValue = .null, key: String? = nil) {
        add(.fail, p, f, v, key: key)
    }
    mutating func info(_ p: Int, _ f: String, _ v: HistoryValue = .null, key: String? = nil) {
        add(.info, p, f, v, key: key)
    }
    /// A complete operation with nothing concurrent to it.
    mutating func op(
        _ p: Int,
        _ f: String,
        _ arg: HistoryValue = .null,
        _ result: HistoryValue? = nil,
        key: String? = nil
    ) {
        invoke(p, f, arg, key: key)
        ok(p, f, result ?? arg, key: key)
    }

    func check(
        _ model: ModelKind,
        split: Bool = true,
        nilReadIsUnknown: Bool = false,
        initial: HistoryValue = .null,
        parallelism: Int = 1
    ) throws -> CheckResult {
        var options = CheckOptions(
            model: model,
            initialValue: initial,
            nilReadIsUnknown: nilReadIsUnknown,
            splitByKey: split,
            parallelism: parallelism
        )
        let result = try LinearizabilityChecker.check(History(events: events), options: options)
        // Every known history also goes through the search alone: the read-mapping fast path (where it applies)
        // must give the same verdict, key by key.
        options.readMappingFastPath = false
        let searched = try LinearizabilityChecker.check(History(events: events), options: options)
        #expect(result.verdict == searched.verdict, "fast path and search disagree on \(events)")
        return result
    }
}
