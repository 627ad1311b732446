import ArgumentParser
import TesseraClient
import TesseraCore

/// `tessera hot`: every member's most requested keys, reads and writes apart (as `nodetool toppartitions`).
struct HotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hot",
        abstract: "Show each member's most requested keys and their share of its replica reads and writes.",
        discussion: """
            Asks every ring member (read from the first --hosts node that answers) for HOT_KEYS. Each node keeps \
            a space-saving sketch of the keys of the replica reads and of the replica writes it serves, in \
            bounded memory (64 keys each), with a request's weight halving every 30 s, so the figures describe \
            the last minute or so. SHARE is the key's part of the node's decayed requests of that kind; the \
            sketch may overestimate a count by at most ERROR (shown when it is not 0), never underestimate it. \
            Keys are printed as text when they are printable UTF-8, else as hex.

            Exit status: 0 when the ring could be read (even with members down), 2 when no node answered, \
            5 for a bad --hosts, --limit or --timeout.
            """
    )

    @Option(help: ArgumentHelp("Nodes to ask for the ring, as HOST:PORT[,HOST:PORT...].", valueName: "hosts"))
    var hosts = "127.0.0.1:7001"

    @OptionGroup(title: "Security (docs/security.md)")
    var security: ClientSecurityOptions
    @Option(help: "Keys per node and kind (reads, writes).") var limit = 10
    @Option(help: ArgumentHelp("Deadline per request in milliseconds.", valueName: "ms")) var timeout = 2000

    func run() async throws {
        var options = try ClientCommandOptions.parse(["--hosts", hosts, "--timeout", String(timeout)])
        options.security = security
        do throws(TesseraError) {
            let limit = self.limit
            let nodes = try await options.withClient { client throws(TesseraError) in
                try await client.hotKeys(limit: limit)
            }
            Console.print(Self.render(nodes))
        } catch {
            throw ClientExitCode.report(error)
        }
    }

    /// One table per node: kind, rank, key, share, count, error.
    static func render(_ nodes: [NodeHotKeys]) -> String {
        var blocks: [String] = []
        for node in nodes {
            guard node.isUp else {
                blocks.append("\(node.id.name) \(node.address): DOWN \(node.error ?? "")")
                continue
            }
            var rows = [["KIND", "#", "KEY", "SHARE", "COUNT", "ERROR"]]
            for (kind, keys) in [("read", node.reads), ("write", node.writes)] {
                for (rank, hot) in keys.enumerated() {
                    rows.append([
                        kind, String(rank + 1), Self.printable(hot.key), Self.percent(hot.share),
                        String(Int(hot.count.rounded())), hot.error >= 0.5 ? String(Int(hot.error.rounded())) : "",
                    ])
                }
            }
            blocks.append(
                "\(node.id.name) \(node.address): \(node.readsRecorded) replica reads, \(node.writesRecorded) replica "
                    + "writes since start; weights halve every \(node.halfLifeMillis / 1000) s"
                    + (rows.count > 1 ? "\n" + Console.table(rows) : "\n(no requests yet)"))
        }
        return blocks.joined(separator: "\n\n")
    }

    static func printable(_ key: [UInt8]) -> String {
        if let text = String(validating: key, as: UTF8.self),
            text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        {
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
        let hex = key.prefix(30).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return "0x" + hex.joined() + (key.count > 30 ? "..." : "")
    }

    static func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}
