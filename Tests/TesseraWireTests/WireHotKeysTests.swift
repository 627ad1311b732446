import NIOCore
import TesseraCore
import Testing

@testable import TesseraWire

@Suite struct WireHotKeysTests {
    static let hot = WireHotKeys(
        nodeID: "n4",
        halfLifeMillis: 30_000,
        reads: .init(
            recorded: 12_345, total: 812.5,
            keys: [.init(key: Array("user42".utf8), count: 301.25, error: 0), .init(key: [0, 0xFF], count: 7, error: 3.5)]),
        writes: .init(recorded: 0, total: 0, keys: []))

    @Test func hotKeysAndTheirResultRoundTrip() throws {
        for message in [WireMessage.hotKeys(limit: 10), .hotKeys(limit: .max), .hotKeysResult(Self.hot)] {
            var buffer = ByteBuffer()
            WireCodec.encode(requestID: 99, message: message, into: &buffer)
            #expect(buffer.readableBytes <= WireCodec.encodedSizeHint(message))
            let frame = try #require(try WireCodec.decode(&buffer))
            #expect(frame.message == message)
            #expect(frame.requestID == 99)
            #expect(buffer.readableBytes == 0)
        }
        #expect(WireOpcode.hotKeys.rawValue == 0x10)
        #expect(WireOpcode.hotKeysResult.rawValue == WireOpcode.hotKeys.rawValue | 0x40)
    }

    @Test func aTruncatedResultIsMalformedNotGarbage() {
        var buffer = ByteBuffer()
        WireCodec.encode(requestID: 1, message: .hotKeysResult(Self.hot), into: &buffer)
        // Cut the last key's error field and fix up the length prefix.
        let length = buffer.readableBytes - 4 - 5
        var payload = buffer.getSlice(at: 4, length: length)!
        #expect(throws: WireError.self) { try WireCodec.decodePayload(&payload) }
    }
}
