/// Pairs events into operations one event at a time, so that a parser can hand each event over as it reads it
/// and the events are never held together (a long history has millions: 40 bytes each, as much again as its
/// operations). ``History/init(events:)`` uses it too, so the pairing rules live here only (see ``History``).
///
/// Events must arrive in real-time order. The builder cannot reorder them: it tells whether the input needs
/// ordering by time (`needsTimeOrdering`: every event has a time and some time goes backwards), and then the
/// caller must collect the events and use ``History/init(events:)``, which sorts them first.
struct HistoryBuilder {
    private var ops: [Operation] = []
    private var outstanding: [Int: Int] = [:]  // process -> op id
    private var problems: [HistoryError.Problem] = []
    private var count = 0
    private var allTimed = true
    private var lastTime = Int64.min
    /// True when every event so far has a time and some time is smaller than the one before it.
    private(set) var timesOutOfOrder = false

    /// - Parameter expectedEvents: an estimate of the events to come (to reserve the operations once; more
    ///   is harmless, the pages never touched are never resident).
    init(expectedEvents: Int = 0) {
        ops.reserveCapacity(expectedEvents / 2 + 1)
    }

    /// Whether the events added must be ordered by time before pairing (then `build()` would pair them wrongly).
    var needsTimeOrdering: Bool { allTimed && timesOutOfOrder && count > 0 }

    /// Pairs `event`, the next one in real-time order.
    mutating func add(_ event: HistoryEvent) {
        let index = count
        count += 1
        if let t = event.time {
            if t < lastTime { timesOutOfOrder = true }
            lastTime = t
        } else {
            allTimed = false
        }
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
                return
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
                return
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
                return
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
                return
            }
            ops[open].status = event.kind == .ok ? .ok : event.kind == .fail ? .fail : .info
            ops[open].packedCompletionValue = event.packedValue
            ops[open].completeIndex = index
            ops[open].completeLine = event.line
            ops[open].completeTime = event.time
            if ops[open].keySymbol == 0 { ops[open].keySymbol = event.keySymbol }
        }
    }

    /// The history of the events added.
    /// - Throws: ``HistoryError`` listing every event that could not be paired, with its line and the reason.
    consuming func build() throws(HistoryError) -> History {
        if !problems.isEmpty { throw HistoryError(problems: problems) }
        return History(paired: ops, eventCount: count)
    }
}
