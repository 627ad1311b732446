import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal real HTTP/1.1 client over a blocking TCP socket (no mocks): one GET per connection.
enum AdminHTTP {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// `GET path` on 127.0.0.1:port with `Connection: close`; reads until the server closes.
    static func get(port: Int, path: String) async throws -> Response {
        try await Task.detached { try getBlocking(port: port, path: path) }.value
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A TCP socket connected to 127.0.0.1:`port`, or nil (errno says why).
    static func connectLoopback(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if connected { return fd }
        close(fd)
        return nil
    }

    private static func getBlocking(port: Int, path: String) throws -> Response {
        guard let fd = connectLoopback(port: port) else {
            throw Failure(description: "connect to admin port \(port): errno \(errno)")
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
        let sent = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, 0) }
        guard sent == request.utf8.count else { throw Failure(description: "send: errno \(errno)") }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 { throw Failure(description: "recv: errno \(errno)") }
            if n == 0 { break }
            data += chunk[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP header end in \(text)") }
        let headLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = headLines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(headLines[0])")
        }
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(text[split.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            #expect(body.utf8.count == length, "Content-Length \(length) but \(body.utf8.count) body bytes")
        }
        return Response(status: status, headers: headers, body: body)
    }
}

/// Parses the Prometheus text exposition format (0.0.4): `# HELP`, `# TYPE`, `name{labels} value` lines.
struct PrometheusText {
    /// Sample value by `name{label="value",...}` exactly as exposed (labels in exposition order).
    var samples: [String: Double] = [:]
    /// Family type by name (`counter`, `gauge`, `histogram`).
    var types: [String: String] = [:]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ text: String) throws {
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3])
                else { throw ParseError(description: "line \(number + 1): bad TYPE line: \(line)") }
                types[String(parts[2])] = String(parts[3])
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw ParseError(description: "line \(number + 1): no value: \(line)")
            }
            let key = String(line[..<space])
            let name = String(key.prefix { $0 != "{" })
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }), !name.isEmpty else {
                throw ParseError(description: "line \(number + 1): bad metric name \(name)")
            }
            if key.contains("{") && !key.hasSuffix("}") {
                throw ParseError(description: "line \(number + 1): unterminated labels: \(line)")
            }
            // Every sample belongs to a declared family (histograms add _bucket, _sum, _count).
            let family = [name, String(name.dropLast(7)), String(name.dropLast(4)), String(name.dropLast(6))]
                .first { types[$0] != nil }
            guard family != nil else { throw ParseError(description: "line \(number + 1): \(name) has no TYPE line") }
            samples[key] = value
        }
    }

    /// The sample `name{labels}` (labels as `op="put"` pairs in exposition order), 0 if absent.
    subscript(_ key: String) -> Double { samples[key] ?? 0 }
}
