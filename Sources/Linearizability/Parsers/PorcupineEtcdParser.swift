/// Reads Porcupine's Jepsen etcd logs (`test_data/jepsen/etcd_NNN.log`), one event per line:
///
///     INFO  jepsen.util - <process>\s+:<type>\s+:<f>\s+<value>
///
/// `<value>` is `nil`, an integer, `[a b]` (cas) or `:timed-out` (any EDN value is accepted). The file has no
/// times: line order is the history order. Mapping to events:
/// - `:invoke` -> invoke, `:ok` -> ok, with the value as written;
/// - `:fail ... :timed-out` (a read that timed out) -> info with value null (unknown result);
/// - other `:fail` (a cas whose compare failed) -> fail;
/// - `:info ... :timed-out` -> info with value `:timed-out`.
/// A line whose process is a keyword (`:nemesis`) is skipped; blank lines are skipped.
enum PorcupineEtcdParser {
    static let prefix: StaticString = "INFO  jepsen.util - "

    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard end - start >= count else { return false }
        return prefix.withUTF8Buffer { p in
            for i in 0..<count where bytes[start + i] != p[i] {
                return false
            }
            return true
        }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, errors: inout ParseErrorCollector) -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        ByteText.forEachLine(bytes) { line, start, end in
            var s = start
            while s < end && ByteText.isBlank(bytes[s]) { s += 1 }
            if s == end { return }
            do throws(SyntaxError) {
                if let event = try parseLine(bytes, start, end, line: line) {
                    events.append(event)
                }
            } catch {
                errors.add(line: line, error.reason)
            }
        }
        return events
    }

    static func parseLine(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, line: Int) throws(SyntaxError)
        -> HistoryEvent?
    {
        guard hasPrefix(bytes, start, end) else {
            throw SyntaxError(
                reason:
                    "expected 'INFO  jepsen.util - <process> :<type> :<f> <value>', found '\(ByteText.excerpt(bytes, start, end))'"
            )
        }
        var pos = start + prefix.utf8CodeUnitCount
        func column() -> Int { pos - start + 1 }
        func token() -> (Int, Int) {
            let t = pos
            while pos < end && !ByteText.isBlank(bytes[pos]) { pos += 1 }
            return (t, pos)
        }
        func skipSpace() throws(SyntaxError) {
            let before = pos
            while pos < end && (bytes[pos] == ByteText.space || bytes[pos] == ByteText.tab) { pos += 1 }
            guard pos > before, pos < end else {
                throw SyntaxError(
                    reason:
                        "column \(column()): expected whitespace and then a field, found \(pos < end ? ByteText.describe(bytes[pos]) : "end of line")"
                )
            }
        }

        let processColumn = column()
        let (ps, pe) = token()
        guard pe > ps else { throw SyntaxError(reason: "column \(processColumn): missing process number") }
        if bytes[ps] == UInt8(ascii: ":") {
            return nil  // :nemesis
        }
        var process = 0
        for i in ps..<pe {
            guard ByteText.isDigit(bytes[i]), process < 1_000_000_000 else {
                throw SyntaxError(
                    reason:
                        "column \(processColumn): process must be a non-negative integer, found '\(ByteText.string(bytes, ps, pe))'"
                )
            }
            process = process * 10 + Int(bytes[i] - 0x30)
        }

        try skipSpace()
        let typeColumn = column()
        let (ts, te) = token()
        let typeText = ByteText.string(bytes, ts, te)
        guard typeText.hasPrefix(":"), let kind = HistoryEvent.Kind(rawValue: String(typeText.dropFirst())) else {
            throw SyntaxError(
                reason: "column \(typeColumn): expected :invoke, :ok, :fail or :info, found '\(typeText)'"
            )
        }

        try skipSpace()
        let fColumn = column()
        let (fs, fe) = token()
        guard fe - fs > 1, bytes[fs] == UInt8(ascii: ":") else {
            throw SyntaxError(
                reason:
                    "column \(fColumn): expected the operation as a keyword such as :read, found '\(ByteText.string(bytes, fs, fe))'"
            )
        }
        let f = ByteText.string(bytes, fs + 1, fe)

        try skipSpace()
        var reader = EDNReader(bytes: bytes, start: pos, end: end, line: line)
        let value: HistoryValue
        do throws(SyntaxError) {
            let form = try reader.readForm(depth: 0)
            try reader.skipIgnorable()
            if !reader.atEnd {
                throw SyntaxError(reason: "column \(reader.column): unexpected \(reader.found()) after the value")
            }
            value = try form.historyValue()
        } catch {
            // EDNReader columns count from the value; report them from the line start.
            throw SyntaxError(reason: error.reason.replacingColumn(offset: pos - start))
        }

        switch kind {
        case .fail where value == .keyword("timed-out"):
            return HistoryEvent(process: process, kind: .info, f: f, value: .null, line: line)
        default:
            return HistoryEvent(process: process, kind: kind, f: f, value: value, line: line)
        }
    }
}

extension String {
    /// Shifts a leading "column N: " by `offset`, for errors of a reader that started mid-line.
    fileprivate func replacingColumn(offset: Int) -> String {
        guard hasPrefix("column "), let colon = firstIndex(of: ":") else { return self }
        let numberText = self[index(startIndex, offsetBy: 7)..<colon]
        guard let n = Int(numberText) else { return self }
        return "column \(n + offset)" + self[colon...]
    }
}
