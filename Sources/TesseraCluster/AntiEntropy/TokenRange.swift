public import TesseraCore
public import TesseraRing

/// A range of ring tokens `(start, end]` (start exclusive, end inclusive, wrapping past `Int64.max`), as a
/// vnode owns it. `start == end` is the whole ring.
public struct TokenRange: Hashable, Sendable, CustomStringConvertible {
    public var start: Token
    public var end: Token

    public init(start: Token, end: Token) {
        self.start = start
        self.end = end
    }

    /// The whole ring.
    public static let full = TokenRange(start: .min, end: .min)

    /// Number of tokens in the range; 0 stands for 2^64 (the whole ring).
    public var width: UInt64 { UInt64(bitPattern: end &- start) }

    public func contains(_ token: Token) -> Bool {
        let offset = UInt64(bitPattern: token &- start)
        return width == 0 ? true : (offset >= 1 && offset <= width)
    }

    /// The index of `token` (which must be inside) among `parts` equal slices of the range.
    public func slice(of token: Token, parts: Int) -> Int {
        let offset = UInt64(bitPattern: token &- start) &- 1
        let product = offset.multipliedFullWidth(by: UInt64(parts))
        if width == 0 { return Int(product.high) }
        if product.high >= width { return parts - 1 }  // cannot happen for tokens inside; guards the division
        return Int(width.dividingFullWidth((product.high, product.low)).quotient)
    }

    /// Slice `index` of `parts` equal slices (the tokens `slice(of:parts:)` maps to `index`).
    public func slice(_ index: Int, of parts: Int) -> TokenRange {
        TokenRange(start: start &+ Token(bitPattern: boundary(index, parts)), end: start &+ Token(bitPattern: boundary(index + 1, parts)))
    }

    /// ceil(i * width / parts), with width 0 meaning 2^64; for i == parts it is the width itself.
    private func boundary(_ i: Int, _ parts: Int) -> UInt64 {
        if i >= parts { return width }
        let l = UInt64(parts)
        let numerator: (high: UInt64, low: UInt64) =
            width == 0 ? (UInt64(i), 0) : UInt64(i).multipliedFullWidth(by: width)
        let (low, carry) = numerator.low.addingReportingOverflow(l - 1)
        let high = numerator.high + (carry ? 1 : 0)
        return l.dividingFullWidth((high, low)).quotient
    }

    /// The ranges of a ring: one `(previous token, token]` per token, in token order.
    public static func ranges(of ring: Ring) -> [TokenRange] {
        let tokens = ring.allTokens.values.flatMap { $0 }.sorted()
        guard let last = tokens.last else { return [] }
        var result: [TokenRange] = []
        result.reserveCapacity(tokens.count)
        var previous = last
        for token in tokens {
            result.append(TokenRange(start: previous, end: token))
            previous = token
        }
        return result
    }

    public var description: String { "(\(start), \(end)]" }
}
