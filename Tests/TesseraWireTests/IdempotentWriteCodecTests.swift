import NIOCore
import TesseraCore
import Testing

@testable import TesseraWire

/// IDEMPOTENT_WRITE (0x1C): the layout docs/wire-protocol.md gives, and its malformed forms refused.
@Suite struct IdempotentWriteCodecTests {
    func encode(_ message: WireMessage) -> [UInt8] {
        var buffer = ByteBuffer()
        WireCodec.encode(WireFrame(requestID: 1, message: message), into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func theBodyIsKeyFlagsValueLevelTimeoutIdAndVersion() {
        let version = Version(timestamp: HLCTimestamp(rawValue: 0x0102_0304_0506_0708), node: 0x0A0B_0C0D)
        let bytes = encode(
            .idempotentWrite(
                key: [0x6B], value: [0x76], consistency: .quorum, timeoutMillis: 258, quorum: .strict,
                writeID: 0x1122_3344_5566_7788, resend: true, version: version
            )
        )
        #expect(bytes[5] == 0x1C)
        let body = Array(bytes[14...])
        #expect(Array(body[0..<5]) == [0, 0, 0, 1, 0x6B])  // key
        #expect(body[5] == 0b111)  // value present, resend, version present
        #expect(Array(body[6..<11]) == [0, 0, 0, 1, 0x76])  // value
        #expect(Array(body[13..<17]) == [0, 0, 1, 2])  // timeout (after the 2 level bytes)
        #expect(Array(body[17..<25]) == [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        #expect(Array(body[25...]) == [1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D])
        // A delete without a version: no value bytes, no version bytes.
        let delete = encode(
            .idempotentWrite(
                key: [0x6B], value: nil, consistency: .one, timeoutMillis: 1, quorum: .strict,
                writeID: 5, resend: false, version: nil
            )
        )
        #expect(delete[14 + 5] == 0)
        #expect(delete.count == 14 + 5 + 1 + 2 + 4 + 8)
    }

    @Test func writeIdZeroAndUnknownFlagsAreMalformed() {
        var zero = encode(
            .idempotentWrite(
                key: [1], value: nil, consistency: .one, timeoutMillis: 1, quorum: .strict, writeID: 1, resend: false,
                version: nil
            )
        )
        zero[zero.count - 1] = 0  // write id 1 -> 0
        var flags = zero
        flags[flags.count - 1] = 1
        flags[14 + 5] = 0x80
        for bytes in [zero, flags] {
            var buffer = ByteBuffer(bytes: bytes)
            #expect(throws: WireError.self) { _ = try WireCodec.decode(&buffer) }
        }
    }
}
