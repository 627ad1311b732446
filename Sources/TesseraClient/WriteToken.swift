import Synchronization
public import TesseraCore

/// The identity of one write across all its attempts: pass the same token to `put` or `delete` again to
/// retry a write whose outcome is unknown, and the retry carries the first attempt's version, so it is
/// applied at most once (docs/client.md, "Retrying a write").
///
/// ```swift
/// let token = WriteToken()
/// do {
///     try await client.put("k", "v", token: token)
/// } catch where error.isIndeterminate {
///     try await client.put("k", "v", token: token)   // the same write again: one version, never two
/// }
/// ```
///
/// The client fills the token in as it goes: the node that coordinated the first attempt and, once a node
/// answered, the version. A retry with a known version may go to any node; without one it goes to the first
/// attempt's coordinator, which remembers the version it gave (`NodeCoordinator.writeVersions`); if that node
/// cannot be reached or has forgotten the write (it restarted), the retry fails with an indeterminate error
/// instead of writing a second version. Use one token per write (key and value): a token sent with another
/// key is refused.
public final class WriteToken: Sendable, CustomStringConvertible {
    /// The write's id on the wire (random, non-zero), the same in every attempt.
    public let id: UInt64

    private struct State: Sendable {
        var coordinator: HostAddress?
        var version: Version?
    }

    private let state = Mutex(State())

    /// A fresh token for a new write.
    public convenience init() {
        var id: UInt64 = 0
        while id == 0 { id = Self.mix(Self.sequence.wrappingAdd(1, ordering: .relaxed).newValue) }
        self.init(id: id)
    }

    /// Fresh ids: a process-wide counter from a random start, through SplitMix64's finalizer (a bijection), so
    /// ids never repeat within a process and look random across processes, without a `getrandom` system call
    /// per write (which doubled the client's system calls per put: docs/benchmarks.md).
    private static let sequence = Atomic<UInt64>(UInt64.random(in: 1...UInt64.max))

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A token with a given id (non-zero; 0 is replaced by 1). For tests and for ids kept across processes.
    public init(id: UInt64) {
        self.id = id == 0 ? 1 : id
    }

    /// The version a node gave the write, once one answered.
    public var version: Version? { state.withLock { $0.version } }

    /// The node the write was first sent to (nil: never sent).
    public var coordinator: HostAddress? { state.withLock { $0.coordinator } }

    /// True once an attempt may have reached a node: the next attempt is a resend.
    public var wasSent: Bool { state.withLock { $0.coordinator != nil || $0.version != nil } }

    public var description: String {
        let (coordinator, version) = state.withLock { ($0.coordinator, $0.version) }
        return "write \(String(id, radix: 16))"
            + (coordinator.map { " via \($0)" } ?? "") + (version.map { " version \($0)" } ?? "")
    }

    /// An attempt went to `address` (the first one that may have reached a node is kept).
    func noteSent(to address: HostAddress) {
        state.withLock { if $0.coordinator == nil { $0.coordinator = address } }
    }

    /// A node answered with the write's version.
    func noteWritten(_ version: Version, by address: HostAddress) {
        state.withLock {
            if $0.coordinator == nil { $0.coordinator = address }
            $0.version = version
        }
    }
}
