public import TesseraCore

/// A cluster member as given by `--members ID=HOST:PORT,...`.
public struct MemberAddress: Sendable, Hashable, CustomStringConvertible {
    public var id: NodeID
    public var host: String
    public var port: Int

    public init(id: NodeID, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    public var description: String { "\(id.name)=\(host):\(port)" }

    /// Parses `HOST:PORT` (an IPv6 host in brackets: `[::1]:7000`).
    public static func parseHostPort(_ text: String) throws(TesseraError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else {
            throw TesseraError(.invalidRequest, "'\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw TesseraError(.invalidRequest, "'\(text)' is not HOST:PORT with a port from 0 to 65535")
        }
        return (host, port)
    }

    /// Parses `ID=HOST:PORT,ID=HOST:PORT,...`, checking ids (valid, distinct, distinct tags).
    public static func parseList(_ text: String) throws(TesseraError) -> [MemberAddress] {
        var members: [MemberAddress] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else {
                throw TesseraError(.invalidRequest, "member '\(item)' is not ID=HOST:PORT")
            }
            let (host, port) = try parseHostPort(String(parts[1]))
            members.append(MemberAddress(id: NodeID(String(parts[0])), host: host, port: port))
        }
        guard !members.isEmpty else { throw TesseraError(.invalidRequest, "the member list is empty") }
        let ids = members.map(\.id)
        guard Set(ids).count == ids.count else {
            throw TesseraError(.invalidRequest, "the member list names a node id twice: \(text)")
        }
        try NodeID.checkDistinctTags(ids)
        return members
    }
}
