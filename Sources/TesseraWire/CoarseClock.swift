#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import NIOCore

/// The monotonic clock at the kernel tick's granularity, for per-request bookkeeping that needs milliseconds:
/// the hot-key sketch's time, a connection's last-received time, a request's deadline checked by a 10 ms sweep.
///
/// On Linux it is CLOCK_MONOTONIC_COARSE: a read of the vDSO page without reading the timer, at most one tick
/// (1-10 ms) behind CLOCK_MONOTONIC, on the same base as `NIODeadline.now()`. Reading the precise clock on every
/// request was 1.5% of a node's event loop on a VM (issue 7, docs/benchmarks.md "Session 6").
public enum CoarseClock {
    /// Monotonic nanoseconds, tick-granular.
    public static func nowNanos() -> UInt64 {
        var ts = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        #else
            clock_gettime(CLOCK_MONOTONIC, &ts)
        #endif
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Monotonic milliseconds, tick-granular.
    public static func nowMillis() -> UInt64 { nowNanos() / 1_000_000 }

    /// `nowNanos()` as a deadline (comparable with `NIODeadline.now()`, at most one tick behind it).
    public static func now() -> NIODeadline { .uptimeNanoseconds(nowNanos()) }
}
