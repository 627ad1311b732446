public import Linearizability
import Synchronization

/// Collects the run's history (design.md section 6) from every worker: invocations and completions in the
/// order they happened, times in monotonic nanoseconds since the run started. Thread-safe.
public final class HistoryRecorder: Sendable {
    /// One completed operation, for the throughput and latency chart.
    public struct Completion: Sendable {
        public var endNanos: Int64
        public var latencyNanos: Int64
        public var kind: HistoryEvent.Kind
    }

    /// Counts so far, for the progress line and the report.
    public struct Counts: Sendable, Hashable {
        public var invoked = 0
        public var ok = 0
        public var fail = 0
        public var info = 0
    }

    private struct State {
        var events: [HistoryEvent] = []
        var completions: [Completion] = []
        var counts = Counts()
    }

    private let state = Mutex(State())
    /// The run's time zero.
    public let startNanos: Int64

    public init(startNanos: Int64 = MonotonicClock.nanoseconds()) {
        self.startNanos = startNanos
    }

    /// Nanoseconds since the run started.
    public func now() -> Int64 { MonotonicClock.nanoseconds() - startNanos }

    /// Records an invocation; returns its time (pass it to `complete` for the latency).
    @discardableResult
    public func invoke(process: Int, f: String, key: String, value: HistoryValue) -> Int64 {
        state.withLock { state in
            let time = now()
            state.events.append(
                HistoryEvent(process: process, kind: .invoke, f: f, key: key, value: value, time: time, line: 0)
            )
            state.counts.invoked += 1
            return time
        }
    }

    /// Records the completion (`ok`, `fail` or `info`) of `process`'s outstanding operation.
    public func complete(
        process: Int,
        kind: HistoryEvent.Kind,
        f: String,
        key: String,
        value: HistoryValue,
        invokedAt: Int64
    ) {
        state.withLock { state in
            let time = now()
            state.events.append(
                HistoryEvent(process: process, kind: kind, f: f, key: key, value: value, time: time, line: 0)
            )
            state.completions.append(Completion(endNanos: time, latencyNanos: time - invokedAt, kind: kind))
            switch kind {
            case .ok: state.counts.ok += 1
            case .fail: state.counts.fail += 1
            default: state.counts.info += 1
            }
        }
    }

    public var counts: Counts { state.withLock { $0.counts } }

    /// The events so far, numbered by line (1-based) as they will appear in history.jsonl.
    public var events: [HistoryEvent] {
        state.withLock { state in
            state.events.enumerated().map { index, event in
                var event = event
                event.line = index + 1
                return event
            }
        }
    }

    public var completions: [Completion] { state.withLock { $0.completions } }

    /// The history as JSONL text, one event per line.
    public func jsonl() -> String {
        var out = ""
        for event in events {
            out += event.jsonLine
            out += "\n"
        }
        return out
    }
}
