import Foundation
import Synchronization
import TesseraLocalCluster

/// Stops the demo's nodes and removes its temporary directory, once, from whichever path gets there first
/// (quit, end of input, an error, or a signal).
final class DemoCleanup: Sendable {
    let launcher: ClusterLauncher
    let removeDirectory: String?
    private let done = Atomic<Bool>(false)

    init(launcher: ClusterLauncher, removeDirectory: String?) {
        self.launcher = launcher
        self.removeDirectory = removeDirectory
    }

    /// Stops every node (SIGTERM, SIGKILL after 5 s) and deletes the temporary data directory.
    func run() {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        launcher.stopAll(grace: .seconds(5))
        if let removeDirectory { try? FileManager.default.removeItem(atPath: removeDirectory) }
    }
}
