import NIOCore
import TesseraCore

/// Byte layouts of the healing messages (docs/wire-protocol.md, "Healing"); big-endian like the rest.
extension WireCodec {
    static func healingSizeHint(_ message: WireHealingMessage) -> Int {
        switch message {
        case .hintStats, .repairStatus, .applyCellsResult: return 32
        case .hintStatsResult(let stats): return 128 + stats.problem.utf8.count + stats.targets.count * 80
        case .repair(let request): return 32 + request.ranges.count * 16
        case .repairResult(let p), .repairStatusResult(let p):
            return 128 + (p.failed + p.refused).reduce(0) { $0 + 2 + $1.utf8.count }
        case .digest(let ranges), .rangeCells(let ranges), .merkleTrees(_, let ranges): return 32 + ranges.count * 16
        case .digestResult(let digests): return 32 + digests.count * 40
        case .merkleTreesResult(_, let trees): return 32 + trees.reduce(0) { $0 + 4 + $1.leaves.count * 12 }
        case .rangeCellsResult(let cells), .applyCells(let cells):
            return 32 + cells.reduce(0) { $0 + 22 + $1.key.count + ($1.cell.value?.count ?? 0) }
        }
    }

    static func encodeHealing(_ message: WireHealingMessage, into buffer: inout ByteBuffer) {
        switch message {
        case .hintStats, .repairStatus:
            break
        case .hintStatsResult(let stats):
            buffer.writeString16(stats.nodeID)
            buffer.writeString16(stats.problem)
            buffer.writeInteger(stats.stored)
            buffer.writeInteger(stats.insertTransactions)
            buffer.writeInteger(stats.throttleBytesPerSecond)
            buffer.writeInteger(stats.hintWindowMillis)
            buffer.writeInteger(UInt16(clamping: stats.targets.count))
            for t in stats.targets.prefix(Int(UInt16.max)) {
                buffer.writeString16(t.node)
                for value in [t.pendingHints, t.pendingBytes, t.replayed, t.expired, t.dropped, t.failedSends] {
                    buffer.writeInteger(value)
                }
                buffer.writeInteger(UInt8((t.replaying ? 1 : 0) | (t.up ? 2 : 0)))
            }
        case .repair(let request):
            buffer.writeRanges(request.ranges)
            buffer.writeInteger(UInt8(request.force ? 1 : 0))
            buffer.writeInteger(request.depth)
        case .repairResult(let p), .repairStatusResult(let p):
            buffer.writeInteger(p.sessionID)
            buffer.writeInteger(p.state.rawValue)
            buffer.writeString16(p.phase)
            buffer.writeInteger(p.ranges)
            buffer.writeInteger(p.rangesDiffering)
            buffer.writeInteger(p.leavesDiffering)
            buffer.writeInteger(p.cellsReceived)
            buffer.writeInteger(p.cellsWritten)
            buffer.writeInteger(p.elapsedMillis)
            buffer.writeStringList16(p.failed)
            buffer.writeStringList16(p.refused)
        case .digest(let ranges), .rangeCells(let ranges):
            buffer.writeRanges(ranges)
        case .digestResult(let digests):
            buffer.writeInteger(UInt32(digests.count))
            for d in digests {
                buffer.writeInteger(d.range.start)
                buffer.writeInteger(d.range.end)
                buffer.writeInteger(d.keys)
                buffer.writeInteger(d.tombstones)
                buffer.writeInteger(d.digest)
            }
        case .merkleTrees(let depth, let ranges):
            buffer.writeInteger(depth)
            buffer.writeRanges(ranges)
        case .merkleTreesResult(let downtime, let trees):
            buffer.writeInteger(downtime)
            buffer.writeInteger(UInt32(trees.count))
            for tree in trees {
                buffer.writeInteger(UInt32(tree.leaves.count))
                for leaf in tree.leaves { buffer.writeInteger(leaf) }
                for count in tree.counts.prefix(tree.leaves.count) { buffer.writeInteger(count) }
                for _ in tree.counts.count..<max(tree.counts.count, tree.leaves.count) { buffer.writeInteger(UInt32(0)) }
            }
        case .rangeCellsResult(let cells), .applyCells(let cells):
            buffer.writeInteger(UInt32(cells.count))
            for entry in cells {
                buffer.writeBytes32(entry.key)
                buffer.writeCell(entry.cell)
            }
        case .applyCellsResult(let applied):
            buffer.writeInteger(applied)
        }
    }

    /// Decodes the body of a healing opcode; nil if `opcode` is not one.
    static func decodeHealing(_ opcode: WireOpcode, _ r: inout WireBodyReader) throws(WireError) -> WireHealingMessage? {
        switch opcode {
        case .hintStats: return .hintStats
        case .repairStatus: return .repairStatus
        case .hintStatsResult:
            let nodeID = try r.string16()
            let problem = try r.string16()
            let stored = try r.u64()
            let transactions = try r.u64()
            let throttle = try r.u64()
            let window = try r.u64()
            let count = Int(try r.u16())
            var targets: [WireHintTarget] = []
            for _ in 0..<count {
                let node = try r.string16()
                var v: [UInt64] = []
                for _ in 0..<6 { v.append(try r.u64()) }
                let flags = try r.u8()
                targets.append(
                    WireHintTarget(
                        node: node, pendingHints: v[0], pendingBytes: v[1], replayed: v[2], expired: v[3], dropped: v[4],
                        failedSends: v[5], replaying: flags & 1 != 0, up: flags & 2 != 0
                    )
                )
            }
            return .hintStatsResult(
                WireHintStats(
                    nodeID: nodeID, problem: problem, stored: stored, insertTransactions: transactions,
                    throttleBytesPerSecond: throttle, hintWindowMillis: window, targets: targets
                )
            )
        case .repair:
            let ranges = try r.ranges()
            let force = try r.u8()
            guard force <= 1 else { throw r.malformed("force flag \(force) is not 0 or 1") }
            return .repair(WireRepairRequest(ranges: ranges, force: force == 1, depth: try r.u8()))
        case .repairResult, .repairStatusResult:
            let session = try r.u64()
            let rawState = try r.u8()
            guard let state = WireRepairProgress.State(rawValue: rawState) else {
                throw r.malformed("unknown repair state \(rawState)")
            }
            let phase = try r.string16()
            let ranges = try r.u32()
            let differing = try r.u32()
            let leaves = try r.u32()
            let received = try r.u64()
            let written = try r.u64()
            let elapsed = try r.u64()
            let failed = try r.stringList16()
            let refused = try r.stringList16()
            let progress = WireRepairProgress(
                sessionID: session, state: state, phase: phase, ranges: ranges, rangesDiffering: differing,
                leavesDiffering: leaves, cellsReceived: received, cellsWritten: written, elapsedMillis: elapsed,
                failed: failed, refused: refused
            )
            return opcode == .repairResult ? .repairResult(progress) : .repairStatusResult(progress)
        case .digest: return .digest(ranges: try r.ranges())
        case .rangeCells: return .rangeCells(ranges: try r.ranges())
        case .digestResult:
            let count = Int(try r.u32())
            guard count <= r.remaining / 40 else { throw r.malformed("\(count) digests announced, \(r.remaining) bytes remain") }
            var digests: [WireRangeDigest] = []
            for _ in 0..<count {
                let start = Int64(bitPattern: try r.u64())
                let end = Int64(bitPattern: try r.u64())
                let keys = try r.u64()
                let tombstones = try r.u64()
                digests.append(
                    WireRangeDigest(range: WireTokenRange(start: start, end: end), keys: keys, tombstones: tombstones, digest: try r.u64())
                )
            }
            return .digestResult(digests)
        case .merkleTrees:
            let depth = try r.u8()
            return .merkleTrees(depth: depth, ranges: try r.ranges())
        case .merkleTreesResult:
            let downtime = try r.u64()
            let count = Int(try r.u32())
            guard count <= r.remaining / 4 else { throw r.malformed("\(count) trees announced, \(r.remaining) bytes remain") }
            var trees: [WireMerkleTree] = []
            for _ in 0..<count {
                let leafCount = Int(try r.u32())
                guard leafCount <= r.remaining / 12 else {
                    throw r.malformed("a tree of \(leafCount) leaves announced, \(r.remaining) bytes remain")
                }
                var leaves: [UInt64] = []
                leaves.reserveCapacity(leafCount)
                for _ in 0..<leafCount { leaves.append(try r.u64()) }
                var counts: [UInt32] = []
                counts.reserveCapacity(leafCount)
                for _ in 0..<leafCount { counts.append(try r.u32()) }
                trees.append(WireMerkleTree(leaves: leaves, counts: counts))
            }
            return .merkleTreesResult(downtimeMillis: downtime, trees: trees)
        case .rangeCellsResult: return .rangeCellsResult(try r.keyCells())
        case .applyCells: return .applyCells(try r.keyCells())
        case .applyCellsResult: return .applyCellsResult(applied: try r.u32())
        default: return nil
        }
    }
}

extension ByteBuffer {
    mutating func writeRanges(_ ranges: [WireTokenRange]) {
        writeInteger(UInt32(ranges.count))
        for range in ranges {
            writeInteger(range.start)
            writeInteger(range.end)
        }
    }
}

extension WireBodyReader {
    mutating func ranges() throws(WireError) -> [WireTokenRange] {
        let count = Int(try u32())
        guard count <= remaining / 16 else { throw malformed("\(count) token ranges announced, \(remaining) bytes remain") }
        var result: [WireTokenRange] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let start = Int64(bitPattern: try u64())
            result.append(WireTokenRange(start: start, end: Int64(bitPattern: try u64())))
        }
        return result
    }

    mutating func keyCells() throws(WireError) -> [KeyCell] {
        let count = Int(try u32())
        // Each entry is at least a 4-byte key length, a 12-byte version and a 1-byte flag.
        guard count <= remaining / 17 else { throw malformed("\(count) cells announced, \(remaining) bytes remain") }
        var result: [KeyCell] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            let key = try bytes32()
            result.append(KeyCell(key: key, cell: try cell()))
        }
        return result
    }
}
