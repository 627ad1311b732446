import ArgumentParser
import TesseraClient
import TesseraCore

/// `tessera delete KEY`: deletes a key.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a key.",
        discussion: """
            Writes a tombstone and prints OK once enough replicas acknowledged it (--consistency, default \
            QUORUM). Deleting a missing key succeeds. A delete that times out may or may not have been applied \
            (exit status 3).

            \(ClientExitCode.help)
            """
    )

    @Argument(help: "The key (UTF-8 text).") var key: String
    @OptionGroup var client: ClientCommandOptions

    func run() async throws {
        do throws(TesseraError) {
            _ = try await client.withClient { connection throws(TesseraError) in
                try await connection.delete(Array(key.utf8))
            }
            Console.print("OK")
        } catch {
            throw ClientExitCode.report(error, isWrite: true)
        }
    }
}
