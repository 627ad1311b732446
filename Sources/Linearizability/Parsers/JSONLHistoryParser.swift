/// Reads Tessera's JSONL histories (design.md section 6): one JSON object per line,
/// `{"process":3,"type":"invoke","f":"write","key":"k7","value":42,"time":1734}`.
///
/// - `process` (required): an integer. A string (Jepsen's `"nemesis"`) marks a non-client entry: skipped.
/// - `type` (required): "invoke", "ok", "fail" or "info".
/// - `f` (required): a string.
/// - `key` (optional): a string or an integer (kept as its decimal text); null means none.
/// - `value` (optional, default null): null, integer, string, boolean, array (nested); objects become
///   lists of `[name, value]` pairs.
/// - `time` (optional): integer nanoseconds; null means none.
/// Blank lines are skipped, other fields ignored, a known field given twice is an error.
enum JSONLHistoryParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, errors: inout ParseErrorCollector) -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        parse(bytes, firstLine: 1, errors: &errors) { events.append($0) }
        return events
    }

    /// Parses the lines of `bytes` (numbered from `firstLine`; a byte-order mark is skipped only on line 1),
    /// handing each event to `each` as it is read: for reading a file a chunk of whole lines at a time.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        firstLine: Int,
        errors: inout ParseErrorCollector,
        each: (HistoryEvent) -> Void
    ) {
        ByteText.forEachLine(bytes, firstLine: firstLine) { line, start, end in
            var reader = JSONReader(bytes: bytes, start: start, end: end)
            reader.skipWhitespace()
            if reader.atEnd { return }
            do throws(SyntaxError) {
                if let event = try parseLine(&reader, line: line) { each(event) }
            } catch {
                errors.add(line: line, error.reason)
            }
        }
    }

    private struct Fields {
        var process: JSONValue?
        var type: String?
        var f: String?
        var key: String?
        var hasKey = false
        /// Converted only once the entry is known to be a client's (nemesis values may be anything).
        var value: JSONValue?
        var valueColumn = 0
        var time: Int64?
        var hasTime = false
    }

    /// Parses one non-blank line; nil for an entry that is skipped (non-integer process).
    static func parseLine(_ reader: inout JSONReader, line: Int) throws(SyntaxError) -> HistoryEvent? {
        guard reader.peek == UInt8(ascii: "{") else {
            throw reader.error("expected a JSON object '{', found \(reader.found())")
        }
        var fields = Fields()
        try reader.parseObject { (r, name) throws(SyntaxError) in
            let column = r.column
            func duplicate() -> SyntaxError {
                SyntaxError(reason: "column \(column): field \"\(name)\" appears twice")
            }
            switch name {
            case "process":
                if fields.process != nil { throw duplicate() }
                fields.process = try r.parseValue()
            case "type":
                if fields.type != nil { throw duplicate() }
                guard case .string(let s) = try r.parseValue() else {
                    throw SyntaxError(reason: "column \(column): \"type\" must be a string: invoke, ok, fail or info")
                }
                fields.type = s
            case "f":
                if fields.f != nil { throw duplicate() }
                guard case .string(let s) = try r.parseValue() else {
                    throw SyntaxError(reason: "column \(column): \"f\" must be a string such as \"read\"")
                }
                fields.f = s
            case "key":
                if fields.hasKey { throw duplicate() }
                fields.hasKey = true
                switch try r.parseValue() {
                case .string(let s): fields.key = s
                case .int(let v): fields.key = String(v)
                case .null: fields.key = nil
                case let other:
                    throw SyntaxError(
                        reason: "column \(column): \"key\" must be a string or an integer, found \(other.kindName)"
                    )
                }
            case "value":
                if fields.value != nil { throw duplicate() }
                fields.valueColumn = column
                fields.value = try r.parseValue()
            case "time":
                if fields.hasTime { throw duplicate() }
                fields.hasTime = true
                switch try r.parseValue() {
                case .int(let v): fields.time = v
                case .null: fields.time = nil
                case let other:
                    throw SyntaxError(
                        reason: "column \(column): \"time\" must be an integer (nanoseconds), found \(other.kindName)"
                    )
                }
            default:
                _ = try r.parseValue()
            }
        }
        reader.skipWhitespace()
        if !reader.atEnd {
            throw reader.error("unexpected \(reader.found()) after the JSON object (one object per line)")
        }

        guard let processValue = fields.process else {
            throw SyntaxError(reason: "missing field \"process\"")
        }
        let process: Int
        switch processValue {
        case .int(let v):
            guard let p = Int(exactly: v) else { throw SyntaxError(reason: "\"process\" \(v) is out of range") }
            process = p
        case .string:
            return nil  // a nemesis or other non-client entry
        case let other:
            throw SyntaxError(reason: "\"process\" must be an integer, found \(other.kindName)")
        }
        guard let typeName = fields.type else {
            throw SyntaxError(reason: "missing field \"type\" (invoke, ok, fail or info)")
        }
        guard let kind = HistoryEvent.Kind(rawValue: typeName) else {
            throw SyntaxError(reason: "unknown \"type\" \"\(typeName)\": expected invoke, ok, fail or info")
        }
        guard let f = fields.f else {
            throw SyntaxError(reason: "missing field \"f\" (the operation, e.g. \"read\")")
        }
        var value = HistoryValue.null
        if let raw = fields.value {
            do throws(SyntaxError) {
                value = try raw.historyValue()
            } catch {
                throw SyntaxError(reason: "column \(fields.valueColumn): " + error.reason)
            }
        }
        return HistoryEvent(
            process: process,
            kind: kind,
            f: f,
            key: fields.key,
            value: value,
            time: fields.time,
            line: line
        )
    }
}
