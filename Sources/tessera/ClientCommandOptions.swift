import ArgumentParser
import TesseraClient
import TesseraCore

/// The options every client command shares: where the cluster is, the level and the deadline.
struct ClientCommandOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Nodes to contact first, as HOST:PORT[,HOST:PORT...]. The client learns the rest of the ring from them.",
            valueName: "hosts"
        )
    )
    var hosts = "127.0.0.1:7001"

    @Option(
        help: ArgumentHelp(
            "How many replicas must answer: ONE, TWO, THREE, QUORUM, ALL, a number (at most the replication factor), "
                + "or LINEARIZABLE (majority reads and writes by ABD: a write costs two round trips; strict quorum only).",
            valueName: "level"
        )
    )
    var consistency = "QUORUM"

    @Option(
        help: ArgumentHelp(
            "Which replicas count toward a write: strict (only home replicas) or sloppy (stand-ins keeping hints for home replicas that are down).",
            valueName: "mode"
        )
    )
    var quorum = "strict"

    @Option(help: ArgumentHelp("Deadline of the whole request in milliseconds.", valueName: "ms"))
    var timeout = 2000

    @OptionGroup(title: "Security (docs/security.md)")
    var security: ClientSecurityOptions

    /// The parsed level; throws `invalidRequest` with the accepted forms.
    func level() throws(TesseraError) -> ConsistencyLevel { try ConsistencyLevel(parsing: consistency) }

    /// The per-call deadline; throws `invalidRequest` unless positive.
    func deadline() throws(TesseraError) -> Duration {
        guard timeout >= 1 else { throw TesseraError(.invalidRequest, "--timeout is \(timeout) ms; use 1 or more") }
        return .milliseconds(timeout)
    }

    /// A client for `--hosts` with `--consistency` and `--timeout` as its defaults.
    func makeClient() throws(TesseraError) -> TesseraClient {
        var options = TesseraClient.Options(
            defaultConsistency: try level(),
            defaultTimeout: try deadline(),
            connectionsPerNode: 1
        )
        options.defaultQuorum = try QuorumMode(parsing: quorum)
        try security.apply(to: &options)
        return try TesseraClient(seeds: try HostAddress.parseList(hosts), options: options)
    }

    /// Runs `body` with a client for these options and closes the client afterwards.
    func withClient<T: Sendable>(_ body: (TesseraClient) async throws(TesseraError) -> T) async throws(TesseraError)
        -> T
    {
        let client = try makeClient()
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}

/// Exit codes of the client commands (docs/client.md): 0 success, 1 other errors, 2 unavailable, 3 timeout
/// (for a write: its outcome is unknown), 4 not found (get), 5 invalid request, 6 refused (token or TLS).
/// ArgumentParser's usage errors
/// exit with 64.
enum ClientExitCode {
    static let failure: Int32 = 1
    static let unavailable: Int32 = 2
    static let timeout: Int32 = 3
    static let notFound: Int32 = 4
    static let invalidRequest: Int32 = 5
    static let unauthenticated: Int32 = 6

    /// The help text that lists the codes.
    static let help = """
        Exit status: 0 success, 2 unavailable (too few replicas alive or no node reachable), 3 timeout (for \
        put and delete: the write may or may not have been applied), 4 not found (get), 5 invalid request \
        (bad level, key or value too large, bad host), 6 refused (no or wrong client token, TLS handshake \
        failed), 1 any other error.
        """

    /// The exit code for `error`. A write that failed indeterminately exits like a timeout.
    static func code(for error: TesseraError, isWrite: Bool = false) -> Int32 {
        switch error.code {
        case .unavailable: return unavailable
        case .timeout: return timeout
        case .notFound: return notFound
        case .invalidRequest: return invalidRequest
        case .internalError, .overloaded: return isWrite ? timeout : failure
        case .storage, .protocolError: return failure
        case .unauthenticated: return unauthenticated
        }
    }

    /// Prints `error: MESSAGE` on stderr and returns the exit code to throw.
    static func report(_ error: TesseraError, isWrite: Bool = false) -> ExitCode {
        Console.error("error: \(error.message)")
        return ExitCode(code(for: error, isWrite: isWrite))
    }
}
