import NIOCore
import TesseraCore

/// Reads the fields of one frame's body, turning every shortfall into `WireError.malformedBody`.
///
/// Every length is checked against the bytes left in the frame before anything is allocated for it.
struct WireBodyReader {
    var buffer: ByteBuffer
    let opcode: UInt8
    let requestID: UInt64

    var remaining: Int { buffer.readableBytes }

    func malformed(_ reason: String) -> WireError {
        .malformedBody(opcode: opcode, requestID: requestID, reason: reason)
    }

    @inline(__always)
    mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ what: StaticString) throws(WireError) -> T {
        guard let value = buffer.readInteger(as: T.self) else {
            throw malformed("truncated \(what): need \(MemoryLayout<T>.size) bytes, \(remaining) remain")
        }
        return value
    }

    mutating func u8() throws(WireError) -> UInt8 { try integer(UInt8.self, "u8") }
    mutating func u16() throws(WireError) -> UInt16 { try integer(UInt16.self, "u16") }
    mutating func u32() throws(WireError) -> UInt32 { try integer(UInt32.self, "u32") }
    mutating func u64() throws(WireError) -> UInt64 { try integer(UInt64.self, "u64") }

    /// `u32 length` then that many bytes.
    mutating func bytes32() throws(WireError) -> [UInt8] {
        let length = Int(try u32())
        guard length <= remaining else {
            throw malformed("byte string of \(length) bytes announced but only \(remaining) remain in the frame")
        }
        return buffer.readBytes(length: length)!
    }

    mutating func utf8(length: Int) throws(WireError) -> String {
        guard length <= remaining else {
            throw malformed("string of \(length) bytes announced but only \(remaining) remain in the frame")
        }
        let view = buffer.readableBytesView.prefix(length)
        guard let string = String(validating: view, as: UTF8.self) else { throw malformed("string is not valid UTF-8") }
        buffer.moveReaderIndex(forwardBy: length)
        return string
    }

    /// `u16 length` then that many bytes of UTF-8.
    mutating func string16() throws(WireError) -> String {
        let length = Int(try u16())
        return try utf8(length: length)
    }

    mutating func stringList16() throws(WireError) -> [String] {
        let count = Int(try u16())
        guard count * 2 <= remaining else {
            throw malformed("list of \(count) strings cannot fit in \(remaining) bytes")
        }
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0..<count { strings.append(try string16()) }
        return strings
    }

    /// A consistency level and the quorum mode carried in its code's high bit (`QuorumMode.sloppyWireBit`).
    mutating func consistency() throws(WireError) -> (ConsistencyLevel, QuorumMode) {
        let byte = try u8()
        let count = try u8()
        let quorum: QuorumMode = byte & QuorumMode.sloppyWireBit != 0 ? .sloppy : .strict
        let code = byte & ~QuorumMode.sloppyWireBit
        guard let level = ConsistencyLevel(wireCode: code, count: count) else {
            throw malformed("invalid consistency level (code \(code), count \(count))")
        }
        return (level, quorum)
    }

    mutating func version() throws(WireError) -> Version {
        let timestamp = try u64()
        return Version(timestamp: HLCTimestamp(rawValue: timestamp), node: try u32())
    }

    mutating func cell() throws(WireError) -> Cell {
        let version = try version()
        switch try u8() {
        case 0: return Cell(version: version, value: try bytes32())
        case 1: return Cell.tombstone(version)
        case let kind: throw malformed("invalid cell kind \(kind) (0 = value, 1 = tombstone)")
        }
    }

    mutating func optionalCell() throws(WireError) -> Cell? {
        switch try u8() {
        case 0: return nil
        case 1: return try cell()
        case let flag: throw malformed("invalid cell-present flag \(flag) (0 or 1)")
        }
    }

    func expectEnd() throws(WireError) {
        guard remaining == 0 else { throw malformed("\(remaining) unexpected bytes after the body") }
    }
}
