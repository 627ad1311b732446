/// Small helpers for parsers that work over UTF-8 bytes.
enum ByteText {
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09

    /// Where the text starts once a UTF-8 byte order mark is skipped.
    static func contentStart(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            return 3
        }
        return 0
    }

    /// Calls `body(lineNumber, start, end)` for each line; `end` excludes the `\n` and a trailing `\r`.
    static func forEachLine(
        _ bytes: UnsafeBufferPointer<UInt8>,
        firstLine: Int = 1,
        _ body: (_ line: Int, _ start: Int, _ end: Int) -> Void
    ) {
        var start = firstLine == 1 ? contentStart(bytes) : 0
        var line = firstLine
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != newline {
                end += 1
            }
            let next = end + 1
            if end > start && bytes[end - 1] == carriageReturn {
                end -= 1
            }
            body(line, start, end)
            line += 1
            start = next
        }
    }

    static func isBlank(_ b: UInt8) -> Bool {
        b == space || b == tab || b == carriageReturn || b == newline || b == 0x0C || b == 0x0B
    }

    static func isDigit(_ b: UInt8) -> Bool {
        b >= 0x30 && b <= 0x39
    }

    /// A readable name for a byte in an error message: `'x'`, `tab`, `byte 0x07`.
    static func describe(_ b: UInt8) -> String {
        switch b {
        case newline: return "end of line"
        case carriageReturn: return "carriage return"
        case tab: return "tab"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(b)))'"
        case space: return "space"
        default: return "byte 0x" + String(b, radix: 16, uppercase: true)
        }
    }

    /// A readable excerpt of at most `limit` bytes for error messages.
    static func excerpt(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, limit: Int = 40) -> String {
        let stop = min(end, start + limit)
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<stop]), as: UTF8.self)
        return stop < end ? text + "..." : text
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// Appends the UTF-8 encoding of a code point.
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        if scalar < 0x80 {
            out.append(UInt8(scalar))
        } else if scalar < 0x800 {
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        } else if scalar < 0x10000 {
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }
}
