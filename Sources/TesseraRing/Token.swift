/// A position on the ring: the signed 64-bit token space of Cassandra's Murmur3Partitioner.
///
/// A node's token `t` owns the range `(previous token, t]`, wrapping from `Int64.max` to `Int64.min`.
/// Keys never hash to `Int64.min` (see `Murmur3.token(for:)`), as in Cassandra.
public typealias Token = Int64

/// Unsigned view of a token that keeps its order: `Int64.min` maps to 0 and `Int64.max` to `UInt64.max`.
/// Range lengths are then plain wrapping subtractions.
@usableFromInline
enum RingPosition {
    @inlinable
    static func of(_ token: Token) -> UInt64 { UInt64(bitPattern: token) ^ (1 << 63) }

    @inlinable
    static func token(_ position: UInt64) -> Token { Token(bitPattern: position ^ (1 << 63)) }

    /// The size of the whole token space, 2^64, as a Double.
    static let fullRing: Double = 18_446_744_073_709_551_616.0
}
