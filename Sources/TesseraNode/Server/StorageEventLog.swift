import Logging
import TesseraCore
import TesseraStorage

/// The storage engine has no logger: the node gives it an event handler that writes each `StorageEvent` to the
/// node's log once, at a level that matches its severity, with the file and cause.
enum StorageEventLog {
    /// A handler for `StorageOptions.eventHandler` that logs to `log` (component "storage").
    static func handler(_ log: Logger) -> @Sendable (StorageEvent) -> Void {
        var storageLog = log
        storageLog[metadataKey: "component"] = "storage"
        let sink = storageLog
        return { event in
            let level: Logger.Level
            switch event.severity {
            case .info: level = .notice
            case .soft: level = .warning
            case .hard, .unrecoverable: level = .error
            }
            sink.log(
                level: level,
                "storage \(event.kind.rawValue): \(event.message)",
                metadata: [
                    "file": "\(event.file)",
                    "operation": "\(event.operation.rawValue)",
                    "severity": "\(event.severity.rawValue)",
                ]
            )
        }
    }

    /// Rewrites a start failure caused by a full disk so it says so, with the free space left.
    static func explainNoSpace(_ error: TesseraError, directory: String) -> TesseraError {
        let free = POSIXFileSystem().availableBytes(directory)
        let looksFull = error.message.contains("errno 28") || error.message.contains("disk is full")
            || (free.map { $0 < 64 << 10 } ?? false)
        guard looksFull else { return error }
        return TesseraError(
            .storage,
            "disk full: \(directory) has \(free.map(String.init) ?? "unknown") bytes free; free some space and "
                + "start again (\(error.message))"
        )
    }
}
