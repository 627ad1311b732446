import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The harness's own network and process namespaces (root only).
///
/// `enterIfPossible` re-executes the harness as `unshare --net --pid --fork --kill-child --mount-proc -- self
/// ARGS`: a fresh network namespace where only `lo` exists (brought up here) and iptables rules are private
/// and vanish with it, so the host's network is never touched and ports never collide with other clusters.
/// The harness is process 1 of a fresh PID namespace: when it dies, however it dies (even SIGKILL, which
/// `--kill-child` passes on from `unshare`), the kernel kills every process in it: every node and every
/// `faketime` wrapper (a wrapper does not die with its parent on its own).
public enum NetworkNamespace {
    static let marker = "TESSERA_JEPSEN_NAMESPACE"

    /// True when running inside the namespace this harness made.
    public static var isInside: Bool { ProcessInfo.processInfo.environment[marker] == "1" }

    /// True when the process runs as root (needed for namespaces and iptables).
    public static var isRoot: Bool { geteuid() == 0 }

    /// Replaces this process with itself inside new namespaces; returns only if that is not possible
    /// (not root, or `unshare` missing), with the reason.
    public static func enter(arguments: [String]) -> String {
        guard isRoot else { return "not running as root" }
        guard let unshare = SystemCommand.find("unshare") else { return "unshare (util-linux) is not installed" }
        guard SystemCommand.find("ip") != nil else { return "ip (iproute2) is not installed" }
        let executable = selfExecutable()
        setenv(marker, "1", 1)
        let argv = [unshare, "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--", executable] + arguments
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(unshare, cArgs)
        let reason = String(cString: strerror(errno))
        unsetenv(marker)
        return "cannot run \(unshare): \(reason)"
    }

    /// Inside the namespace: brings `lo` up (it starts down) so 127.0.0.0/8 works, and gives the namespace its
    /// own /dev/shm. The `faketime` wrapper names its semaphore and shared memory after its pid; pids in a
    /// fresh PID namespace repeat from run to run, and a wrapper killed with the namespace leaves its
    /// files behind, so on the host's /dev/shm the next run's wrapper fails (`sem_open: File exists`).
    public static func prepare() throws(HarnessError) {
        try SystemCommand.run(["ip", "link", "set", "lo", "up"])
        try SystemCommand.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=1777", "tessera-jepsen-shm", "/dev/shm"])
    }

    /// This executable's path (/proc/self/exe).
    public static func selfExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
