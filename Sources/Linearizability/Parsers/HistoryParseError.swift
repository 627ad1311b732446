/// One problem found in a history file: which file, which line, what is wrong.
public struct HistoryParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name as given to the parser.
    public let file: String
    /// The 1-based line of the problem; 0 when it concerns the whole file (unreadable, unknown format).
    public let line: Int
    /// What is wrong, in words, with the column where that helps.
    public let reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
    }
}
