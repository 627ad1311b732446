/// Why a local cluster could not be started or controlled.
public enum ClusterLauncherError: Error, Hashable, Sendable, CustomStringConvertible {
    case executableNotFound(String)
    case spawnFailed(executable: String, reason: String)
    case portInUse(Int, host: String)
    case noFreePort(reason: String)
    case unknownNode(String)
    case alreadyRunning(String)
    case exitedDuringStartup(node: String, exit: String, logPath: String, logTail: String)
    case notReady(node: String, address: String, waitedMillis: Int64, logPath: String)
    case peersNotConnected(String)
    case badSetting(String)
    case fileSystem(String)

    public var description: String {
        switch self {
        case .executableNotFound(let path):
            return "cannot find the tessera executable at \(path); build it with `swift build --product tessera`"
        case .spawnFailed(let executable, let reason):
            return "cannot start \(executable): \(reason)"
        case .portInUse(let port, let host):
            return "port \(port) on \(host) is in use; pick another port (or omit it to use free ports)"
        case .noFreePort(let reason):
            return "cannot find a free port on 127.0.0.1: \(reason)"
        case .unknownNode(let name):
            return "no node named '\(name)' in this cluster"
        case .alreadyRunning(let name):
            return "\(name) is already running"
        case .exitedDuringStartup(let node, let exit, let logPath, let tail):
            return "\(node) \(exit) while starting; its log (\(logPath)) ends with:\n\(tail)"
        case .notReady(let node, let address, let waited, let logPath):
            return "\(node) did not answer PING on \(address) within \(waited) ms; see its log \(logPath)"
        case .peersNotConnected(let message):
            return message
        case .badSetting(let message):
            return message
        case .fileSystem(let message):
            return message
        }
    }
}
