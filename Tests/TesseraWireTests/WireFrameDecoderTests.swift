import NIOCore
import NIOEmbedded
import TesseraCore
import TesseraWire
import Testing

@Suite struct WireFrameDecoderTests {
    private func encoded(_ frames: [WireFrame]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for frame in frames { WireCodec.encode(frame, into: &buffer) }
        return buffer
    }

    @Test func framesSplitAcrossReadsAndBatchedInOneRead() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addWireFraming()
        let frames = WireSamples.messages.enumerated().map {
            WireFrame(requestID: UInt64($0.offset), message: $0.element)
        }
        let bytes = Array(encoded(frames).readableBytesView)
        // Feed in chunks of 7 bytes: frames straddle reads, several frames share a read.
        var start = 0
        while start < bytes.count {
            let end = min(start + 7, bytes.count)
            try channel.writeInbound(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        var received: [WireFrame] = []
        while let frame = try channel.readInbound(as: WireFrame.self) { received.append(frame) }
        #expect(received == frames)
        #expect(try channel.finish().isClean)
    }

    @Test func encoderWritesFrames() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addWireFraming()
        try channel.writeOutbound(WireFrame(requestID: 5, message: .ping))
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(out == encoded([WireFrame(requestID: 5, message: .ping)]))
        _ = try channel.finish()
    }

    @Test func oversizedFrameIsAnErrorBeforeItsBytesArrive() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WireFrameDecoder(maxFrameLength: 1024)))
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1 << 30))
        #expect(throws: WireError.frameTooLarge(length: 1 << 30, limit: 1024)) { try channel.writeInbound(buffer) }
        _ = try? channel.finish()
    }

    @Test func garbageIsAnError() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addWireFraming()
        // "GET / HTTP/1.1": the first four bytes announce a 1.2 GB frame.
        #expect(throws: WireError.self) { try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")) }
        _ = try? channel.finish()
    }

    @Test func connectionClosedMidFrameIsTruncatedStream() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addWireFraming()
        let bytes = Array(encoded([WireFrame(requestID: 1, message: .replicaRead(key: [1, 2, 3]))]).readableBytesView)
        try channel.writeInbound(ByteBuffer(bytes: bytes.dropLast(2)))
        #expect(try channel.readInbound(as: WireFrame.self) == nil)
        #expect(throws: WireError.truncatedStream(bufferedBytes: bytes.count - 2)) { try channel.finish() }
    }

    @Test func frameReaderYieldsFramesAndKeepsPartialBytes() throws {
        var reader = WireFrameReader()
        let bytes = Array(
            encoded([WireFrame(requestID: 1, message: .ping), WireFrame(requestID: 2, message: .pong)])
                .readableBytesView
        )
        reader.append(ByteBuffer(bytes: bytes.prefix(20)))
        #expect(try reader.next() == WireFrame(requestID: 1, message: .ping))
        #expect(try reader.next() == nil)
        #expect(reader.bufferedBytes == 6)
        reader.append(ByteBuffer(bytes: bytes.dropFirst(20)))
        #expect(try reader.next() == WireFrame(requestID: 2, message: .pong))
        #expect(reader.bufferedBytes == 0)
    }
}
