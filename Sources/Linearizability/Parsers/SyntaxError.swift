/// A syntax error inside one line or form: the reason, and the line it belongs to when a reader tracks lines.
struct SyntaxError: Error {
    var reason: String
    var line: Int = 0
}
