#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One child process started with `posix_spawn`: its pid, and how to signal, wait for and reap it.
///
/// The child gets its own process group (so a Ctrl-C at the terminal reaches only the parent, which then
/// stops its children in order), default signal handlers, stdin from /dev/null, and stdout and stderr appended
/// to `logPath`. Not thread-safe on its own: `ClusterLauncher` serialises access with a mutex.
struct ClusterNodeProcess: Sendable {
    /// The child's process id.
    let pid: pid_t
    /// Where the child's output goes.
    let logPath: String
    /// True when the child is a wrapper (e.g. `faketime`) whose descendant is the server: signals meant for the
    /// server go to that descendant (the wrapper neither forwards them nor stops when it is stopped).
    var wrapped = false

    /// How a child ended, when it has.
    enum Exit: Hashable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        var description: String {
            switch self {
            case .exited(let code): return "exited with status \(code)"
            case .signaled(let signal): return "killed by signal \(signal)"
            }
        }
    }

    /// Starts `executable` with `arguments` (not including argv[0]).
    static func spawn(
        executable: String,
        arguments: [String],
        logPath: String,
        wrapped: Bool = false
    ) throws(ClusterLauncherError) -> ClusterNodeProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The node inherits only stdin, stdout and stderr: not the parent's sockets, pipes or files that lack
        // O_CLOEXEC (a test runner's, for example).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A parent that ignores SIGINT/SIGTERM (the demo does, to stop its children itself) would pass SIG_IGN on
        // through exec; reset them so the node shuts down on SIGTERM.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { argvBuffer in
            posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, environ)
        }
        guard rc == 0 else {
            throw .spawnFailed(executable: executable, reason: String(cString: strerror(rc)))
        }
        return ClusterNodeProcess(pid: pid, logPath: logPath, wrapped: wrapped)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+). Swift's Glibc module does not declare it
    /// (it sits behind _GNU_SOURCE), so it is looked up at run time; nil where it does not exist.
    private static let addCloseFrom:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            #if os(Linux)
                guard
                    let symbol = dlsym(
                        UnsafeMutableRawPointer(bitPattern: 0),
                        "posix_spawn_file_actions_addclosefrom_np"
                    )
                else { return nil }
                return unsafeBitCast(
                    symbol,
                    to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self
                )
            #else
                return nil
            #endif
        }()

    /// Reaps the child if it has ended; nil while it runs.
    func poll() -> Exit? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        if rc == pid { return Self.decode(status) }
        if rc < 0 && errno == ECHILD { return .exited(-1) }  // already reaped elsewhere
        return nil
    }

    /// Sends `signal` to the child (ignored if it is gone).
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The server's pid: the child itself, or for a wrapper its youngest descendant (waits up to a second for
    /// the wrapper to fork). Nil if a wrapped server cannot be found.
    func serverPID() -> pid_t? {
        guard wrapped else { return pid }
        for _ in 0..<100 {
            var current = pid
            while let child = Self.children(of: current).first { current = child }
            if current != pid { return current }
            if poll() != nil { return nil }
            usleep(10_000)
        }
        return nil
    }

    /// Sends `signal` to the server (for a wrapper: to its descendant, falling back to the wrapper).
    func sendToServer(_ signal: Int32) {
        kill(serverPID() ?? pid, signal)
    }

    /// The children of `pid`, from /proc (Linux); empty elsewhere or when it has none.
    private static func children(of pid: pid_t) -> [pid_t] {
        let path = "/proc/\(pid)/task/\(pid)/children"
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return [] }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: " ").compactMap { pid_t($0.trimmingPrefixAndSuffixWhitespace) }
    }

    /// Sends SIGTERM, waits up to `grace` for the child to exit, then SIGKILLs it. Always reaps it.
    @discardableResult
    func stop(grace: Duration) -> Exit {
        if let exit = poll() { return exit }
        sendToServer(SIGTERM)
        sendToServer(SIGCONT)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let exit = poll() { return exit }
            usleep(10_000)
        }
        return killNow()
    }

    /// SIGKILLs the child and reaps it.
    @discardableResult
    func killNow() -> Exit {
        if let exit = poll() { return exit }
        // The server first: a wrapper killed first would leave it running, re-parented.
        if wrapped, let server = serverPID() {
            kill(server, SIGKILL)
            var status: Int32 = 0
            for _ in 0..<200 {  // the wrapper exits with its child; give it 2 s before killing it
                if waitpid(pid, &status, WNOHANG) == pid { return Self.decode(status) }
                usleep(10_000)
            }
        }
        send(SIGKILL)
        var status: Int32 = 0
        while true {
            let rc = waitpid(pid, &status, 0)
            if rc == pid { return Self.decode(status) }
            if rc < 0 && errno != EINTR { return .signaled(SIGKILL) }
        }
    }

    private static func decode(_ status: Int32) -> Exit {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are C macros Swift cannot import.
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }
}

extension Substring {
    fileprivate var trimmingPrefixAndSuffixWhitespace: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\n" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\n" { s = s.dropLast() }
        return s
    }
}
