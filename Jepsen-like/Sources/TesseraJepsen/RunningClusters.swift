import Synchronization
import TesseraLocalCluster

/// The clusters this process has started and not yet stopped, so a SIGINT/SIGTERM handler can stop them all
/// before the harness exits.
public enum RunningClusters {
    private static let launchers = Mutex<[ObjectIdentifier: ClusterLauncher]>([:])

    static func add(_ launcher: ClusterLauncher) {
        launchers.withLock { $0[ObjectIdentifier(launcher)] = launcher }
    }

    static func remove(_ launcher: ClusterLauncher) {
        _ = launchers.withLock { $0.removeValue(forKey: ObjectIdentifier(launcher)) }
    }

    /// Stops every cluster still running (SIGTERM, then SIGKILL after `grace`).
    public static func stopAll(grace: Duration = .seconds(3)) {
        let all = launchers.withLock { launchers in
            defer { launchers = [:] }
            return Array(launchers.values)
        }
        for launcher in all { launcher.stopAll(grace: grace) }
    }
}
