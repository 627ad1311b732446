import ArgumentParser
import TesseraClient
import TesseraCore

/// `tessera ring`: the members' tokens and ownership.
struct RingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring",
        abstract: "Show the ring: each node's token count and share of the key space.",
        discussion: """
            Asks the first --hosts node that answers for the ring (RING). OWNS is the share of the token space \
            a node owns as the first replica; with replication factor N each key is also stored on the next N-1 \
            distinct nodes clockwise, so REPLICATES is the share of keys a node holds a copy of.

            Exit status: 0 success, 2 when no node answered, 5 for a bad --hosts value.
            """
    )

    @Option(help: ArgumentHelp("Nodes to ask, as HOST:PORT[,HOST:PORT...].", valueName: "hosts"))
    var hosts = "127.0.0.1:7001"

    @OptionGroup(title: "Security (docs/security.md)")
    var security: ClientSecurityOptions
    @Option(help: ArgumentHelp("Deadline in milliseconds.", valueName: "ms"))
    var timeout = 2000

    func run() async throws {
        var options = try ClientCommandOptions.parse(["--hosts", hosts, "--timeout", String(timeout)])
        options.security = security
        do throws(TesseraError) {
            let topology = try await options.withClient { client throws(TesseraError) in try await client.topology() }
            Console.print(Self.render(topology))
        } catch {
            throw ClientExitCode.report(error)
        }
    }

    /// The ring table `tessera ring` and the demo's `ring` print.
    static func render(_ topology: ClusterTopology) -> String {
        let ring = topology.makeRing()
        let owns = ring.ownership()
        let replicates = ring.replicatedOwnership(replicationFactor: topology.replicationFactor)
        var rows = [["NODE", "ADDRESS", "TOKENS", "OWNS", "REPLICATES"]]
        for member in topology.members {
            rows.append([
                member.id.name, member.address.description, String(member.tokens.count),
                percent(owns[member.id] ?? 0), percent(replicates[member.id] ?? 0),
            ])
        }
        var header = "replication factor \(topology.replicationFactor), \(topology.members.count) members"
        if !topology.clusterName.isEmpty { header = "cluster \(topology.clusterName): " + header }
        if topology.virtualNodes > 0 { header += ", \(topology.virtualNodes) virtual nodes each" }
        return header + "\n" + Console.table(rows)
    }

    static func percent(_ share: Double) -> String {
        String((share * 1000).rounded() / 10) + "%"
    }
}
