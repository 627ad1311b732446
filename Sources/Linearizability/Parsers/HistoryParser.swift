#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads history files in any of the `HistoryFormat`s into `[HistoryEvent]`.
///
/// Parsing works over the UTF-8 bytes and does not stop at the first bad line: it throws `HistoryParseErrors`
/// listing every malformed line (file, line, reason). Whole-file problems (unreadable file, format not
/// recognised) are thrown the same way with line 0.
public enum HistoryParser {
    /// Reads and parses the file at `path`.
    /// JSONL is read and parsed a chunk of lines at a time (the file is never held whole); other formats whole.
    public static func parse(contentsOf path: String, format: HistoryFormat) throws -> ParsedHistory {
        var events: [HistoryEvent] = []
        let streamed = try streamJSONL(path, format: format) { fileSize in
            events.reserveCapacity(2 * fileSize / 80)
        } each: {
            events.append($0)
        }
        if streamed { return ParsedHistory(events: events, format: .jsonl, suggestedModel: nil) }
        let bytes = try readFile(path)
        return try parse(bytes: bytes, format: format, fileName: path)
    }

    /// Reads the file at `path` and pairs its events into a ``History``, for checking it.
    ///
    /// JSONL events are paired as they are read, a chunk of lines at a time, so neither the file nor its events
    /// are ever held whole: the operations are all that stays (a JSONL file whose times all exist but go
    /// backwards somewhere is read a second time, as events, to be ordered by time first). Other formats are
    /// parsed whole, then paired.
    /// - Throws: ``HistoryParseErrors`` for malformed input (every bad line), else ``HistoryError`` for events
    ///   that cannot be paired.
    public static func loadHistory(contentsOf path: String, format: HistoryFormat) throws -> LoadedHistory {
        var builder = HistoryBuilder()
        let streamed = try streamJSONL(path, format: format) { fileSize in
            builder = HistoryBuilder(expectedEvents: fileSize / 40)
        } each: {
            builder.add($0)
        }
        if streamed && !builder.needsTimeOrdering {
            return LoadedHistory(history: try builder.build(), format: .jsonl, suggestedModel: nil)
        }
        builder = HistoryBuilder()  // frees its operations before the second reading
        let parsed = try parse(contentsOf: path, format: format)
        return LoadedHistory(
            history: try History(events: parsed.events),
            format: parsed.format,
            suggestedModel: parsed.suggestedModel
        )
    }

    /// Reads `path` in 1 MiB chunks and parses the whole lines of each as JSONL, handing every event to `each`
    /// in file order (`start` gets the file's size first, to reserve space). False (nothing handed over) when
    /// the format is neither `.jsonl` nor `.auto` detected as JSONL from the first chunk.
    /// - Throws: ``HistoryParseErrors`` after the whole file when any line is malformed.
    static func streamJSONL(
        _ path: String,
        format: HistoryFormat,
        start: (_ fileSize: Int) -> Void,
        each: (HistoryEvent) -> Void
    ) throws(HistoryParseErrors) -> Bool {
        guard format == .jsonl || format == .auto else { return false }
        let fd = try openFile(path)
        defer { close(fd) }
        let chunkSize = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0  // bytes in `buffer`: the carried partial line, then the new chunk
        var line = 1
        var errors = ParseErrorCollector(file: path)
        var first = true
        while true {
            if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }  // long line
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "read")
            }
            filled += n
            let atEnd = n == 0
            if first {
                first = false
                if format == .auto {
                    let detected = buffer.withUnsafeBufferPointer { detect(UnsafeBufferPointer(rebasing: $0[0..<filled])) }
                    if detected != .jsonl { return false }
                }
                start(max(fileSize(fd), 0))
            }
            // Parse up to the last newline (everything at the end); keep the partial line for the next chunk.
            var cut = filled
            if !atEnd {
                while cut > 0 && buffer[cut - 1] != ByteText.newline { cut -= 1 }
                if cut == 0 { continue }  // no whole line yet: read more
            }
            buffer.withUnsafeBufferPointer { b in
                let lines = UnsafeBufferPointer(rebasing: b[0..<cut])
                JSONLHistoryParser.parse(lines, firstLine: line, errors: &errors, each: each)
                for byte in lines where byte == ByteText.newline { line += 1 }
            }
            if atEnd { break }
            buffer.withUnsafeMutableBytes { raw in
                if cut < filled { raw.baseAddress!.copyMemory(from: raw.baseAddress! + cut, byteCount: filled - cut) }
            }
            filled -= cut
        }
        try errors.throwIfAny()
        return true
    }

    private static func failure(_ path: String, _ what: String) -> HistoryParseErrors {
        let message = String(cString: strerror(errno))
        return HistoryParseErrors(errors: [
            HistoryParseError(file: path, line: 0, reason: "cannot \(what) the history file: \(message)")
        ])
    }

    private static func fileSize(_ fd: Int32) -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Opens a history file for reading; a directory is an error.
    private static func openFile(_ path: String) throws(HistoryParseErrors) -> Int32 {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw failure(path, "open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = failure(path, "stat")
            close(fd)
            throw e
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw HistoryParseErrors(errors: [
                HistoryParseError(file: path, line: 0, reason: "is a directory, not a history file")
            ])
        }
        return fd
    }

    /// Parses `text`; `fileName` is only used in error messages.
    public static func parse(text: String, format: HistoryFormat, fileName: String) throws -> ParsedHistory {
        try parse(bytes: Array(text.utf8), format: format, fileName: fileName)
    }

    /// Parses UTF-8 bytes; `fileName` is only used in error messages.
    public static func parse(bytes: [UInt8], format: HistoryFormat, fileName: String) throws -> ParsedHistory {
        try bytes.withUnsafeBufferPointer { buffer throws(HistoryParseErrors) in
            try parse(buffer: buffer, format: format, fileName: fileName)
        }
    }

    /// The format of `text`, judged from its first lines; nil when it is empty or matches no known format.
    ///
    /// - A first line starting with `INFO  jepsen.util` is `porcupineEtcd`.
    /// - `{` followed by `"` is `jsonl`.
    /// - `{:`, `[`, `(`, `;` or `#` is `edn`, or `porcupineKV` when the first entries all carry `:key` and
    ///   `:f :get`, `:f :put` or `:f :append`. (`parse(..., format: .auto)` decides kv from all entries.)
    public static func detectFormat(text: String) -> HistoryFormat? {
        Array(text.utf8).withUnsafeBufferPointer { detect($0) }
    }

    static func detect(_ bytes: UnsafeBufferPointer<UInt8>) -> HistoryFormat? {
        var pos = ByteText.contentStart(bytes)
        while pos < bytes.count && ByteText.isBlank(bytes[pos]) { pos += 1 }
        guard pos < bytes.count else { return nil }
        let lineStart = pos
        var lineEnd = pos
        while lineEnd < bytes.count && bytes[lineEnd] != ByteText.newline { lineEnd += 1 }
        let etcdMarker: StaticString = "INFO  jepsen.util"
        let isEtcd = etcdMarker.withUTF8Buffer { m in
            guard lineEnd - lineStart >= m.count else { return false }
            for i in 0..<m.count where bytes[lineStart + i] != m[i] {
                return false
            }
            return true
        }
        if isEtcd { return .porcupineEtcd }
        switch bytes[pos] {
        case UInt8(ascii: "{"):
            var p = pos + 1
            while p < bytes.count && ByteText.isBlank(bytes[p]) { p += 1 }
            guard p < bytes.count else { return nil }
            if bytes[p] == UInt8(ascii: "\"") { return .jsonl }
            if bytes[p] == UInt8(ascii: ":") { return sampleLooksLikeKV(bytes, from: pos) ? .porcupineKV : .edn }
            return nil
        case UInt8(ascii: "["), UInt8(ascii: "("), UInt8(ascii: ";"), UInt8(ascii: "#"):
            if isJSONArray(bytes, from: pos) { return nil }
            return sampleLooksLikeKV(bytes, from: pos) ? .porcupineKV : .edn
        default:
            return nil
        }
    }

    /// Whether the text at `from` opens a JSON array of objects: `[` then `{` then `"`.
    private static func isJSONArray(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Bool {
        guard bytes[from] == UInt8(ascii: "[") else { return false }
        var p = from + 1
        for want in [UInt8(ascii: "{"), UInt8(ascii: "\"")] {
            while p < bytes.count && ByteText.isBlank(bytes[p]) { p += 1 }
            guard p < bytes.count, bytes[p] == want else { return false }
            p += 1
        }
        return true
    }

    /// Whether the first (up to 50) lines holding a map all look like Porcupine kv entries.
    private static func sampleLooksLikeKV(_ bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Bool {
        var seen = 0
        var allMatch = true
        var pos = from
        while pos < bytes.count && seen < 50 {
            var end = pos
            while end < bytes.count && bytes[end] != ByteText.newline { end += 1 }
            let line = ByteText.string(bytes, pos, end)
            if line.contains("{:") {
                seen += 1
                let kv =
                    line.contains(":key ")
                    && (line.contains(":f :get") || line.contains(":f :put") || line.contains(":f :append"))
                if !kv {
                    allMatch = false
                    break
                }
            }
            pos = end + 1
        }
        return seen > 0 && allMatch
    }

    static func parse(buffer: UnsafeBufferPointer<UInt8>, format: HistoryFormat, fileName: String)
        throws(HistoryParseErrors) -> ParsedHistory
    {
        var errors = ParseErrorCollector(file: fileName)
        switch format {
        case .auto:
            guard let detected = detect(buffer) else {
                throw HistoryParseErrors(errors: [
                    HistoryParseError(file: fileName, line: 0, reason: undetectableReason(buffer))
                ])
            }
            switch detected {
            case .edn, .porcupineKV:
                let events = EDNHistoryParser.parse(buffer, errors: &errors)
                try errors.throwIfAny()
                let kv = EDNHistoryParser.looksLikeKV(events)
                return ParsedHistory(events: events, format: kv ? .porcupineKV : .edn, suggestedModel: kv ? "kv" : nil)
            case .auto, .jsonl, .porcupineEtcd:
                return try parse(buffer: buffer, format: detected, fileName: fileName)
            }
        case .jsonl:
            let events = JSONLHistoryParser.parse(buffer, errors: &errors)
            try errors.throwIfAny()
            return ParsedHistory(events: events, format: .jsonl, suggestedModel: nil)
        case .edn:
            let events = EDNHistoryParser.parse(buffer, errors: &errors)
            try errors.throwIfAny()
            return ParsedHistory(events: events, format: .edn, suggestedModel: nil)
        case .porcupineKV:
            let events = EDNHistoryParser.parse(buffer, errors: &errors)
            for event in events where event.key == nil || !EDNHistoryParser.isKVFunction(event.f) {
                errors.add(
                    line: event.line,
                    event.key == nil
                        ? "porcupine-kv entries need a :key"
                        : "porcupine-kv entries have :f :get, :put or :append, found :\(event.f)"
                )
            }
            try errors.throwIfAny()
            return ParsedHistory(events: events, format: .porcupineKV, suggestedModel: "kv")
        case .porcupineEtcd:
            let events = PorcupineEtcdParser.parse(buffer, errors: &errors)
            try errors.throwIfAny()
            return ParsedHistory(events: events, format: .porcupineEtcd, suggestedModel: "cas-register")
        }
    }

    private static func undetectableReason(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var pos = ByteText.contentStart(bytes)
        while pos < bytes.count && ByteText.isBlank(bytes[pos]) { pos += 1 }
        guard pos < bytes.count else {
            return
                "the file is empty: there is no event to detect the format from (pass --format to read it as an empty history)"
        }
        if isJSONArray(bytes, from: pos) {
            return "the file is a JSON array of objects; Tessera reads one JSON object per line (JSONL, "
                + "{\"process\": ...} on each line, no enclosing [ ])"
        }
        var end = pos
        while end < bytes.count && bytes[end] != ByteText.newline && bytes[end] != ByteText.carriageReturn { end += 1 }
        return
            "cannot detect the format from '\(ByteText.excerpt(bytes, pos, end))': expected a JSON object per line ({\"process\": ...}), "
            + "EDN maps ({:process ...}, [...], (...)) or Porcupine etcd lines (INFO  jepsen.util - ...); pass --format"
    }

    /// Reads a whole file with POSIX calls.
    static func readFile(_ path: String) throws(HistoryParseErrors) -> [UInt8] {
        let fd = try openFile(path)
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fileSize(fd) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(path, "read")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}
