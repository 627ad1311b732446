import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Catches SIGINT, SIGTERM and SIGHUP while the demo runs: stops every node, then exits with 128 + signal.
///
/// The signals are ignored at the process level and delivered through Dispatch sources, so the handler runs
/// as ordinary code (not in a signal context) and can wait for the children.
final class DemoSignals {
    private let sources: [any DispatchSourceSignal]

    init(cleanup: DemoCleanup) {
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                Console.error("\nsignal \(signalNumber): stopping every node")
                cleanup.run()
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Stops catching the signals (the normal exit path).
    func cancel() {
        for source in sources { source.cancel() }
    }
}
