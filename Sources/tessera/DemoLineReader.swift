import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the demo shell's lines from standard input on a thread of its own, so a blocking read never holds
/// a thread of Swift's small cooperative pool (the client's answers need it).
struct DemoLineReader: Sendable {
    /// Printed before each line when standard input is a terminal; nil otherwise.
    let prompt: String?
    private static let queue = DispatchQueue(label: "tessera.demo.stdin")

    init(prompt: String?) { self.prompt = prompt }

    /// The next line without its newline, or nil at end of input.
    func next() async -> String? {
        if let prompt {
            Console.prompt(prompt)
        }
        return await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: readLine(strippingNewline: true)) }
        }
    }
}
