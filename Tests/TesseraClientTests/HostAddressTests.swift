import TesseraCore
import Testing

@testable import TesseraClient

@Suite struct HostAddressTests {
    @Test func parsesHostAndPort() throws {
        #expect(try HostAddress(parsing: "127.0.0.1:7001") == HostAddress(host: "127.0.0.1", port: 7001))
        #expect(try HostAddress(parsing: " localhost:80 ") == HostAddress(host: "localhost", port: 80))
        #expect(try HostAddress(parsing: "[::1]:7001") == HostAddress(host: "::1", port: 7001))
        #expect(HostAddress(host: "::1", port: 7001).description == "[::1]:7001")
    }

    @Test(arguments: ["127.0.0.1", ":7001", "host:0", "host:65536", "host:abc", "[::1]7001", ""])
    func rejectsMalformedAddressesWithTheExpectedForm(_ text: String) {
        #expect {
            try HostAddress(parsing: text)
        } throws: { error in
            guard let error = error as? TesseraError else { return false }
            return error.code == .invalidRequest && error.message.contains("invalid address")
        }
    }

    @Test func parsesCommaSeparatedLists() throws {
        let list = try HostAddress.parseList("127.0.0.1:7001, 127.0.0.1:7002,")
        #expect(list.map(\.port) == [7001, 7002])
        #expect(throws: TesseraError.self) { try HostAddress.parseList(" , ") }
    }
}
