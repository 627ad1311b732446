import ArgumentParser
import TesseraClient
import TesseraCore

/// `tessera get KEY`: prints a value.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the value of a key.",
        discussion: """
            Prints the newest value among the replicas that answered (--consistency, default QUORUM), as raw \
            bytes followed by a newline. A missing (or deleted) key prints `not found: KEY` on standard error and \
            exits with status 4.

            \(ClientExitCode.help)
            """
    )

    @Argument(help: "The key (UTF-8 text).") var key: String
    @Flag(help: "Also print the value's version (HLC timestamp@node tag) on standard error.")
    var showVersion = false
    @OptionGroup var client: ClientCommandOptions

    /// `--quorum` is shared with put and delete; a read has no sloppy form, so asking for one is an error, not
    /// a flag silently ignored.
    func validate() throws {
        if client.quorum.lowercased() != "strict" {
            throw ValidationError(
                "--quorum \(client.quorum) does not apply to get: reads always ask the home replicas "
                    + "(--quorum chooses which replicas count toward a write: put, delete; docs/consistency.md)")
        }
    }

    func run() async throws {
        let found: VersionedValue?
        do throws(TesseraError) {
            found = try await client.withClient { connection throws(TesseraError) in
                try await connection.get(Array(key.utf8))
            }
        } catch {
            throw ClientExitCode.report(error)
        }
        guard let found else {
            Console.error("not found: \(key)")
            throw ExitCode(ClientExitCode.notFound)
        }
        Console.write(found.value + [0x0A])
        if showVersion { Console.error("version: \(found.version)") }
    }
}
