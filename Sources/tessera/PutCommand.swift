import ArgumentParser
import TesseraClient
import TesseraCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `tessera put KEY VALUE`: stores a value.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Store a value under a key.",
        discussion: """
            Prints OK once enough replicas acknowledged the write (--consistency, default QUORUM). VALUE `-` \
            reads the value from standard input. Keys are up to 64 KiB, values up to 16 MiB. With \
            --consistency LINEARIZABLE the write first reads the highest version from a majority and then writes \
            a higher one to a majority (two round trips; --quorum sloppy is refused).

            A write that times out may or may not have been applied (exit status 3): read the key to find out.

            \(ClientExitCode.help)
            """
    )

    @Argument(help: "The key (UTF-8 text).") var key: String
    @Argument(help: "The value (UTF-8 text), or - to read it from standard input.") var value: String
    @OptionGroup var client: ClientCommandOptions

    func run() async throws {
        let bytes = value == "-" ? Self.readStandardInput() : Array(value.utf8)
        do throws(TesseraError) {
            _ = try await client.withClient { connection throws(TesseraError) in
                try await connection.put(Array(key.utf8), bytes)
            }
            Console.print("OK")
        } catch {
            throw ClientExitCode.report(error, isWrite: true)
        }
    }

    /// All of standard input, as bytes.
    static func readStandardInput() -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            result += buffer[0..<count]
        }
        return result
    }
}
