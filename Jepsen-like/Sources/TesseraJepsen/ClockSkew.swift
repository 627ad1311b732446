import Foundation
import Synchronization

/// Per-node wall-clock offsets through libfaketime: each node runs under the `faketime` wrapper, with the
/// library reading its offset from a file the harness rewrites (`FAKETIME_TIMESTAMP_FILE`, no caching).
/// Monotonic time stays real (`FAKETIME_DONT_FAKE_MONOTONIC=1`), so timers, deadlines and the failure
/// detector are unaffected: only the HLC's physical part moves. The production binary carries no hook.
final class ClockSkew: Sendable {
    let directory: String
    private let offsets = Mutex<[String: Double]>([:])

    init(directory: String) throws(HarnessError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .runFailed("cannot create \(directory): \(error.localizedDescription)")
        }
    }

    /// The `faketime` executable, or a clear error naming the package.
    static func findFaketime() throws(HarnessError) -> String {
        guard let path = SystemCommand.find("faketime") else {
            throw .badInput(
                "the skew nemesis needs libfaketime's `faketime` wrapper: apt-get install -y faketime"
            )
        }
        return path
    }

    func offsetFile(_ node: String) -> String { directory + "/" + node + ".offset" }

    /// The command prefix that starts `node` under libfaketime with its offset file (created at +0).
    func wrapper(faketime: String, node: String) -> [String] {
        try? write(node, seconds: 0)
        return [
            faketime, "-f", "+0", "/usr/bin/env", "-u", "FAKETIME",
            "FAKETIME_TIMESTAMP_FILE=" + offsetFile(node), "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1",
        ]
    }

    /// Sets `node`'s wall clock `seconds` ahead (negative: behind) of real time, from now on.
    func set(_ node: String, seconds: Double) throws(HarnessError) {
        try write(node, seconds: seconds)
    }

    /// The offset last written for `node`.
    func offset(_ node: String) -> Double { offsets.withLock { $0[node] ?? 0 } }

    private func write(_ node: String, seconds: Double) throws(HarnessError) {
        let whole = Int(seconds.rounded())
        let text = (whole >= 0 ? "+\(whole)" : "\(whole)") + "\n"
        // Write then rename, so the library never reads a half-written file.
        let path = offsetFile(node)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)),
            rename(temporary, path) == 0
        else {
            throw .runFailed("cannot write the clock offset file \(path)")
        }
        offsets.withLock { $0[node] = seconds }
    }
}
