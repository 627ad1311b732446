#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Output helpers of the client commands and the demo shell.
enum Console {
    /// Writes `line` and a newline to stderr.
    static func error(_ line: String) {
        writeAll(2, Array((line + "\n").utf8))
    }

    /// Writes raw bytes to stdout.
    static func write(_ bytes: [UInt8]) {
        writeAll(1, bytes)
    }

    /// Writes `line` and a newline to stdout.
    static func print(_ line: String) {
        writeAll(1, Array((line + "\n").utf8))
    }

    /// Writes `text` to stdout without a newline (a prompt).
    static func prompt(_ text: String) {
        writeAll(1, Array(text.utf8))
    }

    /// Unbuffered: the output of the demo's shell and of the node processes interleave in order.
    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Left-aligned columns separated by two spaces; the first row is the header.
    static func table(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// `1.5 KiB`, `20.0 MiB`.
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(count) B" }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }

    /// `3h 2m 5s`, `41s`.
    static func duration(millis: UInt64) -> String {
        let seconds = millis / 1000
        let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60)
        if h > 0 { return "\(h)h \(m)m \(s)s" }
        if m > 0 { return "\(m)m \(s)s" }
        return "\(s)s"
    }
}
