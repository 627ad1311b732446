public import TesseraCore

/// The consistency a run asks of the cluster, and what that mode promises (the verdict the run must match).
public enum ConsistencyMode: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// Reads and writes at ONE: any single replica answers. Promises no lost acknowledged write once healed;
    /// not linearizable.
    case one = "ONE"
    /// Reads and writes at QUORUM over the home replicas only (strict quorums), with blocking read repair.
    /// Promises no lost acknowledged write; not linearizable (concurrent writes are ordered by HLC, not by
    /// real time, so clock skew reorders them).
    case quorum = "QUORUM"
    /// Writes at QUORUM where stand-ins holding hints count when home replicas are down (sloppy quorums),
    /// reads at QUORUM. Promises no lost acknowledged write once hints are replayed; not linearizable.
    case quorumSloppy = "QUORUM-SLOPPY"
    /// Single-key reads and writes by ABD (strict majorities; a write learns the highest version from a
    /// majority first; a read writes its answer back to a majority). Promises a linearizable history.
    case linearizable = "LINEARIZABLE"

    /// Parses `ONE`, `QUORUM`, `QUORUM-SLOPPY`, `LINEARIZABLE` (any case); the error names the mode and lists the accepted ones.
    public init(parsing text: String) throws(HarnessError) {
        guard let mode = Self.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) }) else {
            throw .badInput(
                "unknown consistency mode '\(text)': use one of "
                    + Self.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        self = mode
    }

    /// The level every read and write of the run uses.
    public var level: ConsistencyLevel {
        switch self {
        case .one: return .one
        case .quorum, .quorumSloppy: return .quorum
        case .linearizable: return .linearizable
        }
    }

    /// Strict or sloppy quorums for writes.
    public var quorumMode: QuorumMode { self == .quorumSloppy ? .sloppy : .strict }

    /// True when the mode promises a linearizable history (each key on its own).
    public var promisesLinearizability: Bool {
        switch self {
        case .one, .quorum, .quorumSloppy: return false
        case .linearizable: return true
        }
    }

    public var description: String { rawValue }
}

extension String {
    /// True when both spell the same ASCII word, ignoring case.
    func caseInsensitiveCompare(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
