import NIOCore
import TesseraCore
import TesseraWire
import Testing

@Suite struct WireCodecTests {
    @Test(arguments: WireSamples.messages)
    func everyMessageRoundTrips(_ message: WireMessage) throws {
        var buffer = ByteBuffer()
        WireCodec.encode(WireFrame(requestID: 0x0102_0304_0506_0708, message: message), into: &buffer)
        let encodedSize = buffer.readableBytes
        #expect(
            encodedSize <= WireCodec.encodedSizeHint(message) || { if case .error = message { true } else { false } }()
        )
        let frame = try WireCodec.decode(&buffer)
        #expect(frame == WireFrame(requestID: 0x0102_0304_0506_0708, message: message))
        #expect(buffer.readableBytes == 0)
    }

    @Test func headerIsLengthVersionOpcodeRequestID() {
        var buffer = ByteBuffer()
        WireCodec.encode(WireFrame(requestID: 0xAABB, message: .ping), into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 10, 1, 0x06, 0, 0, 0, 0, 0, 0, 0xAA, 0xBB])
    }

    @Test func getBodyLayoutMatchesTheDocs() {
        var buffer = ByteBuffer()
        WireCodec.encode(
            WireFrame(requestID: 1, message: .get(key: [0x6B], consistency: .quorum, timeoutMillis: 258)),
            into: &buffer
        )
        let bytes = Array(buffer.readableBytesView)
        // length 21 = 10 header + 4 key length + 1 key + 2 consistency + 4 timeout
        #expect(bytes[0..<4] == [0, 0, 0, 21])
        #expect(Array(bytes[14...]) == [0, 0, 0, 1, 0x6B, 4, 0, 0, 0, 1, 2])
    }

    @Test func linearizableIsLevelCode6AndASloppyOneKeepsTheHighBit() throws {
        for (quorum, byte) in [(QuorumMode.strict, UInt8(6)), (.sloppy, 0x86)] {
            var buffer = ByteBuffer()
            let message = WireMessage.put(key: [0x6B], value: [1], consistency: .linearizable, timeoutMillis: 9, quorum: quorum)
            WireCodec.encode(WireFrame(requestID: 1, message: message), into: &buffer)
            let bytes = Array(buffer.readableBytesView)
            // header 14, key 4 + 1, value 4 + 1, then the level's code and count bytes
            #expect(Array(bytes[24..<26]) == [byte, 0])
            #expect(try WireCodec.decode(&buffer)?.message == message)
        }
    }

    @Test func incompleteFrameReturnsNilAndConsumesNothing() throws {
        var full = ByteBuffer()
        WireCodec.encode(WireFrame(requestID: 9, message: WireSamples.messages[2]), into: &full)
        let bytes = Array(full.readableBytesView)
        for cut in 0..<bytes.count {
            var partial = ByteBuffer(bytes: bytes[0..<cut])
            #expect(try WireCodec.decode(&partial) == nil)
            #expect(partial.readableBytes == cut)
        }
    }

    @Test func oversizedLengthIsRejectedFromThePrefixAlone() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(WireCodec.maxFrameLength + 1))
        #expect(throws: WireError.frameTooLarge(length: WireCodec.maxFrameLength + 1, limit: WireCodec.maxFrameLength))
        {
            try WireCodec.decode(&buffer)
        }
        var small = ByteBuffer()
        small.writeInteger(UInt32(100))
        #expect(throws: WireError.frameTooLarge(length: 100, limit: 50)) {
            try WireCodec.decode(&small, maxFrameLength: 50)
        }
    }

    @Test func frameShorterThanHeaderIsRejected() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 3, 1, 6, 0])
        #expect(throws: WireError.frameTooShort(length: 3)) { try WireCodec.decode(&buffer) }
    }

    @Test func unknownVersionAndOpcodeCarryTheRequestID() {
        var badVersion = ByteBuffer(bytes: [0, 0, 0, 10, 2, 0x06, 0, 0, 0, 0, 0, 0, 0, 7])
        #expect(throws: WireError.unsupportedVersion(2, requestID: 7)) { try WireCodec.decode(&badVersion) }
        var badOpcode = ByteBuffer(bytes: [0, 0, 0, 10, 1, 0x3E, 0, 0, 0, 0, 0, 0, 0, 8])
        #expect(throws: WireError.unknownOpcode(0x3E, requestID: 8)) { try WireCodec.decode(&badOpcode) }
    }

    @Test func keyLengthBeyondTheFrameIsMalformed() throws {
        // GET whose key claims 1000 bytes in a 21-byte frame.
        var buffer = ByteBuffer(bytes: [
            0, 0, 0, 21, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x03, 0xE8, 0x6B, 4, 0, 0, 0, 1, 2,
        ])
        let error = #expect(throws: WireError.self) { try WireCodec.decode(&buffer) }
        guard case .malformedBody(0x01, 5, let reason)? = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        #expect(reason.contains("1000"))
    }

    @Test func trailingBytesAreMalformed() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 11, 1, 0x06, 0, 0, 0, 0, 0, 0, 0, 1, 0xEE])
        #expect(throws: WireError.self) { try WireCodec.decode(&buffer) }
    }

    @Test func badConsistencyCellKindAndUTF8AreMalformed() {
        // GET with consistency code 9.
        var badLevel = ByteBuffer(bytes: [
            0, 0, 0, 21, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x6B, 9, 0, 0, 0, 0, 1,
        ])
        #expect(throws: WireError.self) { try WireCodec.decode(&badLevel) }
        // count level with count 0.
        var zeroCount = ByteBuffer(bytes: [
            0, 0, 0, 21, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x6B, 0, 0, 0, 0, 0, 1,
        ])
        #expect(throws: WireError.self) { try WireCodec.decode(&zeroCount) }
        // REPLICA_READ_RESULT with present flag 2.
        var badFlag = ByteBuffer(bytes: [0, 0, 0, 11, 1, 0xC2, 0, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(throws: WireError.self) { try WireCodec.decode(&badFlag) }
        // ERROR whose message is not UTF-8.
        var badText = ByteBuffer(bytes: [0, 0, 0, 18, 1, 0x7F, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 2, 0xC3, 0x28])
        #expect(throws: WireError.self) { try WireCodec.decode(&badText) }
    }

    @Test func unknownErrorCodeDecodesAsInternalError() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 17, 1, 0x7F, 0, 0, 0, 0, 0, 0, 0, 1, 0x01, 0x00, 0, 0, 0, 1, 0x78])
        let frame = try #require(try WireCodec.decode(&buffer))
        guard case .error(let error) = frame.message else {
            Issue.record("not an error: \(frame.message)")
            return
        }
        #expect(error.code == .internalError)
        #expect(error.message.contains("256"))
    }

    /// Every shortened body of every message (with a consistent length prefix) is rejected, never misread.
    @Test func everyTruncatedBodyIsRejected() throws {
        for message in WireSamples.messages {
            var encoded = ByteBuffer()
            WireCodec.encode(WireFrame(requestID: 3, message: message), into: &encoded)
            let bytes = Array(encoded.readableBytesView)
            guard bytes.count > 14 else { continue }
            for cut in 14..<bytes.count {
                var truncated = ByteBuffer()
                truncated.writeInteger(UInt32(cut - 4))
                truncated.writeBytes(bytes[4..<cut])
                #expect(throws: WireError.self, "\(message) cut at \(cut)") { try WireCodec.decode(&truncated) }
            }
        }
    }

    /// Random byte flips must either decode to some frame or throw a WireError: no crash, no over-read.
    @Test func mutatedFramesNeverCrashTheDecoder() {
        var rng = SplitMix64(seed: 42)
        var decoded = 0
        var rejected = 0
        for round in 0..<5000 {
            let message = WireSamples.messages[round % WireSamples.messages.count]
            var encoded = ByteBuffer()
            WireCodec.encode(WireFrame(requestID: UInt64(round), message: message), into: &encoded)
            var bytes = Array(encoded.readableBytesView)
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let index = 4 + Int(rng.next() % UInt64(bytes.count - 4))
                bytes[index] = UInt8(truncatingIfNeeded: rng.next())
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                if try WireCodec.decode(&buffer) != nil { decoded += 1 }
            } catch {
                rejected += 1
            }
        }
        #expect(decoded + rejected == 5000)
        #expect(rejected > 0)
    }
}

