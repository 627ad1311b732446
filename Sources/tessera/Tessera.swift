import ArgumentParser

/// The `tessera` command: one executable for the server, the client commands, benchmarks and the checker.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Tessera: a Dynamo-style distributed key-value database.",
        discussion: """
            Start a local cluster and use it:   tessera demo
            Run one node:                       tessera server --help
            Check a history:                    tessera check --help
            Docs: docs/ in the source tree (architecture, storage, wire protocol, checker, benchmarks).
            """,
        subcommands: [
            Bench.self,
            Server.self,
            PutCommand.self,
            GetCommand.self,
            DeleteCommand.self,
            StatusCommand.self,
            HotCommand.self,
            RingCommand.self,
            HintsCommand.self,
            RepairCommand.self,
            DemoCommand.self,
            CheckCommand.self,
            GenerateHistoryCommand.self,
            FuzzCommand.self,
        ]
    )
}

/// `tessera bench ...`: benchmarks that print numbers (they never pass or fail on speed).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print throughput and latency.",
        subcommands: [
            BenchCluster.self,
            BenchYCSB.self,
            BenchStorage.self,
            BenchMerkle.self,
            BenchHints.self,
            BenchMemory.self,
            BenchOverload.self,
        ]
    )
}
