import ArgumentParser
import TesseraClient
import TesseraCore
import TesseraWire

/// `tessera repair`: anti-entropy on demand, node by node, with a progress line.
struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Compare replicas with Merkle trees and copy what differs (anti-entropy), node by node.",
        discussion: """
            For each node (every ring member, or the --node ones, one after the other) the node builds a Merkle \
            tree per token range it replicates, fetches the trees of the other replicas, streams the keys of \
            the slices that differ and writes the newest version of each to every replica that lacks it \
            (tombstones included). Repairing every node makes every replica of every range identical as of \
            the start of the repair. A progress line shows the phase, ranges and cells; see docs/healing.md.

            Tombstone rule (as Cassandra's): a replica that was down longer than the tombstone grace period \
            (--tombstone-grace of `tessera server`, 10 days by default) may have missed deletes whose \
            tombstones the others have purged since; repairing it would bring deleted data back. Repair \
            refuses such a replica and says so: rebuild it (stop it, empty its data directory, start it, \
            repair) or pass --force if you know no deletes were purged.

            Exit status: 0 when every replica took part, 1 when a replica failed or was refused (the reason is \
            printed), 2 when a node to repair is unreachable, 3 when --max-wait ran out, 5 for bad arguments.
            """
    )

    @Option(help: ArgumentHelp("Nodes to ask for the ring, as HOST:PORT[,HOST:PORT...].", valueName: "hosts"))
    var hosts = "127.0.0.1:7001"

    @OptionGroup(title: "Security (docs/security.md)")
    var security: ClientSecurityOptions
    @Option(help: ArgumentHelp("Repair only this node's ranges (repeatable); default: every member.", valueName: "node"))
    var node: [String] = []
    @Option(
        help: ArgumentHelp(
            "Repair only the node's ranges that overlap the token range (START, END] (repeatable), e.g. -9000000000000000000:0.",
            valueName: "start:end"
        )
    )
    var range: [String] = []
    @Flag(help: "Repair replicas even if they were down longer than the tombstone grace period.")
    var force = false
    @Option(help: ArgumentHelp("Merkle tree depth, 1-16 (default: the node's, 10).", valueName: "n"))
    var depth: Int?
    @Option(help: ArgumentHelp("Deadline per request in milliseconds.", valueName: "ms"))
    var timeout = 5000
    @Option(name: .customLong("max-wait"), help: ArgumentHelp("Give up waiting for one node's repair after this many seconds.", valueName: "seconds"))
    var maxWait = 3600.0

    func validate() throws {
        _ = try parseRanges()
        if let depth, !(1...16).contains(depth) { throw ValidationError("--depth \(depth): use 1 to 16") }
    }

    func parseRanges() throws -> [WireTokenRange] {
        try range.map { text in
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let start = Int64(parts[0]), let end = Int64(parts[1]) else {
                throw ValidationError("--range '\(text)': use START:END with signed 64-bit tokens, e.g. -100:2000")
            }
            return WireTokenRange(start: start, end: end)
        }
    }

    func run() async throws {
        var options = try ClientCommandOptions.parse(["--hosts", hosts, "--timeout", String(timeout)])
        options.security = security
        let request = WireRepairRequest(ranges: try parseRanges(), force: force, depth: UInt8(depth ?? 0))
        let perRequest = Duration.milliseconds(timeout)
        var incomplete: [String] = []
        do throws(TesseraError) {
            let topology = try await options.withClient { client throws(TesseraError) in try await client.topology() }
            let known = Set(topology.members.map(\.id.name))
            for name in node where !known.contains(name) {
                throw TesseraError(.invalidRequest, "--node \(name) is not a ring member (\(known.sorted().joined(separator: ", ")))")
            }
            let members = node.isEmpty ? topology.members : topology.members.filter { node.contains($0.id.name) }
            for member in members {
                let progress = try await repair(member.id, at: member.address, request: request, timeout: perRequest)
                Console.print(Self.summary(member.id, progress))
                for line in progress.refused {
                    Console.error("warning: refused \(line)")
                    incomplete.append(line)
                }
                for line in progress.failed {
                    Console.error("warning: failed \(line)")
                    incomplete.append(line)
                }
            }
        } catch {
            throw ClientExitCode.report(error)
        }
        if !incomplete.isEmpty {
            Console.error("error: repair incomplete: \(incomplete.count) replica(s) did not take part (see the warnings)")
            throw ExitCode(ClientExitCode.failure)
        }
    }

    /// Starts the repair on one node and polls it to the end, showing progress.
    private func repair(
        _ id: NodeID,
        at address: HostAddress,
        request: WireRepairRequest,
        timeout: Duration
    ) async throws(TesseraError) -> WireRepairProgress {
        let admin = try await NodeAdmin.connect(address, timeout: timeout)
        defer { admin.close() }
        guard case .repairResult(let started) = try await admin.request(.repair(request), timeout: timeout) else {
            throw TesseraError(.protocolError, "\(id) answered REPAIR with something else")
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(maxWait * 1000))
        var progress = started
        while progress.state == .running {
            ProgressLine.show(Self.line(id, progress))
            if ContinuousClock.now > deadline {
                ProgressLine.end()
                throw TesseraError(.timeout, "\(id)'s repair did not finish within \(maxWait) s; it goes on in the background")
            }
            try? await Task.sleep(for: .milliseconds(ProgressLine.isTerminal ? 200 : 1000))
            guard case .repairStatusResult(let now) = try await admin.request(.repairStatus, timeout: timeout) else {
                throw TesseraError(.protocolError, "\(id) answered REPAIR_STATUS with something else")
            }
            guard now.sessionID == started.sessionID else {
                throw TesseraError(.internalError, "\(id) reports session \(now.sessionID), not the one started (\(started.sessionID))")
            }
            progress = now
        }
        ProgressLine.end()
        return progress
    }

    static func line(_ id: NodeID, _ p: WireRepairProgress) -> String {
        "\(id): \(p.phase), \(p.ranges) ranges, \(p.rangesDiffering) differing, \(p.cellsReceived) cells received, "
            + "\(p.cellsWritten) written, \(Console.duration(millis: p.elapsedMillis))"
    }

    static func summary(_ id: NodeID, _ p: WireRepairProgress) -> String {
        "\(id): \(p.ranges) ranges compared, \(p.rangesDiffering) differed (\(p.leavesDiffering) slices), "
            + "\(p.cellsReceived) cells received, \(p.cellsWritten) written, \(p.elapsedMillis) ms"
    }
}
