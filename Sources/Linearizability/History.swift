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
        var builder = HistoryBuilder(expectedEvents: events.count)
        for event in events { builder.add(event) }
        if builder.needsTimeOrdering {
            builder = HistoryBuilder(expectedEvents: events.count)
            let ordered = events.enumerated().sorted { a, b in
                a.element.time! != b.element.time! ? a.element.time! < b.element.time! : a.offset < b.offset
            }
            for (_, event) in ordered { builder.add(event) }
        }
        self = try builder.build()
    }

    /// Operations paired by ``HistoryBuilder`` (ids are already their positions).
    init(paired operations: [Operation], eventCount: Int) {
        self.operations = operations
        self.eventCount = eventCount
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
