import Synchronization

/// Shared by the searches of one check: the deadline, the memory budget and the stop flag.
///
/// Thread-safety: all mutable state is atomic; the class is shared by the worker threads.
final class SearchControl: Sendable {
    /// Why a search stopped without a verdict.
    enum StopReason: Sendable, Equatable {
        case timeout
        case memory
        case cancelled
    }

    let deadline: ContinuousClock.Instant?
    let memoryLimitBytes: Int
    private let bytesInUse = Atomic<Int>(0)
    /// 0: running; 1 timeout; 2 memory; 3 cancelled (another key was not linearizable).
    private let stopCode = Atomic<Int>(0)

    /// Where searches report their steps, if anyone watches.
    let progress: CheckProgress?

    init(deadline: ContinuousClock.Instant?, memoryLimitBytes: Int, progress: CheckProgress? = nil) {
        self.deadline = deadline
        self.memoryLimitBytes = memoryLimitBytes
        self.progress = progress
    }

    /// Reserves `bytes` from the budget; false when the reservations of all searches, or the process's resident
    /// memory, plus `bytes` would exceed the limit. Only the asking search stops (with `memory`); it returns its
    /// bytes, so keys checked after it get the whole budget again. The resident size counts what the limit is
    /// about (the history and every table, not only the caches): the caches are counted as reserved, before
    /// they are touched, and the resident size as measured, so the check stops before the limit is reached.
    func reserve(bytes: Int) -> Bool {
        let total = bytesInUse.wrappingAdd(bytes, ordering: .relaxed).newValue
        if total > memoryLimitBytes || ResidentMemory.bytes() + bytes > memoryLimitBytes {
            _ = bytesInUse.wrappingSubtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Returns bytes to the budget (a search finished).
    func release(bytes: Int) {
        _ = bytesInUse.wrappingSubtract(bytes, ordering: .relaxed)
    }

    /// Peak-insensitive current use, for reports.
    var bytesReserved: Int { bytesInUse.load(ordering: .relaxed) }

    /// Asks every search to stop. The first reason wins.
    func stop(_ reason: StopReason) {
        let code: Int
        switch reason {
        case .timeout: code = 1
        case .memory: code = 2
        case .cancelled: code = 3
        }
        _ = stopCode.compareExchange(expected: 0, desired: code, ordering: .relaxed)
    }

    /// The reason to stop now, if any (checks the clock).
    func shouldStop() -> StopReason? {
        if let r = stopped { return r }
        if let deadline, ContinuousClock.now >= deadline {
            stop(.timeout)
            return stopped
        }
        return nil
    }

    /// The stop reason set so far, without looking at the clock.
    var stopped: StopReason? {
        switch stopCode.load(ordering: .relaxed) {
        case 1: return .timeout
        case 2: return .memory
        case 3: return .cancelled
        default: return nil
        }
    }
}
