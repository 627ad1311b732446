extension HistoryEvent {
    /// This event as one line of Tessera's JSONL history (design.md section 6), without the newline:
    /// `{"process":3,"type":"ok","f":"write","key":"k7","value":42,"time":2210}`. `key` and `time` are left out
    /// when nil. JSON has no keywords, so a keyword value is written as a string (without its colon);
    /// everything else reads back through `HistoryParser` unchanged.
    public var jsonLine: String {
        var out = "{\"process\":"
        out += String(process)
        out += ",\"type\":\""
        out += kind.rawValue
        out += "\",\"f\":"
        JSONText.appendString(f, to: &out)
        if let key {
            out += ",\"key\":"
            JSONText.appendString(key, to: &out)
        }
        out += ",\"value\":"
        JSONText.appendValue(value, to: &out)
        if let time {
            out += ",\"time\":"
            out += String(time)
        }
        out += "}"
        return out
    }
}

/// JSON text for history values.
enum JSONText {
    static func appendValue(_ value: HistoryValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .int(let v): out += String(v)
        case .bool(let b): out += b ? "true" : "false"
        case .string(let s), .keyword(let s): appendString(s, to: &out)
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                appendValue(item, to: &out)
            }
            out += "]"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; other text as UTF-8.
    static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
