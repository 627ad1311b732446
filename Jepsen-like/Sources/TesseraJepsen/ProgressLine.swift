#if canImport(Glibc)
    import Glibc
#endif

/// The one-line progress report on standard error while a run works: elapsed time, operations, ok/fail/info
/// so far, the fault in force. Rewritten in place on a terminal; a line every 5 s otherwise.
struct ProgressLine: Sendable {
    let enabled: Bool
    private let terminal = isatty(2) != 0

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ counts: HistoryRecorder.Counts, elapsed: Int64, fault: String?) {
        guard enabled else { return }
        let seconds = Double(elapsed) / 1e9
        if !terminal {
            // About every 5 s (the ticker runs every 0.5 s).
            guard Int(seconds * 2) % 10 == 0 else { return }
        }
        let line = text(counts, seconds: seconds, fault: fault)
        write(terminal ? "\r\u{1B}[K" + line : line + "\n")
    }

    func finish(_ counts: HistoryRecorder.Counts, elapsed: Int64) {
        guard enabled else { return }
        let line = text(counts, seconds: Double(elapsed) / 1e9, fault: "done")
        write(terminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
    }

    private func text(_ counts: HistoryRecorder.Counts, seconds: Double, fault: String?) -> String {
        let t = String(Double(Int(seconds * 10)) / 10)
        return "\(t)s  ops \(counts.invoked)  ok \(counts.ok)  fail \(counts.fail)  info \(counts.info)  "
            + "fault: \(fault ?? "none")"
    }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
