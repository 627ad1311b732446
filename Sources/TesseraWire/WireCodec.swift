public import NIOCore
import TesseraCore

/// Encodes and decodes frames. Byte layouts: docs/wire-protocol.md; everything is big-endian.
///
/// Frame: `u32 length` (of what follows) | `u8 version` (1) | `u8 opcode` | `u64 requestID` | body.
/// The decoder checks the announced length against `maxFrameLength` before it buffers or allocates anything,
/// and every length inside a body against the bytes that remain in the frame.
public enum WireCodec {
    /// The protocol version this build speaks. DO NOT CHANGE: on the wire.
    public static let protocolVersion: UInt8 = 1
    /// Bytes after the length prefix that every frame has: version, opcode, request id.
    public static let headerSize = 10
    /// The largest frame (the value of the length prefix) accepted: the largest key and value plus 64 KiB of
    /// headroom for the other fields.
    public static let maxFrameLength = Limits.maxValueSize + Limits.maxKeySize + 64 * 1024

    // MARK: encoding

    /// Appends `frame`, length prefix included, to `buffer`.
    public static func encode(_ frame: WireFrame, into buffer: inout ByteBuffer) {
        encode(requestID: frame.requestID, message: frame.message, into: &buffer)
    }

    /// Appends one frame, length prefix included, to `buffer`.
    public static func encode(requestID: UInt64, message: WireMessage, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))  // patched below
        buffer.writeInteger(protocolVersion)
        buffer.writeInteger(message.opcode.rawValue)
        buffer.writeInteger(requestID)
        encodeBody(message, into: &buffer)
        let length = buffer.writerIndex - start - 4
        buffer.setInteger(UInt32(truncatingIfNeeded: length), at: start)
    }

    /// The encoded size of `message` in bytes, length prefix included (an upper bound for `error` messages).
    public static func encodedSizeHint(_ message: WireMessage) -> Int {
        switch message {
        case .get(let key, _, _, _), .delete(let key, _, _, _), .replicaRead(let key), .replicaReadVersion(let key):
            return 30 + key.count
        case .put(let key, let value, _, _, _): return 34 + key.count + value.count
        case .idempotentWrite(let key, let value, _, _, _, _, _, _): return 60 + key.count + (value?.count ?? 0)
        case .replicaHintedWrite(let key, let cell, let home): return 48 + key.count + (cell.value?.count ?? 0) + home.utf8.count
        case .replicaWrite(let key, let cell): return 40 + key.count + (cell.value?.count ?? 0)
        case .getResult(let cell), .replicaReadResult(let cell): return 36 + (cell?.value?.count ?? 0)
        case .error(let error): return 24 + error.message.utf8.count
        case .ring, .status, .ping, .pong, .replicaAck, .replicaHintedAck, .writeResult, .peerWelcome, .clientWelcome,
            .replicaVersionResult:
            return 32
        case .clientAuth(let token): return 24 + token.count
        case .peerHello(let cluster, let node, let nonce): return 32 + cluster.utf8.count + node.utf8.count + nonce.count
        case .peerChallenge(let node, _, let nonce, let proof): return 32 + node.utf8.count + nonce.count + proof.count
        case .peerAuth(let proof): return 24 + proof.count
        case .ringResult(let ring): return 64 + ring.members.count * (48 + ring.virtualNodes * 8)
        case .statusResult(let status): return 256 + (status.peersUp.count + status.peersDown.count) * 24
        case .healing(let message): return healingSizeHint(message)
        case .hotKeys: return 32
        case .hotKeysResult(let hot):
            return 64 + hot.nodeID.utf8.count + (hot.reads.keys + hot.writes.keys).reduce(0) { $0 + 20 + $1.key.count }
        }
    }

    private static func encodeBody(_ message: WireMessage, into buffer: inout ByteBuffer) {
        switch message {
        case .get(let key, let consistency, let timeout, let quorum):
            buffer.writeBytes32(key)
            buffer.writeConsistency(consistency, quorum)
            buffer.writeInteger(timeout)
        case .put(let key, let value, let consistency, let timeout, let quorum):
            buffer.writeBytes32(key)
            buffer.writeBytes32(value)
            buffer.writeConsistency(consistency, quorum)
            buffer.writeInteger(timeout)
        case .delete(let key, let consistency, let timeout, let quorum):
            buffer.writeBytes32(key)
            buffer.writeConsistency(consistency, quorum)
            buffer.writeInteger(timeout)
        case .idempotentWrite(let key, let value, let consistency, let timeout, let quorum, let writeID, let resend, let version):
            buffer.writeBytes32(key)
            let flags: UInt8 = (value != nil ? 1 : 0) | (resend ? 2 : 0) | (version != nil ? 4 : 0)
            buffer.writeInteger(flags)
            if let value { buffer.writeBytes32(value) }
            buffer.writeConsistency(consistency, quorum)
            buffer.writeInteger(timeout)
            buffer.writeInteger(writeID)
            if let version { buffer.writeVersion(version) }
        case .replicaHintedWrite(let key, let cell, let home):
            buffer.writeBytes32(key)
            buffer.writeCell(cell)
            buffer.writeString16(home)
        case .ring, .status, .ping, .pong, .replicaAck, .replicaHintedAck, .peerWelcome, .clientWelcome:
            break
        case .clientAuth(let token):
            buffer.writeBytes32(token)
        case .peerHello(let clusterName, let nodeID, let nonce):
            buffer.writeString16(clusterName)
            buffer.writeString16(nodeID)
            buffer.writeBytes32(nonce)
        case .peerChallenge(let nodeID, let mode, let nonce, let proof):
            buffer.writeString16(nodeID)
            buffer.writeInteger(mode.rawValue)
            buffer.writeBytes32(nonce)
            buffer.writeBytes32(proof)
        case .peerAuth(let proof):
            buffer.writeBytes32(proof)
        case .getResult(let cell), .replicaReadResult(let cell):
            buffer.writeOptionalCell(cell)
        case .writeResult(let version, let acks):
            buffer.writeVersion(version)
            buffer.writeInteger(UInt16(clamping: acks))
        case .ringResult(let ring):
            buffer.writeString16(ring.clusterName)
            buffer.writeInteger(UInt16(clamping: ring.replicationFactor))
            buffer.writeInteger(UInt16(clamping: ring.virtualNodes))
            buffer.writeInteger(UInt16(clamping: ring.members.count))
            for member in ring.members.prefix(Int(UInt16.max)) {
                buffer.writeString16(member.nodeID)
                buffer.writeString16(member.host)
                buffer.writeInteger(UInt16(clamping: member.port))
                buffer.writeInteger(UInt32(member.tokens.count))
                for token in member.tokens { buffer.writeInteger(token) }
            }
        case .statusResult(let status):
            buffer.writeString16(status.nodeID)
            buffer.writeString16(status.clusterName)
            buffer.writeInteger(status.uptimeMillis)
            buffer.writeStringList16(status.peersUp)
            buffer.writeStringList16(status.peersDown)
            buffer.writeInteger(status.keysEstimate)
            buffer.writeInteger(status.diskBytes)
            buffer.writeInteger(status.gets)
            buffer.writeInteger(status.puts)
            buffer.writeInteger(status.deletes)
            buffer.writeInteger(status.failedRequests)
            buffer.writeInteger(status.replicaWrites)
            buffer.writeInteger(status.replicaReads)
            buffer.writeInteger(UInt16(clamping: status.counters.count))
            for counter in status.counters.prefix(Int(UInt16.max)) {
                buffer.writeString16(counter.name)
                buffer.writeInteger(counter.value)
            }
        case .error(let error):
            buffer.writeInteger(error.code.rawValue)
            var message = error.message
            if message.utf8.count > maxErrorMessageBytes {
                message = String(decoding: message.utf8.prefix(maxErrorMessageBytes), as: UTF8.self)
            }
            buffer.writeInteger(UInt32(message.utf8.count))
            buffer.writeString(message)
        case .replicaWrite(let key, let cell):
            buffer.writeBytes32(key)
            buffer.writeCell(cell)
        case .replicaRead(let key), .replicaReadVersion(let key):
            buffer.writeBytes32(key)
        case .replicaVersionResult(let version):
            buffer.writeInteger(UInt8(version == nil ? 0 : 1))
            if let version { buffer.writeVersion(version) }
        case .healing(let message):
            encodeHealing(message, into: &buffer)
        case .hotKeys(let limit):
            buffer.writeInteger(limit)
        case .hotKeysResult(let hot):
            buffer.writeString16(hot.nodeID)
            buffer.writeInteger(hot.halfLifeMillis)
            for section in [hot.reads, hot.writes] {
                buffer.writeInteger(section.recorded)
                buffer.writeInteger(section.total.bitPattern)
                buffer.writeInteger(UInt16(clamping: section.keys.count))
                for key in section.keys.prefix(Int(UInt16.max)) {
                    buffer.writeBytes32(key.key)
                    buffer.writeInteger(key.count.bitPattern)
                    buffer.writeInteger(key.error.bitPattern)
                }
            }
        }
    }

    /// Error messages longer than this are cut (at a byte boundary, repaired to valid UTF-8) when encoded.
    static let maxErrorMessageBytes = 16 * 1024

    // MARK: decoding

    /// Reads one complete frame from the front of `buffer`, or returns nil (consuming nothing) if the frame is
    /// not complete yet.
    ///
    /// Throws when the length prefix exceeds `maxFrameLength` (checked as soon as 4 bytes are there, before
    /// waiting for the rest) or the frame is malformed. A malformed frame is consumed; the stream cannot be
    /// trusted after a throw and should be closed.
    public static func decode(
        _ buffer: inout ByteBuffer,
        maxFrameLength: Int = WireCodec.maxFrameLength
    ) throws(WireError) -> WireFrame? {
        guard let length32 = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let length = Int(length32)
        guard length <= maxFrameLength else { throw .frameTooLarge(length: length, limit: maxFrameLength) }
        guard length >= headerSize else { throw .frameTooShort(length: length) }
        guard buffer.readableBytes >= 4 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        var payload = buffer.readSlice(length: length)!
        return try decodePayload(&payload)
    }

    /// Decodes a frame without its length prefix (version, opcode, request id, body) that fills `payload`.
    public static func decodePayload(_ payload: inout ByteBuffer) throws(WireError) -> WireFrame {
        guard payload.readableBytes >= headerSize else { throw .frameTooShort(length: payload.readableBytes) }
        let version: UInt8 = payload.readInteger()!
        let opcodeByte: UInt8 = payload.readInteger()!
        let requestID: UInt64 = payload.readInteger()!
        guard version == protocolVersion else { throw .unsupportedVersion(version, requestID: requestID) }
        guard let opcode = WireOpcode(rawValue: opcodeByte) else {
            throw .unknownOpcode(opcodeByte, requestID: requestID)
        }
        var reader = WireBodyReader(buffer: payload, opcode: opcodeByte, requestID: requestID)
        let message = try decodeBody(opcode, &reader)
        try reader.expectEnd()
        return WireFrame(requestID: requestID, message: message)
    }

    private static func decodeBody(_ opcode: WireOpcode, _ r: inout WireBodyReader) throws(WireError) -> WireMessage {
        switch opcode {
        case .get:
            let key = try r.bytes32()
            let (consistency, quorum) = try r.consistency()
            return .get(key: key, consistency: consistency, timeoutMillis: try r.u32(), quorum: quorum)
        case .put:
            let key = try r.bytes32()
            let value = try r.bytes32()
            let (consistency, quorum) = try r.consistency()
            return .put(key: key, value: value, consistency: consistency, timeoutMillis: try r.u32(), quorum: quorum)
        case .delete:
            let key = try r.bytes32()
            let (consistency, quorum) = try r.consistency()
            return .delete(key: key, consistency: consistency, timeoutMillis: try r.u32(), quorum: quorum)
        case .idempotentWrite:
            let key = try r.bytes32()
            let flags = try r.u8()
            guard flags & ~0x07 == 0 else { throw r.malformed("IDEMPOTENT_WRITE flags \(flags) has unknown bits") }
            let value = flags & 1 != 0 ? try r.bytes32() : nil
            let (consistency, quorum) = try r.consistency()
            let timeout = try r.u32()
            let writeID = try r.u64()
            guard writeID != 0 else { throw r.malformed("IDEMPOTENT_WRITE with write id 0") }
            let version = flags & 4 != 0 ? try r.version() : nil
            return .idempotentWrite(
                key: key, value: value, consistency: consistency, timeoutMillis: timeout, quorum: quorum,
                writeID: writeID, resend: flags & 2 != 0, version: version
            )
        case .replicaHintedWrite:
            let key = try r.bytes32()
            let cell = try r.cell()
            return .replicaHintedWrite(key: key, cell: cell, home: try r.string16())
        case .replicaHintedAck: return .replicaHintedAck
        case .ring: return .ring
        case .status: return .status
        case .ping: return .ping
        case .pong: return .pong
        case .replicaAck: return .replicaAck
        case .getResult: return .getResult(try r.optionalCell())
        case .replicaReadResult: return .replicaReadResult(try r.optionalCell())
        case .writeResult:
            let version = try r.version()
            return .writeResult(version: version, acks: Int(try r.u16()))
        case .ringResult:
            let clusterName = try r.string16()
            let replicationFactor = Int(try r.u16())
            let virtualNodes = Int(try r.u16())
            let memberCount = Int(try r.u16())
            var members: [WireMember] = []
            members.reserveCapacity(min(memberCount, r.remaining / 9))
            for _ in 0..<memberCount {
                let nodeID = try r.string16()
                let host = try r.string16()
                let port = Int(try r.u16())
                let tokenCount = Int(try r.u32())
                guard tokenCount <= r.remaining / 8 else {
                    throw r.malformed("member \(nodeID) announces \(tokenCount) tokens but \(r.remaining) bytes remain")
                }
                var tokens: [Int64] = []
                tokens.reserveCapacity(tokenCount)
                for _ in 0..<tokenCount { tokens.append(Int64(bitPattern: try r.u64())) }
                members.append(WireMember(nodeID: nodeID, host: host, port: port, tokens: tokens))
            }
            return .ringResult(
                WireRing(
                    clusterName: clusterName,
                    replicationFactor: replicationFactor,
                    virtualNodes: virtualNodes,
                    members: members
                )
            )
        case .statusResult:
            let nodeID = try r.string16()
            let clusterName = try r.string16()
            let uptime = try r.u64()
            let up = try r.stringList16()
            let down = try r.stringList16()
            let keys = try r.u64()
            let disk = try r.u64()
            let gets = try r.u64()
            let puts = try r.u64()
            let deletes = try r.u64()
            let failed = try r.u64()
            let replicaWrites = try r.u64()
            let replicaReads = try r.u64()
            let counterCount = Int(try r.u16())
            var counters: [WireCounter] = []
            for _ in 0..<counterCount {
                let name = try r.string16()
                counters.append(WireCounter(name: name, value: try r.u64()))
            }
            return .statusResult(
                WireStatus(
                    nodeID: nodeID,
                    clusterName: clusterName,
                    uptimeMillis: uptime,
                    peersUp: up,
                    peersDown: down,
                    keysEstimate: keys,
                    diskBytes: disk,
                    gets: gets,
                    puts: puts,
                    deletes: deletes,
                    failedRequests: failed,
                    replicaWrites: replicaWrites,
                    replicaReads: replicaReads,
                    counters: counters
                )
            )
        case .error:
            let rawCode = try r.u16()
            let length = Int(try r.u32())
            let message = try r.utf8(length: length)
            if let code = TesseraError.Code(rawValue: rawCode) {
                return .error(TesseraError(code, message))
            }
            return .error(TesseraError(.internalError, "unknown error code \(rawCode): \(message)"))
        case .replicaWrite:
            let key = try r.bytes32()
            return .replicaWrite(key: key, cell: try r.cell())
        case .replicaRead:
            return .replicaRead(key: try r.bytes32())
        case .replicaReadVersion:
            return .replicaReadVersion(key: try r.bytes32())
        case .replicaVersionResult:
            switch try r.u8() {
            case 0: return .replicaVersionResult(nil)
            case 1: return .replicaVersionResult(try r.version())
            case let flag: throw r.malformed("invalid version-present flag \(flag) (0 or 1)")
            }
        case .hintStats, .hintStatsResult, .repair, .repairResult, .repairStatus, .repairStatusResult, .digest,
            .digestResult, .merkleTrees, .merkleTreesResult, .rangeCells, .rangeCellsResult, .applyCells,
            .applyCellsResult:
            return .healing(try decodeHealing(opcode, &r)!)
        case .hotKeys:
            return .hotKeys(limit: try r.u16())
        case .hotKeysResult:
            let nodeID = try r.string16()
            let halfLife = try r.u64()
            var sections: [WireHotKeys.Section] = []
            for _ in 0..<2 {
                let recorded = try r.u64()
                let total = Double(bitPattern: try r.u64())
                let count = Int(try r.u16())
                var keys: [WireHotKeys.Key] = []
                keys.reserveCapacity(min(count, r.remaining / 20))
                for _ in 0..<count {
                    let key = try r.bytes32()
                    let weight = Double(bitPattern: try r.u64())
                    keys.append(WireHotKeys.Key(key: key, count: weight, error: Double(bitPattern: try r.u64())))
                }
                sections.append(WireHotKeys.Section(recorded: recorded, total: total, keys: keys))
            }
            return .hotKeysResult(
                WireHotKeys(nodeID: nodeID, halfLifeMillis: halfLife, reads: sections[0], writes: sections[1]))
        case .peerWelcome: return .peerWelcome
        case .clientWelcome: return .clientWelcome
        case .clientAuth: return .clientAuth(token: try r.bytes32())
        case .peerHello:
            let clusterName = try r.string16()
            let nodeID = try r.string16()
            return .peerHello(clusterName: clusterName, nodeID: nodeID, nonce: try r.bytes32())
        case .peerChallenge:
            let nodeID = try r.string16()
            let modeByte = try r.u8()
            guard let mode = PeerAuthMode(rawValue: modeByte) else {
                throw r.malformed("invalid authentication mode \(modeByte) (0 = member id, 1 = HMAC-SHA256)")
            }
            let nonce = try r.bytes32()
            return .peerChallenge(nodeID: nodeID, mode: mode, nonce: nonce, proof: try r.bytes32())
        case .peerAuth:
            return .peerAuth(proof: try r.bytes32())
        }
    }
}

extension ByteBuffer {
    @inline(__always)
    mutating func writeBytes32(_ bytes: [UInt8]) {
        writeInteger(UInt32(truncatingIfNeeded: bytes.count))
        writeBytes(bytes)
    }

    mutating func writeString16(_ string: String) {
        var string = string
        if string.utf8.count > Int(UInt16.max) {
            string = String(decoding: string.utf8.prefix(Int(UInt16.max) - 3), as: UTF8.self)
        }
        writeInteger(UInt16(string.utf8.count))
        writeString(string)
    }

    mutating func writeStringList16(_ strings: [String]) {
        writeInteger(UInt16(clamping: strings.count))
        for string in strings.prefix(Int(UInt16.max)) { writeString16(string) }
    }

    @inline(__always)
    mutating func writeConsistency(_ level: ConsistencyLevel, _ quorum: QuorumMode) {
        let wire = level.wireCode
        writeInteger(quorum == .sloppy ? wire.code | QuorumMode.sloppyWireBit : wire.code)
        writeInteger(wire.count)
    }

    @inline(__always)
    mutating func writeVersion(_ version: Version) {
        writeInteger(version.timestamp.rawValue)
        writeInteger(version.node)
    }

    @inline(__always)
    mutating func writeCell(_ cell: Cell) {
        writeVersion(cell.version)
        if let value = cell.value {
            writeInteger(UInt8(0))
            writeBytes32(value)
        } else {
            writeInteger(UInt8(1))
        }
    }

    @inline(__always)
    mutating func writeOptionalCell(_ cell: Cell?) {
        if let cell {
            writeInteger(UInt8(1))
            writeCell(cell)
        } else {
            writeInteger(UInt8(0))
        }
    }
}
