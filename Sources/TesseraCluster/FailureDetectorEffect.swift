public import TesseraCore

/// What the shell must do after feeding an event to a `PhiAccrualDetector`.
public enum FailureDetectorEffect: Sendable, Equatable {
    /// Send a PING to this peer (its answer goes to `onHeard`).
    case ping(NodeID)
    /// The peer is now considered down (reported once per transition).
    case down(NodeID)
    /// The peer is up again (it was down and has been heard from).
    case up(NodeID)
    /// This node itself did not run for a while (stopped, swapped out, starved of CPU): two ticks were this many
    /// nanoseconds apart, more than twice the ping interval. The silence of that time was not counted against
    /// any peer. Worth a log line.
    case localPause(nanos: UInt64)
}
