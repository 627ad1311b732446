#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time for hybrid logical clock timestamps.
enum WallClock {
    /// Milliseconds since the Unix epoch.
    static func nowMillis() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    /// Milliseconds since the Unix epoch at the kernel tick's granularity (at most one tick, 1-10 ms, behind
    /// `nowMillis`; a read of the vDSO page without reading the timer): for checking and observing versions
    /// that arrive, never for issuing one (a version issued from it could order below one another node issued
    /// a moment before).
    static func coarseNowMillis() -> UInt64 {
        var ts = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        #else
            clock_gettime(CLOCK_REALTIME, &ts)
        #endif
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
