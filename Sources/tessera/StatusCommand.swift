import ArgumentParser
import Foundation
import TesseraClient
import TesseraCore

/// `tessera status`: every member, up or down, with its counters.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every cluster member: up or down, keys, bytes, requests served.",
        discussion: """
            Reads the member list from the ring (RING, from the first --hosts node that answers), then asks \
            every member for STATUS directly. A member that does not answer within --timeout is shown as down, \
            with the reason. KEYS is storage's estimate (it can count overwritten keys until compaction); \
            REQUESTS counts the client requests a node coordinated plus the replica requests it served.

            Exit status: 0 when the ring could be read (even with members down), 2 when no node answered, \
            5 for a bad --hosts value.
            """
    )

    @Option(help: ArgumentHelp("Nodes to ask for the ring, as HOST:PORT[,HOST:PORT...].", valueName: "hosts"))
    var hosts = "127.0.0.1:7001"

    @OptionGroup(title: "Security (docs/security.md)")
    var security: ClientSecurityOptions
    @Option(help: ArgumentHelp("Deadline per request in milliseconds.", valueName: "ms"))
    var timeout = 2000

    func run() async throws {
        var options = try ClientCommandOptions.parse(["--hosts", hosts, "--timeout", String(timeout)])
        options.security = security
        do throws(TesseraError) {
            let statuses = try await options.withClient { client throws(TesseraError) in try await client.status() }
            Console.print(Self.render(statuses))
        } catch {
            throw ClientExitCode.report(error)
        }
    }

    /// The status table `tessera status` and the demo's `status` print.
    static func render(_ statuses: [NodeStatus]) -> String {
        var rows = [["NODE", "ADDRESS", "STATE", "KEYS", "BYTES", "REQUESTS", "UPTIME", "NOTES"]]
        for status in statuses {
            if status.isUp {
                var notes: [String] = []
                if !status.peersDown.isEmpty { notes.append("sees down: " + status.peersDown.joined(separator: ",")) }
                if status.failedRequests > 0 { notes.append("\(status.failedRequests) failed requests") }
                rows.append([
                    status.id.name, status.address.description, "up", String(status.keys), Console.bytes(status.bytes),
                    String(status.requestsServed), Console.duration(millis: status.uptimeMillis),
                    notes.joined(separator: "; "),
                ])
            } else {
                rows.append([
                    status.id.name, status.address.description, "DOWN", "-", "-", "-", "-", status.error ?? "",
                ])
            }
        }
        let up = statuses.filter(\.isUp).count
        return Console.table(rows) + "\n\(up) of \(statuses.count) members up" + renderPeerViews(statuses)
    }

    /// How each node that answered sees its peers (failure detector): up/down, phi, last heard.
    static func renderPeerViews(_ statuses: [NodeStatus]) -> String {
        var rows = [["NODE", "SEES", "AS", "PHI", "LAST HEARD"]]
        for status in statuses where status.isUp {
            for peer in status.peers {
                rows.append([
                    status.id.name, peer.id.name, peer.isUp ? "up" : "DOWN",
                    peer.phi >= 1_000_000 ? "inf" : String(format: "%.2f", peer.phi),
                    peer.heardMillisAgo.map { $0 < 10_000 ? "\($0) ms ago" : Console.duration(millis: $0) + " ago" } ?? "never",
                ])
            }
        }
        guard rows.count > 1 else { return "" }
        return "\n\nfailure detector (phi-accrual; down above the node's --phi-threshold, default 8):\n" + Console.table(rows)
    }
}
