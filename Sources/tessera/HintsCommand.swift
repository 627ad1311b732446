import ArgumentParser
import TesseraClient
import TesseraCore
import TesseraWire

/// `tessera hints`: hinted handoff on every member: pending hints per target, replayed, expired, dropped.
struct HintsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hints",
        abstract: "Show hinted handoff on every member: hints pending per target, replayed, expired, dropped.",
        discussion: """
            Asks every ring member for HINT_STATS. A row per (holder, target): PENDING hints and BYTES waiting in \
            the holder's SQLite hint store, REPLAYED (acknowledged by the target and deleted), EXPIRED (older \
            than the hint window, dropped), DROPPED (over the per-target cap, or not stored), FAILED sends \
            (retried). A problem with a hint store (corrupt, disk full) is printed under the table. See \
            docs/healing.md.

            --wait SECONDS polls until no member holds pending hints (a progress line on stderr), for scripts \
            that must wait for replay to finish.

            Exit status: 0 when read (and, with --wait, nothing pending), 2 when no node answered, 3 when --wait \
            ran out with hints still pending, 5 for a bad --hosts value.
            """
    )

    @Option(help: ArgumentHelp("Nodes to ask for the ring, as HOST:PORT[,HOST:PORT...].", valueName: "hosts"))
    var hosts = "127.0.0.1:7001"

    @OptionGroup(title: "Security (docs/security.md)")
    var security: ClientSecurityOptions
    @Option(help: ArgumentHelp("Deadline per request in milliseconds.", valueName: "ms"))
    var timeout = 2000
    @Option(help: ArgumentHelp("Wait up to this many seconds until no hints are pending.", valueName: "seconds"))
    var wait: Double?

    func run() async throws {
        var options = try ClientCommandOptions.parse(["--hosts", hosts, "--timeout", String(timeout)])
        options.security = security
        do throws(TesseraError) {
            let deadline = ContinuousClock.now + .milliseconds(Int64((wait ?? 0) * 1000))
            while true {
                let stats = try await Self.collect(options: options, timeout: .milliseconds(timeout))
                let pending = stats.reduce(0) { total, entry in total + (entry.stats?.targets.reduce(0) { $0 + $1.pendingHints } ?? 0) }
                guard wait != nil, pending > 0, ContinuousClock.now < deadline else {
                    if wait != nil { ProgressLine.end() }
                    Console.print(Self.render(stats))
                    if wait != nil && pending > 0 {
                        throw TesseraError(.timeout, "\(pending) hints still pending after \(wait!) s")
                    }
                    return
                }
                ProgressLine.show("waiting for replay: \(pending) hints pending")
                try? await Task.sleep(for: .milliseconds(ProgressLine.isTerminal ? 250 : 1000))
            }
        } catch {
            throw ClientExitCode.report(error)
        }
    }

    /// HINT_STATS from every member (nil stats with the error for members that did not answer).
    static func collect(
        options: ClientCommandOptions,
        timeout: Duration
    ) async throws(TesseraError) -> [(node: NodeID, stats: WireHintStats?, error: String?)] {
        let topology = try await options.withClient { client throws(TesseraError) in try await client.topology() }
        var result: [(node: NodeID, stats: WireHintStats?, error: String?)] = []
        for member in topology.members {
            do throws(TesseraError) {
                let admin = try await NodeAdmin.connect(member.address, timeout: timeout)
                defer { admin.close() }
                guard case .hintStatsResult(let stats) = try await admin.request(.hintStats, timeout: timeout) else {
                    throw TesseraError(.protocolError, "unexpected reply")
                }
                result.append((member.id, stats, nil))
            } catch {
                result.append((member.id, nil, error.message))
            }
        }
        if result.allSatisfy({ $0.stats == nil }) {
            throw TesseraError(.unavailable, "no member answered: " + result.map { "\($0.node): \($0.error ?? "")" }.joined(separator: "; "))
        }
        return result
    }

    static func render(_ entries: [(node: NodeID, stats: WireHintStats?, error: String?)]) -> String {
        var rows = [["HOLDER", "TARGET", "PENDING", "BYTES", "REPLAYED", "EXPIRED", "DROPPED", "FAILED", "STATE"]]
        var notes: [String] = []
        var pending: UInt64 = 0
        for entry in entries {
            guard let stats = entry.stats else {
                rows.append([entry.node.name, "-", "-", "-", "-", "-", "-", "-", "DOWN"])
                notes.append("\(entry.node): \(entry.error ?? "no answer")")
                continue
            }
            if !stats.problem.isEmpty { notes.append("\(entry.node): \(stats.problem)") }
            if stats.targets.isEmpty { rows.append([entry.node.name, "-", "0", "0 B", "0", "0", "0", "0", "no hints"]) }
            for t in stats.targets {
                pending += t.pendingHints
                let state = t.replaying ? "replaying" : (t.up ? "up" : "target down")
                rows.append([
                    entry.node.name, t.node, String(t.pendingHints), Console.bytes(t.pendingBytes), String(t.replayed),
                    String(t.expired), String(t.dropped), String(t.failedSends), state,
                ])
            }
        }
        var text = Console.table(rows) + "\n\(pending) hints pending"
        if let first = entries.compactMap(\.stats).first {
            text += " (window \(Console.duration(millis: first.hintWindowMillis)), replay \(Console.bytes(first.throttleBytesPerSecond))/s per target per node)"
        }
        for note in notes { text += "\nproblem: \(note)" }
        return text
    }
}
