import ArgumentParser
import Linearizability
import TesseraCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `tessera generate-history`: writes a long concurrent register history (JSONL) simulated from a seed.
struct GenerateHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-history",
        abstract: "Write a simulated concurrent register history (JSONL) for testing and benchmarking the checker.",
        discussion: """
            Clients read and write random keys of linearizable registers, with random overlaps, crashes (info: \
            unknown outcome, applied or not), failed writes and operations left pending at the end. Written values \
            are unique. The history is linearizable unless --invalid (one read returns a value written only after \
            it returned: certainly not linearizable) or --swaps (results of pairs of reads swapped: maybe not). The \
            same seed gives the same history. See docs/checker.md.
            """
    )

    @Option(help: "Operations to invoke.")
    var ops: Int = 100_000

    @Option(help: "Keys (k0, k1, ...).")
    var keys: Int = 4

    @Option(help: "Clients running at once.")
    var processes: Int = 8

    @Option(help: "Seed of the simulation.")
    var seed: UInt64 = 1

    @Option(help: "Fraction of reads, 0...1.")
    var reads: Double = 0.5

    @Option(help: "Chance that an operation crashes (info), 0...1.")
    var crash: Double = 0.01

    @Option(help: "Chance that a write fails, 0...1.")
    var fail: Double = 0.01

    @Flag(help: "Make the history certainly not linearizable (one read sees a value from its future).")
    var invalid = false

    @Option(help: "Swap the results of this many pairs of reads of the same key.")
    var swaps: Int = 0

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        if ops < 0 { throw ValidationError("--ops must be 0 or more") }
        if keys < 1 { throw ValidationError("--keys must be at least 1") }
        if processes < 1 { throw ValidationError("--processes must be at least 1") }
        for (name, v) in [("--reads", reads), ("--crash", crash), ("--fail", fail)] where !(0...1).contains(v) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        if swaps < 0 { throw ValidationError("--swaps must be 0 or more") }
    }

    func run() throws {
        var rng = SplitMix64(seed: seed)
        let generator = RegisterHistoryGenerator(
            operations: ops,
            keys: keys,
            processes: processes,
            readFraction: reads,
            crashFraction: crash,
            failFraction: fail,
            invalid: invalid,
            swaps: swaps
        )
        let events = generator.generate(using: &rng)
        let fd: Int32
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd < 0 {
                printError("cannot create \(output): \(String(cString: strerror(errno)))")
                throw ExitCode(3)
            }
        } else {
            fd = 1
        }
        defer { if fd != 1 { close(fd) } }
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        for (i, e) in events.enumerated() {
            buffer += e.jsonLine
            buffer += "\n"
            if buffer.utf8.count >= 1 << 20 || i == events.count - 1 {
                if !writeAll(fd, buffer) {
                    printError("cannot write \(output ?? "standard output"): \(String(cString: strerror(errno)))")
                    throw ExitCode(3)
                }
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    private func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                off += n
            }
            return true
        }
    }

    private func printError(_ s: String) {
        let bytes = Array(("tessera generate-history: " + s + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
