/// A reader for the EDN subset found in Jepsen and Knossos histories, over UTF-8 bytes.
///
/// Supports `;` comments, commas as whitespace, `#_` discard, keywords, symbols, strings with escapes
/// (`\" \\ \n \t \r \b \f \uXXXX`), characters (`\a`, `\newline`), nil/true/false, integers (with an `N`
/// suffix), floats (kept as text), vectors, lists, sets `#{}`, maps and tagged values (`#tag value`).
/// It tracks line numbers; errors carry the line and column.
struct EDNReader {
    static let maxDepth = 64

    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    var pos: Int
    /// The 1-based line of `pos`.
    var line: Int
    /// The offset where the current line starts, for columns.
    var lineStart: Int
    /// When set, a `{` in column 1 inside an unfinished collection is taken as the start of the next
    /// entry: the collection is reported as unterminated (one-map-per-line files with a missing `}`).
    var newEntryAtColumnOne = false

    init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, line: Int = 1) {
        self.bytes = bytes
        self.end = end
        self.pos = start
        self.line = line
        self.lineStart = start
    }

    var atEnd: Bool { pos >= end }
    var peek: UInt8? { pos < end ? bytes[pos] : nil }
    var column: Int { pos - lineStart + 1 }

    func error(_ what: String) -> SyntaxError {
        SyntaxError(reason: "column \(column): \(what)", line: line)
    }

    func found() -> String {
        pos < end ? ByteText.describe(bytes[pos]) : "end of file"
    }

    static func isDelimiter(_ b: UInt8) -> Bool {
        switch b {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0C, 0x0B, UInt8(ascii: ","), UInt8(ascii: "{"), UInt8(ascii: "}"),
            UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\""),
            UInt8(ascii: ";"):
            return true
        default:
            return false
        }
    }

    /// Skips whitespace, commas, comments and `#_` discarded forms.
    mutating func skipIgnorable() throws(SyntaxError) {
        while pos < end {
            let b = bytes[pos]
            switch b {
            case 0x0A:
                pos += 1
                line += 1
                lineStart = pos
            case 0x20, 0x09, 0x0D, 0x0C, 0x0B, UInt8(ascii: ","):
                pos += 1
            case UInt8(ascii: ";"):
                while pos < end && bytes[pos] != 0x0A { pos += 1 }
            case UInt8(ascii: "#") where pos + 1 < end && bytes[pos + 1] == UInt8(ascii: "_"):
                pos += 2
                try skipIgnorable()
                guard pos < end, !Self.isCloser(bytes[pos]) else {
                    throw error("#_ must be followed by a form to discard, found \(found())")
                }
                _ = try readForm(depth: 1)
            default:
                return
            }
        }
    }

    static func isCloser(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == UInt8(ascii: ")")
    }

    /// Reads one form; `pos` must be at its first byte (after `skipIgnorable`).
    mutating func readForm(depth: Int) throws(SyntaxError) -> EDNValue {
        guard pos < end else { throw error("expected a value, found end of file") }
        let b = bytes[pos]
        switch b {
        case UInt8(ascii: "{"):
            let items = try readCollection(depth: depth, closer: UInt8(ascii: "}"), name: "map")
            if items.count % 2 != 0 {
                throw SyntaxError(
                    reason: "map has a key without a value (\(items.count) forms; keys and values must pair up)",
                    line: line
                )
            }
            return .map(items)
        case UInt8(ascii: "["):
            return .vector(try readCollection(depth: depth, closer: UInt8(ascii: "]"), name: "vector"))
        case UInt8(ascii: "("):
            return .list(try readCollection(depth: depth, closer: UInt8(ascii: ")"), name: "list"))
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: ":"):
            let start = pos + 1
            pos += 1
            while pos < end && !Self.isDelimiter(bytes[pos]) { pos += 1 }
            guard pos > start else { throw error("a ':' must start a keyword such as :invoke") }
            return .keyword(ByteText.string(bytes, start, pos))
        case UInt8(ascii: "\\"):
            return .character(try readCharacter())
        case UInt8(ascii: "#"):
            guard pos + 1 < end else { throw error("a lone '#' at end of file") }
            let next = bytes[pos + 1]
            if next == UInt8(ascii: "{") {
                pos += 1
                return .set(try readCollection(depth: depth, closer: UInt8(ascii: "}"), name: "set"))
            }
            if next == UInt8(ascii: "#") {
                let start = pos
                pos += 2
                while pos < end && !Self.isDelimiter(bytes[pos]) { pos += 1 }
                return .float(ByteText.string(bytes, start, pos))
            }
            if Self.isDelimiter(next) || next == UInt8(ascii: "#") {
                pos += 1
                throw error("expected a tag, '{' or '_' after '#', found \(found())")
            }
            let start = pos + 1
            pos += 1
            while pos < end && !Self.isDelimiter(bytes[pos]) { pos += 1 }
            let tag = ByteText.string(bytes, start, pos)
            try skipIgnorable()
            guard pos < end, !Self.isCloser(bytes[pos]) else {
                throw error("tag #\(tag) must be followed by a value, found \(found())")
            }
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
            return .tagged(tag, try readForm(depth: depth + 1))
        case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ")"):
            throw error("unexpected \(found()) with nothing open to close")
        default:
            return try readAtom()
        }
    }

    private mutating func readCollection(depth: Int, closer: UInt8, name: String) throws(SyntaxError) -> [EDNValue] {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
        let openLine = line
        let openColumn = column
        pos += 1
        var items: [EDNValue] = []
        while true {
            try skipIgnorable()
            guard pos < end else {
                throw SyntaxError(
                    reason:
                        "column \(openColumn): unterminated \(name): no '\(Character(Unicode.Scalar(closer)))' before the end of the file",
                    line: openLine
                )
            }
            let b = bytes[pos]
            if b == closer {
                pos += 1
                return items
            }
            if Self.isCloser(b) {
                throw error(
                    "expected '\(Character(Unicode.Scalar(closer)))' to close the \(name) opened at line \(openLine), found \(found())"
                )
            }
            if newEntryAtColumnOne && b == UInt8(ascii: "{") && pos == lineStart {
                throw SyntaxError(
                    reason:
                        "column \(openColumn): unterminated \(name): a new entry starts at line \(line) before its '\(Character(Unicode.Scalar(closer)))'",
                    line: openLine
                )
            }
            items.append(try readForm(depth: depth + 1))
        }
    }

    private mutating func readString() throws(SyntaxError) -> String {
        let openLine = line
        let openColumn = column
        pos += 1
        var out: [UInt8] = []
        let start = pos
        // Fast path: no escapes, no newlines.
        while pos < end {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let s = ByteText.string(bytes, start, pos)
                pos += 1
                return s
            }
            if b == UInt8(ascii: "\\") || b == 0x0A { break }
            pos += 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        while pos < end {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b == 0x0A {
                out.append(b)
                pos += 1
                line += 1
                lineStart = pos
                if newEntryAtColumnOne && pos < end && bytes[pos] == UInt8(ascii: "{") {
                    throw SyntaxError(
                        reason:
                            "column \(openColumn): unterminated string: a new entry starts at line \(line) before its closing '\"'",
                        line: openLine
                    )
                }
                continue
            }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                pos += 1
                continue
            }
            pos += 1
            guard pos < end else { break }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard end - pos >= 4 else { throw error("expected 4 hex digits after \\u") }
                var v: UInt32 = 0
                for _ in 0..<4 {
                    guard let h = ByteText.hexValue(bytes[pos]) else {
                        throw error("expected 4 hex digits after \\u, found \(found())")
                    }
                    v = v << 4 | h
                    pos += 1
                }
                if v >= 0xD800 && v < 0xE000 {
                    // A surrogate pair written as two escapes (Clojure prints them so).
                    if v < 0xDC00, end - pos >= 6, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    {
                        var low: UInt32 = 0
                        var valid = true
                        for i in 0..<4 {
                            guard let h = ByteText.hexValue(bytes[pos + 2 + i]) else {
                                valid = false
                                break
                            }
                            low = low << 4 | h
                        }
                        if valid && low >= 0xDC00 && low < 0xE000 {
                            pos += 6
                            v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                            ByteText.appendUTF8(v, to: &out)
                            continue
                        }
                    }
                    throw error("unpaired surrogate \\u\(String(v, radix: 16, uppercase: true)) in a string")
                }
                ByteText.appendUTF8(v, to: &out)
            default:
                pos -= 1
                throw error("invalid escape '\\\(ByteText.describe(e).trimmingQuotes)' in a string")
            }
        }
        throw SyntaxError(reason: "column \(openColumn): unterminated string", line: openLine)
    }

    private mutating func readCharacter() throws(SyntaxError) -> String {
        pos += 1
        guard pos < end else { throw error("a '\\' at end of file (expected a character such as \\a)") }
        let start = pos
        if Self.isDelimiter(bytes[pos]) {
            guard bytes[pos] != 0x0A, bytes[pos] != 0x0D else { throw error("expected a character after '\\'") }
            pos += 1
            return ByteText.string(bytes, start, pos)
        }
        while pos < end && !Self.isDelimiter(bytes[pos]) { pos += 1 }
        let token = ByteText.string(bytes, start, pos)
        if token.unicodeScalars.count == 1 { return token }
        switch token {
        case "newline": return "\n"
        case "space": return " "
        case "tab": return "\t"
        case "return": return "\r"
        case "formfeed": return "\u{0C}"
        case "backspace": return "\u{08}"
        default:
            if token.utf8.count == 5, token.hasPrefix("u"), let v = UInt32(token.dropFirst(), radix: 16),
                let scalar = Unicode.Scalar(v)
            {
                return String(Character(scalar))
            }
            pos = start - 1
            throw error("unknown character literal \\\(token)")
        }
    }

    /// Numbers, symbols, nil, true, false.
    private mutating func readAtom() throws(SyntaxError) -> EDNValue {
        let start = pos
        while pos < end && !Self.isDelimiter(bytes[pos]) { pos += 1 }
        let b0 = bytes[start]
        let signed = b0 == UInt8(ascii: "-") || b0 == UInt8(ascii: "+")
        if ByteText.isDigit(b0) || (signed && pos - start > 1 && ByteText.isDigit(bytes[start + 1])) {
            return try number(start, pos)
        }
        let length = pos - start
        if length == 3 && b0 == UInt8(ascii: "n") && bytes[start + 1] == UInt8(ascii: "i")
            && bytes[start + 2] == UInt8(ascii: "l")
        {
            return .nil
        }
        let token = ByteText.string(bytes, start, pos)
        switch token {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default: return .symbol(token)
        }
    }

    private mutating func number(_ start: Int, _ stop: Int) throws(SyntaxError) -> EDNValue {
        var i = start
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var value: Int64 = 0
        var overflow = false
        while i < stop, ByteText.isDigit(bytes[i]) {
            let digit = Int64(bytes[i] - 0x30)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            value = s
            i += 1
        }
        let text = ByteText.string(bytes, start, stop)
        if i == stop || (i + 1 == stop && bytes[i] == UInt8(ascii: "N")) {
            if overflow {
                pos = start
                throw error("integer \(text) is outside the 64-bit range")
            }
            return .int(value)
        }
        // Floats (1.5, 1e3, 1.5M) and ratios (1/2): validated loosely, kept as text.
        for j in i..<stop {
            switch bytes[j] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "M"):
                continue
            default:
                pos = start
                throw error("invalid number \(text)")
            }
        }
        return .float(text)
    }
}

extension String {
    /// `'x'` -> `x`, for embedding a described byte in a message.
    fileprivate var trimmingQuotes: String {
        if count >= 3, hasPrefix("'"), hasSuffix("'") {
            return String(dropFirst().dropLast())
        }
        return self
    }
}
