import ArgumentParser
import Foundation
import NIOCore
import TesseraCluster
import TesseraCore
import TesseraRing
import TesseraStorage
import TesseraWire

/// `tessera bench merkle`: what one replica pays for anti-entropy with N keys: the Merkle trees of its ranges
/// built from storage, their wire encoding and decoding (the exchange), and the diff. The same-run peer is a
/// plain scan of the same engine (what any repair must read at least). Prints numbers; never passes or fails.
struct BenchMerkle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merkle",
        abstract: "Benchmark Merkle tree build, exchange and diff over a storage engine with N keys.",
        discussion: """
            Loads N keys (16-byte keys, 100-byte values) into a storage engine in --dir, flushes and compacts, then \
            times: a plain scan (the peer), building one tree per token range of a 5-node ring with 16 vnodes \
            (the ranges a node with N=3 replicates: 3/5 of them), encoding them as MERKLE_TREES_RESULT and \
            decoding it (the exchange, without the network), and diffing against a replica that missed 1% of \
            the writes. See docs/benchmarks.md.
            """
    )

    @Option(help: "Keys in the replica.") var keys = 1_000_000
    @Option(help: "Merkle depth (2^depth leaves per range).") var depth = 10
    @Option(help: ArgumentHelp("Engine directory (removed before and after).", valueName: "path"))
    var dir = "/tmp/tessera-bench-merkle"

    func validate() throws {
        guard keys >= 1 else { throw ValidationError("--keys must be at least 1") }
        guard (1...MerkleTree.maxDepth).contains(depth) else { throw ValidationError("--depth: use 1 to \(MerkleTree.maxDepth)") }
    }

    func run() throws {
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        print("tessera bench merkle: keys=\(keys) depth=\(depth) load=\(Self.loadAverage())")
        let engine = try StorageEngine.open(directory: dir)
        let load = ContinuousClock.now
        var batch = WriteBatch()
        let value = [UInt8](repeating: 0x61, count: 100)
        for i in 0..<keys {
            batch.put(Array(String(format: "%016d", i).utf8), value, version: Self.version(i))
            if batch.count == 10_000 {
                try engine.write(batch)
                batch = WriteBatch()
            }
        }
        if batch.count > 0 { try engine.write(batch) }
        try engine.flush()
        try engine.compactAll()
        print("load \(keys) keys: \(Self.seconds(since: load))")

        let ring = Ring(members: (1...5).map { NodeID("n\($0)") }, virtualNodes: Ring.defaultVirtualNodes)
        let local = NodeID("n1")
        let ranges = TokenRange.ranges(of: ring).filter {
            ring.preferenceList(forToken: $0.end, replicationFactor: 3).contains(local)
        }

        var scanned = 0
        let scanStart = ContinuousClock.now
        try engine.forEach(from: [], to: nil, includeTombstones: true) { _, _ in
            scanned += 1
            return true
        }
        let scanTime = ContinuousClock.now - scanStart

        let buildStart = ContinuousClock.now
        var forest = MerkleForest(ranges: ranges, depth: depth)
        try engine.forEach(from: [], to: nil, includeTombstones: true) { key, cell in
            forest.add(key: key, version: cell.version)
            return true
        }
        let trees = forest.finish()
        let buildTime = ContinuousClock.now - buildStart
        let inTrees = trees.reduce(0) { $0 + $1.entryCount }

        let exchangeStart = ContinuousClock.now
        let message = WireMessage.healing(
            .merkleTreesResult(downtimeMillis: 0, trees: trees.map { WireMerkleTree(leaves: $0.leaves, counts: $0.counts) })
        )
        var buffer = ByteBufferAllocator().buffer(capacity: WireCodec.encodedSizeHint(message))
        WireCodec.encode(requestID: 1, message: message, into: &buffer)
        let bytes = buffer.readableBytes
        guard let frame = try WireCodec.decode(&buffer), case .healing(.merkleTreesResult(_, let received)) = frame.message else {
            throw ValidationError("the encoded trees did not decode")
        }
        let rebuilt = zip(ranges, received).map { MerkleTree(range: $0, depth: depth, leaves: $1.leaves, counts: $1.counts) }
        let exchangeTime = ContinuousClock.now - exchangeStart

        // A replica that missed every 100th write.
        var other = MerkleForest(ranges: ranges, depth: depth)
        for i in 0..<keys where i % 100 != 0 {
            other.add(key: Array(String(format: "%016d", i).utf8), version: Self.version(i))
        }
        let otherTrees = other.finish()
        let diffStart = ContinuousClock.now
        var leaves = 0
        for (a, b) in zip(rebuilt, otherTrees) { leaves += a.differingLeaves(b).count }
        let diffTime = ContinuousClock.now - diffStart
        try engine.close()

        print("scan (peer)      \(scanned) keys: \(Self.format(scanTime))")
        print(
            "merkle build     \(ranges.count) ranges, \(inTrees) keys: \(Self.format(buildTime)) "
                + "(\(String(format: "%.2f", Self.ratio(buildTime, scanTime)))x the scan)"
        )
        print("exchange         \(bytes) bytes encoded + decoded: \(Self.format(exchangeTime))")
        print("diff             \(leaves) differing leaves of \(ranges.count << depth): \(Self.format(diffTime))")
    }

    static func version(_ i: Int) -> Version {
        Version(timestamp: HLCTimestamp(physicalMillis: 1_700_000_000_000 + UInt64(i), logical: 0), node: 1)
    }

    static func ratio(_ a: Duration, _ b: Duration) -> Double { seconds(a) / max(seconds(b), 1e-9) }
    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    static func format(_ d: Duration) -> String { String(format: "%.3f s", seconds(d)) }
    static func seconds(since start: ContinuousClock.Instant) -> String { format(ContinuousClock.now - start) }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}
