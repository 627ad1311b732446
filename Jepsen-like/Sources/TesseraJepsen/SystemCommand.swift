import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a system tool (iptables, ip) and waits for it: the harness's only way to touch the kernel's network
/// state. Output is captured for error messages.
///
/// posix_spawn and waitpid, not Foundation's `Process`: inside a fresh network namespace (loopback still
/// down) Foundation cannot make its run-loop wake-up socket, and `Process.waitUntilExit` then never returns.
enum SystemCommand {
    /// The full path of `name` on PATH (plus /usr/sbin and /sbin, where iptables and ip live), or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `arguments[0]` (looked up on PATH) with the rest; throws with its output unless it exits 0.
    @discardableResult
    static func run(_ arguments: [String]) throws(HarnessError) -> String {
        let command = arguments.joined(separator: " ")
        guard let tool = arguments.first, let path = find(tool) else {
            throw .runFailed("cannot find \(arguments.first ?? "?") on PATH")
        }
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw .runFailed("cannot run \(command): pipe: \(errnoText())") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments.dropFirst()).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { posix_spawn(&pid, path, &actions, nil, $0.baseAddress!, environ) }
        close(pipeFDs[1])
        guard rc == 0 else {
            close(pipeFDs[0])
            throw .runFailed("cannot run \(command): \(String(cString: strerror(rc)))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(pipeFDs[0], &buffer, buffer.count)
            if n > 0 {
                output += buffer[0..<n]
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        guard status == 0 else {
            let described = status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
            throw .runFailed("\(command) \(described): " + text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return text
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
