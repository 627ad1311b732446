/// Every problem found in one history file. Parsing does not stop at the first bad line, so a user sees all
/// of them at once; at most `maxStored` are kept, the rest are only counted.
public struct HistoryParseErrors: Error, Sendable, CustomStringConvertible {
    /// How many errors are kept in `errors`; `totalCount` counts all.
    public static let maxStored = 1000
    /// How many errors `description` lists before "... and N more".
    public static let maxShown = 20

    /// The problems in file order (the first `maxStored`).
    public let errors: [HistoryParseError]
    /// How many problems were found in all (at least `errors.count`).
    public let totalCount: Int

    public init(errors: [HistoryParseError], totalCount: Int? = nil) {
        self.errors = Array(errors.prefix(Self.maxStored))
        self.totalCount = max(totalCount ?? errors.count, self.errors.count)
    }

    public var description: String {
        var lines: [String] = []
        if totalCount > 1, let file = errors.first?.file {
            lines.append("\(file): \(totalCount) malformed lines:")
        }
        for error in errors.prefix(Self.maxShown) {
            lines.append(error.description)
        }
        let more = totalCount - min(errors.count, Self.maxShown)
        if more > 0 {
            lines.append("... and \(more) more")
        }
        return lines.joined(separator: "\n")
    }
}
