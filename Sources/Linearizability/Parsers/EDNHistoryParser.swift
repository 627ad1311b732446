/// Reads Jepsen/Knossos EDN histories and Porcupine's kv logs.
///
/// The file is either one vector `[...]` or list `(...)` of operation maps, or operation maps one after another
/// (one per line or spanning lines). Each map has `:process` (an integer; anything else, e.g. `:nemesis`,
/// marks a non-client entry, which is skipped), `:type` (`:invoke` `:ok` `:fail` `:info`), `:f` (a keyword),
/// and optionally `:value` (default nil), `:key` and `:time` (integer ns). Other keys are ignored. An event's
/// `line` is the line where its map starts. After a syntax error the reader resumes at the next line that
/// starts with `{`, so every bad entry is reported.
enum EDNHistoryParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, errors: inout ParseErrorCollector) -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        var reader = EDNReader(bytes: bytes, start: ByteText.contentStart(bytes), end: bytes.count)
        reader.newEntryAtColumnOne = true

        // A leading `[` or `(` whose first element is a map (or that is empty) wraps the whole history.
        var closer: UInt8? = nil
        var wrapperLine = 0
        do {
            try reader.skipIgnorable()
            if let b = reader.peek, b == UInt8(ascii: "[") || b == UInt8(ascii: "(") {
                var probe = reader
                probe.pos += 1
                try probe.skipIgnorable()
                let want: UInt8 = b == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
                if let n = probe.peek, n == UInt8(ascii: "{") || n == UInt8(ascii: "#") || n == want {
                    closer = want
                    wrapperLine = reader.line
                    // Entries inside start wherever the writer put them; the column-1 heuristic still applies.
                    reader = probe
                }
            }
        } catch {
            errors.add(line: error.line, error.reason)
            return events
        }

        while true {
            do {
                try reader.skipIgnorable()
            } catch {
                errors.add(line: error.line, error.reason)
                resync(&reader, after: error.line)
                continue
            }
            guard let b = reader.peek else {
                if let closer, errors.isEmpty {
                    errors.add(
                        line: wrapperLine,
                        "the history opened here has no closing '\(Character(Unicode.Scalar(closer)))' before the end of the file"
                    )
                }
                break
            }
            if let c = closer, b == c {
                reader.pos += 1
                do {
                    try reader.skipIgnorable()
                    if !reader.atEnd {
                        errors.add(
                            line: reader.line,
                            "column \(reader.column): unexpected \(reader.found()) after the closing '\(Character(Unicode.Scalar(c)))' of the history"
                        )
                    }
                } catch {
                    errors.add(
                        line: error.line,
                        "after the closing '\(Character(Unicode.Scalar(c)))' of the history: " + error.reason
                    )
                }
                break
            }
            let entryLine = reader.line
            let form: EDNValue
            do {
                form = try reader.readForm(depth: 0)
            } catch {
                errors.add(line: error.line, error.reason)
                resync(&reader, after: error.line)
                continue
            }
            do {
                if let event = try event(from: form, line: entryLine) {
                    events.append(event)
                }
            } catch {
                errors.add(line: entryLine, error.reason)
            }
        }
        return events
    }

    /// Moves the reader to the first line after `line` whose first non-blank byte is `{` (or a closing bracket).
    static func resync(_ reader: inout EDNReader, after line: Int) {
        let bytes = reader.bytes
        // Rewind to the start of the reader's line if the error line is earlier (errors of unterminated forms
        // name the line where the form opened).
        if line < reader.line {
            var pos = ByteText.contentStart(bytes)
            var current = 1
            while current < line + 1 && pos < reader.end {
                if bytes[pos] == ByteText.newline { current += 1 }
                pos += 1
            }
            reader.pos = pos
            reader.line = current
            reader.lineStart = pos
        } else {
            while reader.pos < reader.end && bytes[reader.pos] != ByteText.newline { reader.pos += 1 }
            if reader.pos < reader.end {
                reader.pos += 1
                reader.line += 1
                reader.lineStart = reader.pos
            }
        }
        while reader.pos < reader.end {
            var p = reader.pos
            while p < reader.end,
                bytes[p] == ByteText.space || bytes[p] == ByteText.tab || bytes[p] == UInt8(ascii: ",")
            {
                p += 1
            }
            if p < reader.end, bytes[p] == UInt8(ascii: "{") || EDNReader.isCloser(bytes[p]) {
                reader.pos = p
                return
            }
            while p < reader.end && bytes[p] != ByteText.newline { p += 1 }
            reader.pos = min(p + 1, reader.end)
            reader.line += 1
            reader.lineStart = reader.pos
        }
    }

    /// The event for one entry; nil for a non-client entry (process not an integer).
    static func event(from form: EDNValue, line: Int) throws(SyntaxError) -> HistoryEvent? {
        var entry = form
        if case .tagged(_, let inner) = entry {
            entry = inner
        }
        guard case .map(let flat) = entry else {
            throw SyntaxError(
                reason:
                    "expected an operation map such as {:process 0, :type :invoke, :f :read, :value nil}, found \(form.kindName)"
            )
        }
        var process: EDNValue?
        var type: EDNValue?
        var f: EDNValue?
        var key: EDNValue?
        var value: EDNValue?
        var time: EDNValue?
        var i = 0
        while i + 1 < flat.count {
            if case .keyword(let name) = flat[i] {
                let v = flat[i + 1]
                func set(_ slot: inout EDNValue?) throws(SyntaxError) {
                    if slot != nil { throw SyntaxError(reason: "key :\(name) appears twice in the map") }
                    slot = v
                }
                switch name {
                case "process": try set(&process)
                case "type": try set(&type)
                case "f": try set(&f)
                case "key": try set(&key)
                case "value": try set(&value)
                case "time": try set(&time)
                default: break
                }
            }
            i += 2
        }
        guard let process else { throw SyntaxError(reason: "missing :process") }
        guard case .int(let p64) = process else {
            return nil  // :nemesis or another non-client process
        }
        guard let processNumber = Int(exactly: p64) else {
            throw SyntaxError(reason: ":process \(p64) is out of range")
        }
        guard let type else { throw SyntaxError(reason: "missing :type (:invoke, :ok, :fail or :info)") }
        let kind: HistoryEvent.Kind
        switch type {
        case .keyword(let k), .string(let k):
            guard let parsed = HistoryEvent.Kind(rawValue: k) else {
                throw SyntaxError(
                    reason:
                        "unknown :type \(type.kindName == "a string" ? "\"\(k)\"" : ":\(k)"): expected :invoke, :ok, :fail or :info"
                )
            }
            kind = parsed
        default:
            throw SyntaxError(reason: ":type must be a keyword (:invoke, :ok, :fail or :info), found \(type.kindName)")
        }
        guard let f else { throw SyntaxError(reason: "missing :f (the operation, e.g. :read)") }
        let fName: String
        switch f {
        case .keyword(let k), .string(let k), .symbol(let k): fName = k
        default: throw SyntaxError(reason: ":f must be a keyword such as :read, found \(f.kindName)")
        }
        var keyString: String? = nil
        if let key {
            switch key {
            case .nil: keyString = nil
            case .string(let s), .keyword(let s), .symbol(let s): keyString = s
            case .int(let v): keyString = String(v)
            default: throw SyntaxError(reason: ":key must be a string, keyword or integer, found \(key.kindName)")
            }
        }
        var timeValue: Int64? = nil
        if let time {
            switch time {
            case .nil: timeValue = nil
            case .int(let v): timeValue = v
            default: throw SyntaxError(reason: ":time must be an integer (nanoseconds), found \(time.kindName)")
            }
        }
        let historyValue: HistoryValue
        do {
            historyValue = try (value ?? .nil).historyValue()
        } catch {
            throw SyntaxError(reason: ":value: " + error.reason)
        }
        return HistoryEvent(
            process: processNumber,
            kind: kind,
            f: fName,
            key: keyString,
            value: historyValue,
            time: timeValue,
            line: line
        )
    }

    /// Whether the events look like Porcupine's kv logs: all have a key and f in get/put/append.
    static func looksLikeKV(_ events: [HistoryEvent]) -> Bool {
        !events.isEmpty && events.allSatisfy { $0.key != nil && isKVFunction($0.f) }
    }

    static func isKVFunction(_ f: String) -> Bool {
        f == "get" || f == "put" || f == "append"
    }
}
