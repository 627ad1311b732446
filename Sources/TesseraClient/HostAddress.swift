public import TesseraCore

/// A node's client address, `host:port`, as given in `--hosts` or as a seed.
///
/// The host is an IPv4 address, a bracketed IPv6 address (`[::1]:7001`) or a name; the port is 1 to 65535.
public struct HostAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host name or address, without brackets.
    public var host: String
    /// The TCP port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; throws `TesseraError.invalidRequest` that names the bad text and the expected form.
    public init(parsing text: String) throws(TesseraError) {
        let trimmed = text.trimmingSpaces
        let hostPart: Substring
        let portPart: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]"),
                trimmed[trimmed.index(after: close)...].hasPrefix(":")
            else {
                throw TesseraError(.invalidRequest, "invalid address '\(text)': expected [IPv6]:PORT")
            }
            hostPart = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            portPart = trimmed[trimmed.index(close, offsetBy: 2)...]
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else {
                throw TesseraError(
                    .invalidRequest,
                    "invalid address '\(text)': expected HOST:PORT, e.g. 127.0.0.1:7001"
                )
            }
            hostPart = trimmed[..<colon]
            portPart = trimmed[trimmed.index(after: colon)...]
        }
        guard !hostPart.isEmpty else {
            throw TesseraError(.invalidRequest, "invalid address '\(text)': the host is empty (expected HOST:PORT)")
        }
        guard let port = Int(portPart), (1...65535).contains(port) else {
            throw TesseraError(.invalidRequest, "invalid address '\(text)': the port must be a number from 1 to 65535")
        }
        self.host = String(hostPart)
        self.port = port
    }

    /// Parses a comma-separated list such as `127.0.0.1:7001,127.0.0.1:7002`; empty entries are ignored,
    /// an empty list is an error.
    public static func parseList(_ text: String) throws(TesseraError) -> [HostAddress] {
        var result: [HostAddress] = []
        for part in text.split(separator: ",") where !part.allSatisfy({ $0 == " " }) {
            result.append(try HostAddress(parsing: String(part)))
        }
        guard !result.isEmpty else {
            throw TesseraError(.invalidRequest, "no hosts given: expected HOST:PORT[,HOST:PORT...]")
        }
        return result
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return s
    }
}
