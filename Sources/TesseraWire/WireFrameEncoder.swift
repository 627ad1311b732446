public import NIOCore

/// Encodes `WireFrame`s for a NIO pipeline (`MessageToByteHandler(WireFrameEncoder())`).
///
/// The node and `WireConnection` do not use it on their hot paths: they append frames to one buffer per
/// event-loop tick instead (see `WireFrameReader` and `WireClientHandler`).
public struct WireFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = WireFrame

    public init() {}

    public func encode(data: WireFrame, out: inout ByteBuffer) throws {
        WireCodec.encode(data, into: &out)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds the frame decoder and encoder. Must run on the channel's event loop.
    public func addWireFraming(maxFrameLength: Int = WireCodec.maxFrameLength) throws {
        try addHandler(ByteToMessageHandler(WireFrameDecoder(maxFrameLength: maxFrameLength)))
        try addHandler(MessageToByteHandler(WireFrameEncoder()))
    }
}
