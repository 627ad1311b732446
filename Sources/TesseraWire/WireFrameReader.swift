public import NIOCore

/// Accumulates the bytes a connection receives and yields complete frames: the framing step of a handler
/// that reads `ByteBuffer`s directly (no per-frame pipeline hop, no boxing of frames).
///
/// Usage in `channelRead`: `reader.append(buffer)`, then `while let frame = try reader.next() { ... }`.
/// After `next()` throws the stream is unusable; answer with an ERROR frame and close the connection.
public struct WireFrameReader {
    private var buffer: ByteBuffer?
    public let maxFrameLength: Int

    public init(maxFrameLength: Int = WireCodec.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
    }

    /// Bytes received but not yet part of a returned frame.
    public var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    /// Adds received bytes.
    public mutating func append(_ bytes: ByteBuffer) {
        if buffer == nil {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer!.writeBuffer(&bytes)
        }
    }

    /// The next complete frame, or nil if more bytes are needed.
    public mutating func next() throws(WireError) -> WireFrame? {
        guard buffer != nil else { return nil }
        let frame = try WireCodec.decode(&buffer!, maxFrameLength: maxFrameLength)
        if frame == nil || buffer!.readableBytes == 0 { compact() }
        return frame
    }

    private mutating func compact() {
        // Only the sizes are read here: a `let` copy of the buffer would share its storage, and
        // `discardReadBytes()` would then copy the whole storage instead of moving the unread bytes in place.
        guard let readable = buffer?.readableBytes, let readerIndex = buffer?.readerIndex else { return }
        if readable == 0 {
            buffer = nil
        } else if readerIndex > 64 * 1024 && readerIndex > readable {
            buffer!.discardReadBytes()
        }
    }
}
