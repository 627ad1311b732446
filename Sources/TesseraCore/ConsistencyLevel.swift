/// How many replicas must answer a read (R) or acknowledge a write (W).
///
/// Parsed from `ONE`, `TWO`, `THREE`, `QUORUM`, `ALL`, `LINEARIZABLE` (any case) or a positive integer.
public enum ConsistencyLevel: Hashable, Sendable, CustomStringConvertible {
    case one
    case two
    case three
    /// floor(N/2) + 1 of the N replicas.
    case quorum
    /// All N replicas.
    case all
    /// An explicit count of replicas (1 or more).
    case count(Int)
    /// Linearizable single-key reads and writes (ABD): strict majority quorums only (sloppy is refused); a write
    /// first reads the highest version from a majority and writes a strictly higher one, a read writes the
    /// newest value back to a majority before answering. See docs/consistency.md.
    case linearizable

    /// Parses a level; throws `TesseraError.invalidRequest` with the accepted forms on bad input.
    public init(parsing text: String) throws(TesseraError) {
        switch text.uppercased() {
        case "ONE": self = .one
        case "TWO": self = .two
        case "THREE": self = .three
        case "QUORUM": self = .quorum
        case "ALL": self = .all
        case "LINEARIZABLE": self = .linearizable
        default:
            guard let n = Int(text), n >= 1 else {
                throw TesseraError(
                    .invalidRequest,
                    "invalid consistency level '\(text)': use ONE, TWO, THREE, QUORUM, ALL, LINEARIZABLE or a positive number"
                )
            }
            self = .count(n)
        }
    }

    /// The number of replicas this level needs out of `replicationFactor`; throws `invalidRequest` if that is
    /// more than `replicationFactor` or less than 1.
    public func required(replicationFactor n: Int) throws(TesseraError) -> Int {
        let needed: Int
        switch self {
        case .one: needed = 1
        case .two: needed = 2
        case .three: needed = 3
        case .quorum, .linearizable: needed = n / 2 + 1
        case .all: needed = n
        case .count(let c): needed = c
        }
        guard needed >= 1 else { throw TesseraError(.invalidRequest, "consistency level \(self) needs at least 1 replica") }
        guard needed <= n else {
            throw TesseraError(
                .invalidRequest,
                "consistency level \(self) needs \(needed) replicas but the replication factor is \(n)"
            )
        }
        return needed
    }

    /// Wire encoding: 0 = count follows, 1 ONE, 2 TWO, 3 THREE, 4 QUORUM, 5 ALL, 6 LINEARIZABLE. DO NOT CHANGE:
    /// on the wire.
    public var wireCode: (code: UInt8, count: UInt8) {
        switch self {
        case .one: return (1, 0)
        case .two: return (2, 0)
        case .three: return (3, 0)
        case .quorum: return (4, 0)
        case .all: return (5, 0)
        case .linearizable: return (6, 0)
        case .count(let c): return (0, UInt8(clamping: c))
        }
    }

    /// Decodes `wireCode`; nil for an unknown code or a zero count.
    public init?(wireCode code: UInt8, count: UInt8) {
        switch code {
        case 0:
            guard count >= 1 else { return nil }
            self = .count(Int(count))
        case 1: self = .one
        case 2: self = .two
        case 3: self = .three
        case 4: self = .quorum
        case 5: self = .all
        case 6: self = .linearizable
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .one: return "ONE"
        case .two: return "TWO"
        case .three: return "THREE"
        case .quorum: return "QUORUM"
        case .all: return "ALL"
        case .linearizable: return "LINEARIZABLE"
        case .count(let c): return String(c)
        }
    }
}
