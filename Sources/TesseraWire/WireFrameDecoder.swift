public import NIOCore

/// Splits a byte stream into `WireFrame`s for a NIO pipeline (`ByteToMessageHandler(WireFrameDecoder())`).
///
/// The announced length is checked against `maxFrameLength` as soon as the 4-byte prefix arrives, before any
/// of the frame is buffered. A decoding error is thrown into the pipeline as a `WireError` (`errorCaught`);
/// after it the handler drops all further input, so the owner should answer with an ERROR frame and close.
public struct WireFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = WireFrame

    public let maxFrameLength: Int

    public init(maxFrameLength: Int = WireCodec.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> WireFrame? {
        try WireCodec.decode(&buffer, maxFrameLength: maxFrameLength)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> WireFrame? {
        if let frame = try decode(buffer: &buffer) { return frame }
        if buffer.readableBytes > 0 { throw WireError.truncatedStream(bufferedBytes: buffer.readableBytes) }
        return nil
    }
}
