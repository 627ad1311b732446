import TesseraBench
import TesseraLocalCluster
import TesseraClient
import TesseraCore

/// Runs the demo's shell commands against the local cluster and prints their results on stdout.
///
/// Results: `OK` for put and delete, the value (as UTF-8, with invalid bytes replaced) or `(not found)` for
/// get, `error: MESSAGE` for any failure (the shell goes on; the demo still exits 0 at the end of input).
struct DemoShell {
    let launcher: ClusterLauncher
    let client: TesseraClient

    /// Reads and runs commands until `quit` or the end of input.
    func run(input: DemoLineReader) async {
        while let line = await input.next() {
            let command: ClusterShellCommand
            do {
                command = try ClusterShellCommand.parse(line)
            } catch {
                Console.print("error: \(error.message)")
                continue
            }
            if command == .quit { return }
            await execute(command)
        }
        if input.prompt != nil { Console.print("") }
    }

    func execute(_ command: ClusterShellCommand) async {
        do {
            switch command {
            case .put(let key, let value, let level):
                try await client.put(Array(key.utf8), Array(value.utf8), consistency: try parse(level))
                Console.print("OK")
            case .get(let key, let level):
                if let found = try await client.get(Array(key.utf8), consistency: try parse(level)) {
                    Console.print(String(decoding: found.value, as: UTF8.self))
                } else {
                    Console.print("(not found)")
                }
            case .delete(let key, let level):
                try await client.delete(Array(key.utf8), consistency: try parse(level))
                Console.print("OK")
            case .status:
                Console.print(StatusCommand.render(try await client.status(timeout: .seconds(1))))
            case .ring:
                Console.print(RingCommand.render(try await client.topology()))
            case .kill(let name):
                if try launcher.kill(name) {
                    Console.print("killed \(name) (SIGKILL)")
                } else {
                    Console.print("\(name) is not running")
                }
            case .start(let name):
                let node = try launcher.node(named: name)
                try launcher.start(name)
                try await launcher.waitUntilReady([name], timeout: .seconds(30))
                let pid = launcher.pid(of: name).map { " (pid \($0))" } ?? ""
                Console.print("started \(name) on \(node.address)\(pid)")
            case .help:
                Console.print(ClusterShellCommand.helpText)
            case .quit, .nothing:
                break
            }
        } catch let error as TesseraError {
            Console.print("error: \(error.message)")
        } catch {
            Console.print("error: \(error)")
        }
    }

    private func parse(_ level: String?) throws(TesseraError) -> ConsistencyLevel? {
        guard let level else { return nil }
        return try ConsistencyLevel(parsing: level)
    }
}
