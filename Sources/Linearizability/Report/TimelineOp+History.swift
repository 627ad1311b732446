extension TimelineOp {
    /// The operations of a history, ready to draw: each invocation paired with the next completion of the same
    /// process. Times are the events' `time`, or their index in `events` when a time is missing. `info`
    /// completions and invocations that never complete are open-ended (`end` nil, status `.info`).
    /// `linearizedAt` and `isFailing` are left for the checker to fill in.
    public static func fromHistory(_ events: [HistoryEvent]) -> [TimelineOp] {
        var ops: [TimelineOp] = []
        var open: [Int: Int] = [:]  // process -> index in ops
        for (index, event) in events.enumerated() {
            let time = event.time ?? Int64(index)
            switch event.kind {
            case .invoke:
                open[event.process] = ops.count
                ops.append(
                    TimelineOp(
                        process: event.process,
                        start: time,
                        end: nil,
                        label: label(f: event.f, key: event.key, value: event.value),
                        result: "never completed",
                        status: .info
                    )
                )
            case .ok, .fail, .info:
                guard let i = open.removeValue(forKey: event.process) else { continue }
                switch event.kind {
                case .ok:
                    ops[i].end = time
                    ops[i].status = .ok
                    ops[i].result = result(f: event.f, value: event.value)
                case .fail:
                    ops[i].end = time
                    ops[i].status = .fail
                    ops[i].result = "fail"
                default:
                    ops[i].result = event.value == .null ? "unknown" : "unknown (\(event.value))"
                }
            }
        }
        return ops
    }

    /// "write 3", "cas 1->4", "read", "put k \"x\"".
    public static func label(f: String, key: String?, value: HistoryValue) -> String {
        var text = f
        if let key {
            text += " " + key
        }
        switch value {
        case .null:
            break
        case .list(let items) where f == "cas" && items.count == 2:
            text += " \(items[0])->\(items[1])"
        default:
            text += " \(value)"
        }
        return text
    }

    /// What an `ok` completion returned: the value for reads, "ok" when a write's value is just echoed.
    public static func result(f: String, value: HistoryValue) -> String {
        switch f {
        case "read", "get", "txn": return value.description
        default: return value == .null ? "ok" : "ok \(value)"
        }
    }
}
