/// Collects line errors while a parser keeps going.
struct ParseErrorCollector {
    let file: String
    private(set) var errors: [HistoryParseError] = []
    private(set) var count = 0

    init(file: String) {
        self.file = file
    }

    var isEmpty: Bool { count == 0 }

    mutating func add(line: Int, _ reason: String) {
        count += 1
        if errors.count < HistoryParseErrors.maxStored {
            errors.append(HistoryParseError(file: file, line: line, reason: reason))
        }
    }

    /// Throws everything collected, if anything was.
    func throwIfAny() throws(HistoryParseErrors) {
        if count > 0 {
            throw HistoryParseErrors(errors: errors, totalCount: count)
        }
    }
}
