import Synchronization

/// The record numbers of inserts, shared by the workers of a run, and how far they are acknowledged.
///
/// As YCSB's `AcknowledgedCounterGenerator`: inserts take numbers in order but complete out of order;
/// `available` is the length of the prefix whose every insert has completed, so readers choose only
/// records that exist. A failed insert still completes its number (a read of it finds nothing, counted as
/// not found) so the prefix never stalls.
final class InsertSequence: Sendable {
    private struct State {
        var next: Int
        var available: Int
        var completed: Set<Int> = []
    }

    private let state: Mutex<State>

    /// - Parameter start: records already present (numbered `0..<start`).
    init(start: Int) { state = Mutex(State(next: start, available: start)) }

    /// The number of the next insert.
    func take() -> Int {
        state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
    }

    /// Marks insert `number` done (acknowledged or failed).
    func complete(_ number: Int) {
        state.withLock { state in
            state.completed.insert(number)
            while state.completed.remove(state.available) != nil { state.available += 1 }
        }
    }

    /// Records `0..<available` exist.
    var available: Int { state.withLock { $0.available } }
}
