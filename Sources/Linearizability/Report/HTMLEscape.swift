/// Escaping of user text (keys, values, labels) for HTML text and attribute values.
enum HTMLEscape {
    /// Replaces `& < > " '` with entities, so the text can go into element content or a quoted attribute.
    static func escape(_ text: String) -> String {
        var needs = false
        for b in text.utf8 where b == 0x26 || b == 0x3C || b == 0x3E || b == 0x22 || b == 0x27 {
            needs = true
            break
        }
        guard needs else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
