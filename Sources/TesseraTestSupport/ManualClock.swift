/// A clock that moves only when told: monotonic nanoseconds for state machines under test (coordinators,
/// failure detectors) and the simulator.
public struct ManualClock: Sendable, Equatable {
    /// Current time in nanoseconds.
    public private(set) var nanos: UInt64

    public init(nanos: UInt64 = 0) { self.nanos = nanos }

    /// Current time in whole milliseconds.
    public var millis: UInt64 { nanos / 1_000_000 }

    /// Moves forward by `delta` nanoseconds.
    public mutating func advance(by delta: UInt64) { nanos &+= delta }

    /// Moves forward by `millis` milliseconds.
    public mutating func advance(millis: UInt64) { nanos &+= millis * 1_000_000 }

    /// Moves to `time` if that is later (a clock never goes back).
    public mutating func advance(to time: UInt64) { if time > nanos { nanos = time } }
}
