import Foundation
import Synchronization
public import TesseraClient
public import TesseraCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts and stops a local cluster of real `tessera server` processes on 127.0.0.1, one port each (or, with
/// `hosts`, one loopback address each and the same port on all).
///
/// Used by `tessera demo`, `scripts/bench-cluster` (through `tessera bench cluster --local`), the Jepsen-like
/// harness and the end-to-end tests. Node `i` (from 1) is named `n<i>`, listens on its own address and keeps its
/// data in `<dataDirectory>/n<i>`, its output in `<dataDirectory>/n<i>.log`.
///
/// A `wrapper` (for example `faketime`) starts each server as its child: signals (pause, resume, kill, stop)
/// then go to the server itself, found as the wrapper's youngest descendant, never only to the wrapper.
///
/// Children never outlive the launcher on a normal path: call `stopAll()` (the demo does on quit, EOF, errors
/// and SIGINT/SIGTERM; tests do in `defer`). `deinit` also SIGKILLs any child still running.
/// Thread-safe: the process table sits behind a mutex; `stop` waits outside it.
public final class ClusterLauncher: Sendable {
    /// One node of the cluster.
    public struct Node: Hashable, Sendable {
        public let id: NodeID
        public let address: HostAddress
        public let dataDirectory: String
        public let logPath: String
    }

    /// The `tessera` executable the nodes run.
    public let executable: String
    /// The nodes, in order n1, n2, ...
    public let nodes: [Node]
    /// The directory that holds every node's data directory and log.
    public let dataDirectory: String
    public let replicationFactor: Int
    public let virtualNodes: Int?
    /// Extra arguments passed to every `tessera server` (for example a sync policy).
    public let extraServerArguments: [String]
    /// The command that runs each server (`[wrapper, args...]` placed before the `tessera` path), or nil.
    public let wrapper: (@Sendable (Node) -> [String])?
    /// TLS certificates and client token of the nodes (docs/security.md), or nil for plain TCP.
    public let certificates: LocalCertificates?

    private let processes = Mutex<[String: ClusterNodeProcess]>([:])
    /// Set by `stopAll`: no node starts afterwards (a signal handler may stop the cluster while another thread
    /// is still starting it).
    private let stopped = Atomic<Bool>(false)

    /// Plans a cluster; starts nothing.
    /// - Parameters:
    ///   - executable: path of the `tessera` binary.
    ///   - nodeCount: how many nodes (1 to 32).
    ///   - basePort: node i listens on `basePort + i - 1`; nil picks free ports.
    ///   - dataDirectory: parent of the nodes' data directories; created if missing.
    ///   - replicationFactor: N, at most `nodeCount`.
    ///   - hosts: one IPv4 address per node (for example 127.0.0.11, 127.0.0.12, ...); then every node listens on
    ///     the same port (`basePort`, or one free on every host). Nil: all on 127.0.0.1, one port each.
    ///   - wrapper: a command prefix that starts each server (`faketime -f +0 env ...`); nil runs it directly.
    public init(
        executable: String,
        nodeCount: Int,
        basePort: Int? = nil,
        dataDirectory: String,
        replicationFactor: Int,
        virtualNodes: Int? = nil,
        extraServerArguments: [String] = [],
        hosts: [String]? = nil,
        wrapper: (@Sendable (Node) -> [String])? = nil,
        certificates: LocalCertificates? = nil
    ) throws(ClusterLauncherError) {
        guard (1...32).contains(nodeCount) else {
            throw .badSetting("the node count is \(nodeCount); use 1 to 32")
        }
        guard (1...nodeCount).contains(replicationFactor) else {
            throw .badSetting("the replication factor is \(replicationFactor); use 1 to the node count (\(nodeCount))")
        }
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw .executableNotFound(executable) }
        if let hosts {
            guard hosts.count == nodeCount else {
                throw .badSetting("\(hosts.count) hosts given for \(nodeCount) nodes")
            }
            guard Set(hosts).count == hosts.count else { throw .badSetting("the hosts are not distinct: \(hosts)") }
        }
        let nodeHosts = hosts ?? Array(repeating: "127.0.0.1", count: nodeCount)
        let ports: [Int]
        if hosts != nil {
            let port: Int
            if let basePort { port = basePort } else { port = try Self.freePort(onAll: nodeHosts) }
            guard (1...65535).contains(port) else { throw .badSetting("port \(port) is not in 1-65535") }
            for host in nodeHosts where !Self.isPortFree(port, host: host) { throw .portInUse(port, host: host) }
            ports = Array(repeating: port, count: nodeCount)
        } else if let basePort {
            guard basePort >= 1 && basePort + nodeCount - 1 <= 65535 else {
                throw .badSetting("--base-port \(basePort) leaves no room for \(nodeCount) ports below 65536")
            }
            ports = Array(basePort..<(basePort + nodeCount))
            for port in ports where !Self.isPortFree(port) { throw .portInUse(port, host: "127.0.0.1") }
        } else {
            ports = try Self.freePorts(count: nodeCount)
        }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem("cannot create the data directory \(dataDirectory): \(error.localizedDescription)")
        }
        self.executable = executable
        self.dataDirectory = dataDirectory
        self.replicationFactor = replicationFactor
        self.virtualNodes = virtualNodes
        self.extraServerArguments = extraServerArguments
        self.wrapper = wrapper
        self.certificates = certificates
        self.nodes = ports.enumerated().map { index, port in
            let name = "n\(index + 1)"
            return Node(
                id: NodeID(name),
                address: HostAddress(host: nodeHosts[index], port: port),
                dataDirectory: dataDirectory + "/" + name,
                logPath: dataDirectory + "/" + name + ".log"
            )
        }
    }

    deinit {
        let left = processes.withLock { processes in
            let left = Array(processes.values)
            processes = [:]
            return left
        }
        for process in left { process.killNow() }
    }

    /// The `--members` value: `n1=127.0.0.1:7001,n2=...`.
    public var memberList: String { nodes.map { "\($0.id.name)=\($0.address)" }.joined(separator: ",") }

    /// Every node's client address.
    public var addresses: [HostAddress] { nodes.map(\.address) }

    /// The command line that runs `node`.
    public func serverArguments(for node: Node) -> [String] {
        var arguments = [
            "server", "--node-id", node.id.name, "--listen", node.address.description, "--data", node.dataDirectory,
            "--members", memberList, "--replication", String(replicationFactor),
        ]
        if let virtualNodes { arguments += ["--vnodes", String(virtualNodes)] }
        // A launcher killed with SIGKILL cannot stop its nodes; they notice and stop by themselves.
        arguments.append("--exit-with-parent")
        if let certificates { arguments += certificates.serverArguments(for: node.id.name) }
        return arguments + extraServerArguments
    }

    /// The node named `name` (`n1`, ...).
    public func node(named name: String) throws(ClusterLauncherError) -> Node {
        guard let node = nodes.first(where: { $0.id.name == name }) else { throw .unknownNode(name) }
        return node
    }

    /// Starts `name`'s process (on its same port and data directory if it ran before); `extraArguments` come
    /// after the cluster's own server arguments, so a flag given there overrides the cluster's for this start only.
    public func start(_ name: String, extraArguments: [String] = []) throws(ClusterLauncherError) {
        let node = try node(named: name)
        try processes.withLock { processes throws(ClusterLauncherError) in
            guard !stopped.load(ordering: .acquiring) else { throw .badSetting("the cluster is stopping") }
            if let running = processes[name] {
                guard running.poll() != nil else { throw .alreadyRunning(name) }
                processes[name] = nil
            }
            if let wrapper {
                let prefix = wrapper(node)
                guard let first = prefix.first else { throw .badSetting("the wrapper command is empty") }
                processes[name] = try ClusterNodeProcess.spawn(
                    executable: first,
                    arguments: Array(prefix.dropFirst()) + [executable] + serverArguments(for: node) + extraArguments,
                    logPath: node.logPath,
                    wrapped: true
                )
            } else {
                processes[name] = try ClusterNodeProcess.spawn(
                    executable: executable,
                    arguments: serverArguments(for: node) + extraArguments,
                    logPath: node.logPath
                )
            }
        }
    }

    /// Starts every node that is not running.
    public func startAll() throws(ClusterLauncherError) {
        for node in nodes where !isRunning(node.id.name) { try start(node.id.name) }
    }

    /// True while `name`'s process runs.
    public func isRunning(_ name: String) -> Bool {
        processes.withLock { processes in
            guard let process = processes[name] else { return false }
            if process.poll() != nil {
                processes[name] = nil
                return false
            }
            return true
        }
    }

    /// The pid of `name`'s process while it runs (the wrapper's, when there is one).
    public func pid(of name: String) -> Int32? {
        processes.withLock { $0[name].map { Int32($0.pid) } }
    }

    /// The pid of `name`'s `tessera server` itself while it runs: with a wrapper, its youngest descendant.
    public func serverPID(of name: String) -> Int32? {
        processes.withLock { $0[name] }.flatMap { $0.serverPID().map { Int32($0) } }
    }

    /// SIGSTOPs `name`: it keeps its sockets (connections open, the kernel still accepts new ones) but answers
    /// nothing until `resume`. Returns false if it was not running.
    @discardableResult
    public func pause(_ name: String) throws(ClusterLauncherError) -> Bool {
        try signal(name, SIGSTOP)
    }

    /// SIGCONTs a paused node. Returns false if it was not running.
    @discardableResult
    public func resume(_ name: String) throws(ClusterLauncherError) -> Bool {
        try signal(name, SIGCONT)
    }

    private func signal(_ name: String, _ signal: Int32) throws(ClusterLauncherError) -> Bool {
        _ = try node(named: name)
        guard let process = processes.withLock({ $0[name] }) else { return false }
        process.sendToServer(signal)
        return true
    }

    /// SIGKILLs `name` (a crash: no shutdown, no flush) and reaps it. Returns false if it was not running.
    @discardableResult
    public func kill(_ name: String) throws(ClusterLauncherError) -> Bool {
        _ = try node(named: name)
        guard let process = processes.withLock({ $0.removeValue(forKey: name) }) else { return false }
        let exit = process.killNow()
        return process.wrapped || exit == .signaled(SIGKILL)
    }

    /// Stops `name` cleanly: SIGTERM, then SIGKILL if it has not exited after `grace`.
    public func stop(_ name: String, grace: Duration = .seconds(5)) throws(ClusterLauncherError) {
        _ = try node(named: name)
        guard let process = processes.withLock({ $0.removeValue(forKey: name) }) else { return }
        process.stop(grace: grace)
    }

    /// Stops every running node: SIGTERM to all, then waits up to `grace` in total before SIGKILLing the rest.
    /// Nodes cannot be started afterwards.
    public func stopAll(grace: Duration = .seconds(5)) {
        let all = processes.withLock { processes in
            stopped.store(true, ordering: .releasing)
            let all = Array(processes.values)
            processes = [:]
            return all
        }
        for process in all where process.poll() == nil {
            process.sendToServer(SIGTERM)
            process.sendToServer(SIGCONT)  // a paused node handles SIGTERM only once it runs again
        }
        let deadline = ContinuousClock.now + grace
        var left = all.filter { $0.poll() == nil }
        while !left.isEmpty && ContinuousClock.now < deadline {
            usleep(10_000)
            left = left.filter { $0.poll() == nil }
        }
        for process in left { process.killNow() }
    }

    /// Waits until each node in `names` (default: all) answers PING and every running node's failure detector
    /// counts every other running node as up (so a QUORUM or ALL request right afterwards does not fail only
    /// because the news has not spread yet). Throws on the first node that exits, or after `timeout`.
    public func waitUntilReady(_ names: [String]? = nil, timeout: Duration = .seconds(30)) async throws {
        let wanted = try (names ?? nodes.map(\.id.name)).map { name throws(ClusterLauncherError) in
            try node(named: name)
        }
        var options = TesseraClient.Options(defaultTimeout: .seconds(1))
        options.downNodeBackoff = .milliseconds(50)
        try certificates?.apply(to: &options)
        let client = try TesseraClient(seeds: addresses, options: options)
        do {
            try await waitUntilReady(wanted, client: client, deadline: ContinuousClock.now + timeout)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func waitUntilReady(_ wanted: [Node], client: TesseraClient, deadline: ContinuousClock.Instant)
        async throws
    {
        let start = ContinuousClock.now
        for node in wanted {
            while true {
                try checkAlive(node)
                if (try? await client.ping(node.address, timeout: Duration.milliseconds(500))) != nil { break }
                if ContinuousClock.now > deadline {
                    throw ClusterLauncherError.notReady(
                        node: node.id.name,
                        address: node.address.description,
                        waitedMillis: (ContinuousClock.now - start).components.seconds * 1000,
                        logPath: node.logPath
                    )
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        while true {
            for node in wanted { try checkAlive(node) }
            let running = Set(nodes.map(\.id.name).filter { isRunning($0) })
            if let statuses = try? await client.status(timeout: .seconds(1)) {
                // Match address too: a port this cluster picked could meanwhile serve another cluster.
                let ours = Set(nodes.map { "\($0.id.name)@\($0.address)" })
                let views = statuses.filter {
                    running.contains($0.id.name) && ours.contains("\($0.id.name)@\($0.address)")
                }
                if views.count == running.count
                    && views.allSatisfy({ $0.isUp && Set($0.peersDown).isDisjoint(with: running) })
                {
                    return
                }
            }
            if ContinuousClock.now > deadline {
                throw ClusterLauncherError.peersNotConnected(
                    "the nodes did not all see each other up within "
                        + "\((ContinuousClock.now - start).components.seconds) s; see the logs in \(dataDirectory)"
                )
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Throws `exitedDuringStartup` (with the end of its log) if `node` was started and has exited.
    private func checkAlive(_ node: Node) throws(ClusterLauncherError) {
        let exit = processes.withLock { processes -> ClusterNodeProcess.Exit? in
            guard let process = processes[node.id.name], let exit = process.poll() else { return nil }
            processes[node.id.name] = nil
            return exit
        }
        if let exit {
            throw .exitedDuringStartup(
                node: node.id.name,
                exit: exit.description,
                logPath: node.logPath,
                logTail: Self.tail(of: node.logPath)
            )
        }
    }

    // MARK: Ports and files

    /// True if nothing listens on (or holds) `port` on 127.0.0.1.
    public static func isPortFree(_ port: Int) -> Bool { isPortFree(port, host: "127.0.0.1") }

    /// True if nothing listens on (or holds) `port` on `host` (an IPv4 address).
    public static func isPortFree(_ port: Int, host: String) -> Bool {
        (try? bindLoopback(port: port, host: host)).map { fd in
            close(fd)
            return true
        } ?? false
    }

    /// `count` distinct ports that were free a moment ago (the kernel picks them; all are held open together
    /// so they differ).
    public static func freePorts(count: Int) throws(ClusterLauncherError) -> [Int] {
        var descriptors: [Int32] = []
        defer { for fd in descriptors { close(fd) } }
        var ports: [Int] = []
        // Below the kernel's ephemeral range: a port the kernel picked (bind to 0) is also what it hands out
        // to outgoing connections, and between this call and the node's bind another test's peer connection
        // took one ("Address already in use", seen with two peer lanes per link). Random ones below it
        // are never given to an outgoing connection.
        let ceiling = ephemeralRangeStart() - 1
        let floor = max(1024, ceiling - 12_000)
        // Handed out in turn from a random start, so one process (the test run) never gets a port twice
        // before wrapping: a node stopped for a while keeps its port free, and a random pick by another test
        // once took it (a TLS node answered on a restarted node's port).
        var tries = 0
        while ports.count < count {
            tries += 1
            guard tries <= 1000 else { throw .noFreePort(reason: "no free port in \(floor)-\(ceiling) after 1000 tries") }
            let port = nextPort.withLock { next in
                if next < floor || next > ceiling { next = Int.random(in: floor...ceiling) }
                defer { next = next >= ceiling ? floor : next + 1 }
                return next
            }
            guard !ports.contains(port), let fd = try? bindLoopback(port: port) else { continue }
            descriptors.append(fd)
            ports.append(port)
        }
        return ports
    }

    /// The next port `freePorts` tries (0: not started yet).
    private static let nextPort = Mutex<Int>(0)

    /// The first port of the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range; 32768 if unknown).
    private static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
            let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap({ Int($0) }),
            first > 2048
        else { return 32768 }
        return first
    }

    /// One port free on every address of `hosts` (tries a few the kernel picks on the first).
    public static func freePort(onAll hosts: [String]) throws(ClusterLauncherError) -> Int {
        for _ in 0..<50 {
            let port = try freePorts(count: 1)[0]
            if hosts.allSatisfy({ isPortFree(port, host: $0) }) { return port }
        }
        throw .noFreePort(reason: "no port was free on all of \(hosts.joined(separator: ", ")) in 50 tries")
    }

    private static func bindLoopback(port: Int, host: String = "127.0.0.1") throws(ClusterLauncherError) -> Int32 {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw .noFreePort(reason: String(cString: strerror(errno))) }
        // As the node's listener does: connections of an earlier run in TIME_WAIT must not make a port look taken.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw .badSetting("'\(host)' is not an IPv4 address")
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            if port != 0 { throw .portInUse(port, host: host) }
            throw .noFreePort(reason: reason)
        }
        return fd
    }

    /// The last lines of a log file, for error messages.
    static func tail(of path: String, lines: Int = 10) -> String {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else { return "(no log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// A fresh directory under the system's temporary directory, e.g. `/tmp/tessera-demo-1a2b3c`.
    public static func makeTemporaryDirectory(prefix: String) throws(ClusterLauncherError) -> String {
        var template = Array((NSTemporaryDirectory() + "/" + prefix + "-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw .fileSystem("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return path.replacingOccurrences(of: "//", with: "/")
    }
}
