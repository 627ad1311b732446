import Dispatch
import Linearizability

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The progress line of `tessera check` on a terminal: four times a second, on standard error, the keys done,
/// the operations of finished keys and the search steps so far; erased when the check ends.
final class CheckProgressLine {
    private let timer: DispatchSourceTimer
    private let progress = CheckProgress()

    /// Starts the line for `file` and hooks it into `options`. Nothing is printed for checks under half a second.
    init(file: String, options: inout CheckOptions) {
        options.progress = progress
        let progress = self.progress
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "tessera.check.progress"))
        timer.schedule(deadline: .now() + .milliseconds(500), repeating: .milliseconds(250))
        timer.setEventHandler {
            let p = progress.snapshot
            guard p.keys > 0 else { return }
            let percent = p.operations > 0 ? p.operationsDone * 100 / p.operations : 100
            CheckProgressLine.write(
                "\r\u{1B}[K\(file): keys \(p.keysDone)/\(p.keys), operations \(p.operationsDone)/\(p.operations) "
                    + "(\(percent)%), \(p.steps) search steps"
            )
        }
        timer.resume()
    }

    /// Stops the line and erases it.
    func finish() {
        timer.cancel()
        CheckProgressLine.write("\r\u{1B}[K")
    }

    private static func write(_ text: String) { writeToStderr(text) }
}

private func writeToStderr(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { raw in _ = write(2, raw.baseAddress, raw.count) }
}
