public import TesseraCore

/// Why bytes on a connection could not be read as a frame. Every case is a protocol error: the peer gets an
/// ERROR frame (`TesseraError.Code.protocolError`) and the connection is closed.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The length prefix announces more than the limit; nothing was allocated for it.
    case frameTooLarge(length: Int, limit: Int)
    /// The length prefix is smaller than the fixed header (version, opcode, request id).
    case frameTooShort(length: Int)
    /// The protocol version byte is not one this build speaks.
    case unsupportedVersion(UInt8, requestID: UInt64)
    /// The opcode byte is not a known message.
    case unknownOpcode(UInt8, requestID: UInt64)
    /// The body does not match its opcode's layout (truncated field, bad flag, trailing bytes, bad UTF-8).
    case malformedBody(opcode: UInt8, requestID: UInt64, reason: String)
    /// The connection ended in the middle of a frame.
    case truncatedStream(bufferedBytes: Int)

    /// The request id of the offending frame, when its header could be read.
    public var requestID: UInt64? {
        switch self {
        case .unsupportedVersion(_, let id), .unknownOpcode(_, let id), .malformedBody(_, let id, _): return id
        case .frameTooLarge, .frameTooShort, .truncatedStream: return nil
        }
    }

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let limit):
            return "frame of \(length) bytes exceeds the limit of \(limit) bytes"
        case .frameTooShort(let length):
            return "frame length \(length) is shorter than the 10-byte header (version, opcode, request id)"
        case .unsupportedVersion(let version, _):
            return "unsupported protocol version \(version); this node speaks version \(WireCodec.protocolVersion)"
        case .unknownOpcode(let opcode, _):
            return "unknown opcode 0x\(String(opcode, radix: 16))"
        case .malformedBody(let opcode, _, let reason):
            return "malformed body for opcode 0x\(String(opcode, radix: 16)): \(reason)"
        case .truncatedStream(let bytes):
            return "connection closed in the middle of a frame (\(bytes) bytes buffered)"
        }
    }

    /// The error sent to the peer before the connection is closed.
    public var tesseraError: TesseraError { TesseraError(.protocolError, description) }
}
