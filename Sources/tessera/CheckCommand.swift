import ArgumentParser
import Linearizability

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `tessera check FILE...`: checks histories for linearizability.
///
/// Exit codes: 0 all linearizable, 1 some history not linearizable, 2 no verdict for some (timeout or memory
/// limit) and none not linearizable, 3 bad input (unreadable file, malformed lines, operations that do not fit
/// the model); bad input wins over the others. See docs/checker.md.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check histories for linearizability (exit 0 yes, 1 no, 2 unknown, 3 bad input).",
        discussion: """
            Formats: jsonl (Tessera's, docs/checker.md), edn (Jepsen/Knossos), porcupine-etcd, porcupine-kv; \
            auto tells them apart. Models: register, cas-register, kv, mutex, multi-register; the default comes \
            from the format (etcd: cas-register, kv logs: kv) or from the functions used.
            Register keys whose written values are all distinct are decided from their read-mapping in \
            O(n log n) instead of searched (--no-fast-path turns that off). On a terminal, a progress line on \
            standard error shows keys and operations done. `tessera generate-history --help`: simulated histories.
            """
    )

    @Argument(help: "History files.")
    var files: [String]

    @Option(help: "Input format: auto, jsonl, edn, porcupine-etcd, porcupine-kv.")
    var format: String = "auto"

    @Option(help: "Model: register, cas-register, kv, mutex, multi-register (default: from the format or ops).")
    var model: String?

    @Option(help: "Initial value of every register (an integer, nil, or a string; kv: the initial string).")
    var initial: String?

    @Flag(help: "Check the whole history against one model of all keys instead of each key on its own.")
    var noSplit = false

    @Flag(help: "Keep checking the other keys after one is not linearizable.")
    var allKeys = false

    @Option(help: "Give up with 'unknown' after this many seconds per file.")
    var timeout: Double?

    @Option(
        help: "Give up with 'unknown' when the process's resident memory would exceed this many MB (default: half the RAM)."
    )
    var memoryLimit: Int?

    @Flag(help: "Search every key, also unique-value register keys that the read-mapping would decide.")
    var noFastPath = false

    @Option(help: "Threads checking keys in parallel (default: all cores).")
    var threads: Int?

    @Option(help: "Check each file this many times and report the fastest check (for benchmarking).")
    var `repeat`: Int = 1

    @Option(help: "Write a self-contained HTML timeline of the results to this file.")
    var html: String?

    @Flag(help: "Print one JSON object per file instead of text.")
    var json = false

    func validate() throws {
        guard HistoryFormat(rawValue: format) != nil else {
            throw ValidationError(
                "--format \(format) is unknown; use one of "
                    + HistoryFormat.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        if let model, ModelKind(rawValue: model) == nil {
            throw ValidationError(
                "--model \(model) is unknown; use one of " + ModelKind.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        if let timeout, !(timeout >= 0) { throw ValidationError("--timeout must be 0 or more seconds") }
        if let memoryLimit, memoryLimit <= 0 { throw ValidationError("--memory-limit must be at least 1 MB") }
        if let threads, threads <= 0 { throw ValidationError("--threads must be at least 1") }
        if `repeat` <= 0 { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let requestedFormat = HistoryFormat(rawValue: format)!
        var badInput = false
        var anyIllegal = false
        var anyUnknown = false
        var timelines: [Timeline] = []
        for file in files {
            let clock = ContinuousClock()
            let parseStart = clock.now
            let loaded: LoadedHistory
            do {
                // Pairs events as the file is read: neither the file nor its events are held (only operations).
                loaded = try HistoryParser.loadHistory(contentsOf: file, format: requestedFormat)
            } catch let e as HistoryParseErrors {
                badInput = true
                report(file: file, problems: e.errors.map { ($0.line, $0.reason) }, total: e.totalCount)
                continue
            } catch let e as HistoryError {
                badInput = true
                report(file: file, problems: e.problems.map { ($0.line, $0.reason) }, total: e.problems.count)
                continue
            }
            let parseSeconds = (clock.now - parseStart).seconds
            let history = loaded.history
            var options = makeOptions(loaded: loaded)
            var result: CheckResult
            let progress = isatty(2) != 0 ? CheckProgressLine(file: file, options: &options) : nil
            defer { progress?.finish() }
            do {
                result = try LinearizabilityChecker.check(history, options: options)
                for _ in 1..<`repeat` {
                    let again = try LinearizabilityChecker.check(history, options: options)
                    if again.seconds < result.seconds { result = again }
                }
            } catch {
                badInput = true
                report(file: file, problems: error.problems.map { ($0.line, $0.reason) }, total: error.problems.count)
                continue
            }
            switch result.verdict {
            case .linearizable: break
            case .notLinearizable: anyIllegal = true
            case .unknown: anyUnknown = true
            }
            if json {
                print(
                    result.renderJSON(
                        file: file,
                        extra: [("format", "\"\(loaded.format.rawValue)\""), ("parseSeconds", "\(parseSeconds)")]
                    )
                )
            } else {
                print(result.renderText(name: file), terminator: "")
            }
            if html != nil { timelines += result.timelines(name: files.count > 1 ? file : "") }
        }
        if let html {
            let title = files.count == 1 ? "Linearizability: \(files[0])" : "Linearizability: \(files.count) histories"
            if !writeFile(html, HTMLTimeline.render(timelines, title: title)) {
                printError("cannot write \(html): \(String(cString: strerror(errno)))")
                badInput = true
            }
        }
        if badInput { throw ExitCode(3) }
        if anyIllegal { throw ExitCode(1) }
        if anyUnknown { throw ExitCode(2) }
    }

    private func makeOptions(loaded: LoadedHistory) -> CheckOptions {
        let kind =
            model.flatMap(ModelKind.init(rawValue:)) ?? loaded.suggestedModel.flatMap(ModelKind.init(rawValue:))
            ?? ModelKind.infer(from: loaded.history.operations)
        var options = CheckOptions(
            model: kind,
            initialValue: initial.map(Self.parseValue) ?? .null,
            // Knossos's rule for Jepsen EDN: a nil read means "unknown". Elsewhere nil is the absent value.
            nilReadIsUnknown: loaded.format == .edn,
            splitByKey: !noSplit,
            timeout: timeout.map { .nanoseconds(Int64(($0 * 1e9).rounded(.down))) },
            checkAllKeys: allKeys,
            readMappingFastPath: !noFastPath
        )
        if let memoryLimit { options.memoryLimitBytes = memoryLimit << 20 }
        if let threads { options.parallelism = threads }
        return options
    }

    /// `--initial`: an integer, `nil`/`null`, a quoted string, or else the text as a string.
    static func parseValue(_ text: String) -> HistoryValue {
        if let i = Int64(text) { return .int(i) }
        if text == "nil" || text == "null" { return .null }
        if text.count >= 2, text.first == "\"", text.last == "\"" {
            return .string(String(text.dropFirst().dropLast()))
        }
        return .string(text)
    }

    private func report(file: String, problems: [(Int, String)], total: Int) {
        for (line, reason) in problems.prefix(50) {
            printError(line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)")
        }
        if total > 50 { printError("\(file): ... and \(total - 50) more malformed lines") }
        if json {
            let items = problems.map { "{\"line\":\($0.0),\"reason\":\(JSONText.quoted($0.1))}" }
            print("{\"file\":\(JSONText.quoted(file)),\"valid\":null,\"errors\":[\(items.joined(separator: ","))]}")
        }
    }

    private func printError(_ s: String) {
        let bytes = Array(("tessera check: " + s + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    private func writeFile(_ path: String, _ text: String) -> Bool {
        guard let f = fopen(path, "w") else { return false }
        defer { fclose(f) }
        let bytes = Array(text.utf8)
        return fwrite(bytes, 1, bytes.count, f) == bytes.count
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
