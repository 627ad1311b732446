/// A history as operations: every completion paired with the latest invocation of the same process.
///
/// Pairing rules (Jepsen's): a process has at most one operation outstanding; a completion (`ok`, `fail`, `info`)
/// answers the latest invocation of its process; an invocation never answered is `pending` (same meaning as
/// `info`). After an `info` completion a process may invoke again. Events are taken in the input order, which is
/// the real-time order; if every event carries a `time` and the times are not already in order, the events are
/// ordered by time first (stable, so ties keep the input order).
public struct History: Sendable {
    /// The operations, ordered by invocation.
    public var operations: [Operation]
    /// The number of events the history was built from.
    public var eventCount: Int

    /// Pairs `events` into operations.
    /// - Throws: ``HistoryError`` listing every event that cannot be paired, with its line and the reason.
    public init(events: [HistoryEvent]) throws(HistoryError) {
        var ordered = events
        if !events.isEmpty, events.allSatisfy({ $0.time != nil }) {
            var sorted = true
            for i in 1..<max(events.count, 1) where events[i].time! < events[i - 1].time! {
                sorted = false
                break
            }
            if !sorted {
                ordered = events.enumerated().sorted { a, b in
                    a.element.time! != b.element.time! ? a.element.time! < b.element.time! : a.offset < b.offset
                }.map(\.element)
            }
        }
        var ops: [Operation] = []
        ops.reserveCapacity(ordered.count / 2 + 1)
        var outstanding: [Int: Int] = [:]  // process -> op id
        var problems: [HistoryError.Problem] = []
        for (index, event) in ordered.enumerated() {
            switch event.kind {
            case .invoke:
                if let open = outstanding[event.process] {
                    problems.append(
                        .init(
                            line: event.line,
                            reason:
                                "process \(event.process) invokes \(event.f) while its \(ops[open].f) invoked at line "
                                + "\(ops[open].invokeLine) has not completed (a process has at most one operation "
                                + "outstanding)"
                        )
                    )
                    continue
                }
                outstanding[event.process] = ops.count
                ops.append(
                    Operation(
                        id: ops.count,
                        process: event.process,
                        fSymbol: event.fSymbol,
                        keySymbol: event.keySymbol,
                        status: .pending,
                        invokeValue: event.value,
                        completionValue: nil,
                        invokeIndex: index,
                        completeIndex: nil,
                        invokeLine: event.line,
                        completeLine: nil,
                        invokeTime: event.time,
                        completeTime: nil
                    )
                )
            case .ok, .fail, .info:
                guard let open = outstanding.removeValue(forKey: event.process) else {
                    problems.append(
                        .init(
                            line: event.line,
                            reason: "\(event.kind.rawValue) \(event.f) of process \(event.process) has no outstanding "
                                + "invocation to complete"
                        )
                    )
                    continue
                }
                if ops[open].fSymbol != event.fSymbol {
                    problems.append(
                        .init(
                            line: event.line,
                            reason:
                                "\(event.kind.rawValue) \(event.f) of process \(event.process) completes a different "
                                + "function: the invocation at line \(ops[open].invokeLine) is \(ops[open].f)"
                        )
                    )
                    continue
                }
                if event.keySymbol != 0, ops[open].keySymbol != 0, event.keySymbol != ops[open].keySymbol,
                    let k = event.key, let invokedKey = ops[open].key
                {
                    problems.append(
                        .init(
                            line: event.line,
                            reason:
                                "completion of process \(event.process) names key \"\(k)\" but the invocation at line "
                                + "\(ops[open].invokeLine) names key \"\(invokedKey)\""
                        )
                    )
                    continue
                }
                ops[open].status = event.kind == .ok ? .ok : event.kind == .fail ? .fail : .info
                ops[open].packedCompletionValue = event.packedValue
                ops[open].completeIndex = index
                ops[open].completeLine = event.line
                ops[open].completeTime = event.time
                if ops[open].keySymbol == 0 { ops[open].keySymbol = event.keySymbol }
            }
        }
        if !problems.isEmpty { throw HistoryError(problems: problems) }
        self.operations = ops
        self.eventCount = ordered.count
    }

    /// Builds a history from operations already paired (ids are reassigned to positions).
    public init(operations: [Operation], eventCount: Int) {
        self.operations = operations.enumerated().map { i, op in
            var o = op
            o.id = i
            return o
        }
        self.eventCount = eventCount
    }
}

/// Malformed history: every problem found, each with its input line and reason.
public struct HistoryError: Error, Sendable, CustomStringConvertible {
    /// One malformed event or operation.
    public struct Problem: Sendable, Hashable {
        /// 1-based input line.
        public var line: Int
        public var reason: String
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    public var description: String {
        problems.map { "line \($0.line): \($0.reason)" }.joined(separator: "\n")
    }
}
