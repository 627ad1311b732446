/// One line of the `tessera demo` shell, parsed.
///
/// Words are separated by spaces or tabs; a word in double quotes may contain spaces (`put greeting "hello
/// world"`), and `\"` and `\\` escape inside quotes. Command names are case-insensitive. Levels are checked
/// later, by the client, so the error names the replication factor.
public enum ClusterShellCommand: Hashable, Sendable {
    case put(key: String, value: String, level: String?)
    case get(key: String, level: String?)
    case delete(key: String, level: String?)
    case status
    case ring
    /// SIGKILL a node.
    case kill(String)
    /// Restart a stopped or killed node on its data directory and port.
    case start(String)
    case help
    case quit
    /// A blank line or a comment (`# ...`).
    case nothing

    /// The shell's help text.
    public static let helpText = """
        commands:
          put KEY VALUE [LEVEL]   store VALUE under KEY (LEVEL: ONE, TWO, THREE, QUORUM, ALL or a number)
          get KEY [LEVEL]         print KEY's value, or (not found)
          delete KEY [LEVEL]      delete KEY
          status                  every node: up/down, keys, bytes, requests served
          ring                    every node's tokens and share of the key space
          kill NODE               SIGKILL a node (a crash), e.g. kill n2
          start NODE              restart a node on its data directory and port
          help                    this text
          quit                    stop every node and exit (Ctrl-D too)
        the default level is QUORUM; quote values with spaces: put k "hello world"
        """

    /// Parses one line; throws a message that says what is wrong and shows the right form.
    public static func parse(_ line: String) throws(ClusterShellParseError) -> ClusterShellCommand {
        let words = try split(line)
        guard let name = words.first else { return .nothing }
        if name.hasPrefix("#") { return .nothing }
        let arguments = Array(words.dropFirst())
        func expect(_ range: ClosedRange<Int>, _ usage: String) throws(ClusterShellParseError) {
            guard range.contains(arguments.count) else { throw ClusterShellParseError("usage: \(usage)") }
        }
        switch name.lowercased() {
        case "put", "set":
            try expect(2...3, "put KEY VALUE [LEVEL]")
            return .put(key: arguments[0], value: arguments[1], level: arguments.count > 2 ? arguments[2] : nil)
        case "get":
            try expect(1...2, "get KEY [LEVEL]")
            return .get(key: arguments[0], level: arguments.count > 1 ? arguments[1] : nil)
        case "delete", "del":
            try expect(1...2, "delete KEY [LEVEL]")
            return .delete(key: arguments[0], level: arguments.count > 1 ? arguments[1] : nil)
        case "status":
            try expect(0...0, "status")
            return .status
        case "ring":
            try expect(0...0, "ring")
            return .ring
        case "kill":
            try expect(1...1, "kill NODE (e.g. kill n2)")
            return .kill(arguments[0])
        case "start":
            try expect(1...1, "start NODE (e.g. start n2)")
            return .start(arguments[0])
        case "help", "?":
            return .help
        case "quit", "exit":
            return .quit
        default:
            throw ClusterShellParseError("unknown command '\(name)'; type help for the list")
        }
    }

    /// Splits a line into words, honouring double quotes.
    static func split(_ line: String) throws(ClusterShellParseError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var inQuotes = false
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if inQuotes {
                switch character {
                case "\\": escaped = true
                case "\"": inQuotes = false
                default: current.append(character)
                }
            } else if character == "\"" {
                inQuotes = true
                inWord = true
            } else if character == " " || character == "\t" || character == "\r" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inQuotes { throw ClusterShellParseError("unterminated quote in: \(line)") }
        if inWord { words.append(current) }
        return words
    }
}

/// A shell line that could not be parsed, with what to type instead.
public struct ClusterShellParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
