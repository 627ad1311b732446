import Synchronization

/// How far a running check is, readable from another thread (for a progress line).
///
/// Thread-safety: every field is atomic; the checking threads write, any thread reads.
public final class CheckProgress: Sendable {
    private let keysTotal = Atomic<Int>(0)
    private let keysFinished = Atomic<Int>(0)
    private let operationsTotal = Atomic<Int>(0)
    private let operationsFinished = Atomic<Int>(0)
    private let searchSteps = Atomic<Int>(0)

    public init() {}

    /// A snapshot: keys done of all keys, operations of finished keys of all searched ones, search steps so far.
    public var snapshot: (keysDone: Int, keys: Int, operationsDone: Int, operations: Int, steps: Int) {
        (
            keysFinished.load(ordering: .relaxed), keysTotal.load(ordering: .relaxed),
            operationsFinished.load(ordering: .relaxed), operationsTotal.load(ordering: .relaxed),
            searchSteps.load(ordering: .relaxed)
        )
    }

    func start(keys: Int, operations: Int) {
        keysTotal.store(keys, ordering: .relaxed)
        operationsTotal.store(operations, ordering: .relaxed)
        keysFinished.store(0, ordering: .relaxed)
        operationsFinished.store(0, ordering: .relaxed)
        searchSteps.store(0, ordering: .relaxed)
    }

    func finished(operations: Int) {
        keysFinished.wrappingAdd(1, ordering: .relaxed)
        operationsFinished.wrappingAdd(operations, ordering: .relaxed)
    }

    func stepped(_ steps: Int) {
        searchSteps.wrappingAdd(steps, ordering: .relaxed)
    }
}
