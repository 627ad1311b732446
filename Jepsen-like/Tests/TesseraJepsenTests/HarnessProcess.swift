import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `tessera-jepsen` as a child process, as a user would, and collects its output.
enum HarnessProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The directory of the built executables (.build/debug), found next to the test runner.
    static func binDirectory() throws -> URL {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = String(decoding: buffer[0..<max(0, length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            if FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("tessera-jepsen").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        Issue.record("cannot find tessera-jepsen next to \(exe); run `swift build --build-tests` first")
        throw CocoaError(.fileNoSuchFile)
    }

    static func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = try binDirectory().appendingPathComponent("tessera-jepsen")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Runs `tessera-jepsen ARGS` to the end.
    static func run(_ arguments: [String]) throws -> Result {
        let (process, out, err) = try start(arguments)
        // Read both pipes while it runs, so a full pipe never blocks it.
        let errData = Mutexed<Data>(Data())
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.isSet { usleep(10_000) }
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self)
        )
    }

    /// A fresh report folder path (not created).
    static func reportPath(_ name: String) -> String {
        NSTemporaryDirectory() + "tessera-jepsen-test-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The pids of live processes whose command line mentions `text`.
    static func processes(mentioning text: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: data, as: UTF8.self).contains(text)
            else { return nil }
            // Zombies (already dead, not yet reaped) do not count.
            if let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z"
            {
                return nil
            }
            return pid
        }
    }

    /// The run's summary.json as a dictionary.
    static func summary(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static var isRoot: Bool { geteuid() == 0 }
}

/// A value one thread sets and another waits for.
final class Mutexed<T>: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var stored: T
    private var done = false
    init(_ value: T) { stored = value }
    func set(_ value: T) {
        lock.lock()
        stored = value
        done = true
        lock.unlock()
    }
    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }
    var value: T {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
