#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with one condition variable (pthread), for the engine's writer queue and background coordination,
/// where waiting for a state change is needed (Synchronization.Mutex has no condition variable).
// @unchecked Sendable: the pthread objects are heap-allocated, never moved, and designed for use from any thread.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Waits for a broadcast. REQUIRES: locked.
    func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits for a broadcast or until `micros` microseconds pass. REQUIRES: locked.
    func wait(micros: Int) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var nanos = Int(now.tv_nsec) + (micros % 1_000_000) * 1000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + micros / 1_000_000 + nanos / 1_000_000_000
        nanos %= 1_000_000_000
        deadline.tv_nsec = nanos
        pthread_cond_timedwait(cond, mutex, &deadline)
    }

    /// Wakes every waiter.
    func broadcast() { pthread_cond_broadcast(cond) }

    @inline(__always)
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
