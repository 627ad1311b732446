/// Why a harness run could not be carried out (as opposed to a verdict): bad flags, a node that would not
/// start, a missing tool. The message names what is wrong.
public enum HarnessError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A flag or argument that cannot work; nothing was started.
    case badInput(String)
    /// The cluster or a nemesis failed at run time; every process the harness started has been stopped.
    case runFailed(String)

    public var description: String {
        switch self {
        case .badInput(let message), .runFailed(let message): return message
        }
    }
}
