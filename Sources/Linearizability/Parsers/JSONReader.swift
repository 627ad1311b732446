/// A small, strict JSON reader over UTF-8 bytes (RFC 8259), for one line of a JSONL history.
///
/// It keeps integers as `Int64` (Foundation's JSONSerialization does not), decodes `\uXXXX` escapes including
/// surrogate pairs, and reports the byte column of any error. Nesting is limited to `maxDepth`.
struct JSONReader {
    static let maxDepth = 64

    let bytes: UnsafeBufferPointer<UInt8>
    /// The first byte of the line, for columns.
    let lineStart: Int
    /// One past the last byte this reader may look at.
    let end: Int
    var pos: Int

    init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) {
        self.bytes = bytes
        self.lineStart = start
        self.end = end
        self.pos = start
    }

    var column: Int { pos - lineStart + 1 }

    func error(_ what: String) -> SyntaxError {
        SyntaxError(reason: "column \(column): \(what)")
    }

    func found() -> String {
        pos < end ? ByteText.describe(bytes[pos]) : "end of line"
    }

    mutating func skipWhitespace() {
        while pos < end {
            let b = bytes[pos]
            if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A {
                pos += 1
            } else {
                return
            }
        }
    }

    var atEnd: Bool { pos >= end }

    var peek: UInt8? { pos < end ? bytes[pos] : nil }

    mutating func expect(_ b: UInt8, _ what: String) throws(SyntaxError) {
        guard pos < end, bytes[pos] == b else {
            throw error("expected \(what), found \(found())")
        }
        pos += 1
    }

    mutating func parseValue(depth: Int = 0) throws(SyntaxError) -> JSONValue {
        skipWhitespace()
        guard pos < end else {
            throw error("expected a value, found end of line")
        }
        switch bytes[pos] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
            pos += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                pos += 1
                return .array(items)
            }
            while true {
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard let b = peek else { throw error("unterminated array: expected ',' or ']', found end of line") }
                pos += 1
                if b == UInt8(ascii: "]") { return .array(items) }
                if b != UInt8(ascii: ",") {
                    pos -= 1
                    throw error("expected ',' or ']' in array, found \(found())")
                }
            }
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth) levels") }
            var fields: [(String, JSONValue)] = []
            try parseObject { (reader, name) throws(SyntaxError) in
                fields.append((name, try reader.parseValue(depth: depth + 1)))
            }
            return .object(fields)
        case UInt8(ascii: "t"):
            try parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try parseLiteral("null")
            return .null
        default:
            throw error("expected a value, found \(found())")
        }
    }

    /// Reads `{ "name": value, ... }`, calling `field` with the reader positioned at each value; `field` must
    /// consume the value.
    mutating func parseObject(
        _ field: (inout JSONReader, String) throws(SyntaxError) -> Void
    ) throws(SyntaxError) {
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "'{'")
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            pos += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else {
                throw error("expected a field name in double quotes, found \(found())")
            }
            let name = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after field name \"\(name)\"")
            try field(&self, name)
            skipWhitespace()
            guard let b = peek else { throw error("unterminated object: expected ',' or '}', found end of line") }
            pos += 1
            if b == UInt8(ascii: "}") { return }
            if b != UInt8(ascii: ",") {
                pos -= 1
                throw error("expected ',' or '}' after a field, found \(found())")
            }
        }
    }

    mutating func parseLiteral(_ word: StaticString) throws(SyntaxError) {
        let start = pos
        let count = word.utf8CodeUnitCount
        var ok = end - pos >= count
        if ok {
            word.withUTF8Buffer { w in
                for i in 0..<count where bytes[start + i] != w[i] {
                    ok = false
                }
            }
        }
        guard ok else {
            throw error("expected a value, found \(found())")
        }
        pos += count
    }

    mutating func parseNumber() throws(SyntaxError) -> JSONValue {
        let start = pos
        var negative = false
        if bytes[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        guard pos < end, ByteText.isDigit(bytes[pos]) else {
            throw error("expected a digit after '-', found \(found())")
        }
        if bytes[pos] == UInt8(ascii: "0"), pos + 1 < end, ByteText.isDigit(bytes[pos + 1]) {
            throw error("numbers must not have leading zeros")
        }
        var value: Int64 = 0
        var overflow = false
        while pos < end, ByteText.isDigit(bytes[pos]) {
            let digit = Int64(bytes[pos] - 0x30)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            value = s
            pos += 1
        }
        var isFloat = false
        if pos < end, bytes[pos] == UInt8(ascii: ".") {
            isFloat = true
            pos += 1
            guard pos < end, ByteText.isDigit(bytes[pos]) else {
                throw error("expected a digit after '.', found \(found())")
            }
            while pos < end, ByteText.isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < end, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isFloat = true
            pos += 1
            if pos < end, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < end, ByteText.isDigit(bytes[pos]) else {
                throw error("expected a digit in the exponent, found \(found())")
            }
            while pos < end, ByteText.isDigit(bytes[pos]) { pos += 1 }
        }
        if isFloat {
            return .float(ByteText.string(bytes, start, pos))
        }
        if overflow {
            let saved = pos
            pos = start
            defer { pos = saved }
            throw error("integer \(ByteText.string(bytes, start, saved)) is outside the 64-bit range")
        }
        return .int(value)
    }

    /// Reads a string starting at the opening quote.
    mutating func parseString() throws(SyntaxError) -> String {
        let open = pos
        pos += 1
        let start = pos
        // Fast path: no escapes.
        while pos < end {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let s = ByteText.string(bytes, start, pos)
                pos += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 {
                throw error("control character \(ByteText.describe(b)) inside a string (escape it)")
            }
            pos += 1
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        while pos < end {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: out, as: UTF8.self)
            }
            if b < 0x20 {
                throw error("control character \(ByteText.describe(b)) inside a string (escape it)")
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
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard end - pos >= 6, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired high surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                    }
                    pos += 2
                    let low = try parseHex4()
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw error("high surrogate not followed by a low surrogate")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw error("unpaired low surrogate \\u\(String(scalar, radix: 16, uppercase: true))")
                }
                ByteText.appendUTF8(scalar, to: &out)
            default:
                pos -= 1
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string")
            }
        }
        pos = open
        throw error("unterminated string")
    }

    mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        guard end - pos >= 4 else {
            throw error("expected 4 hex digits after \\u")
        }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let h = ByteText.hexValue(bytes[pos]) else {
                throw error("expected 4 hex digits after \\u, found \(found())")
            }
            v = v << 4 | h
            pos += 1
        }
        return v
    }
}
