/// The near-linear decision for register histories whose written values are unique (per key).
///
/// With unique values every read names the one write it observed (its read-mapping), and linearizability can be
/// decided from the mapping without search (Gibbons and Korach, "Testing shared memories", SIAM J. Comput. 1997;
/// in the zone form of Golab, Li and Shah, "Analyzing consistency properties for fun and profit", PODC 2011).
/// A *cluster* is a write and the reads that observed it; reads of the initial value form a cluster whose write
/// precedes everything. Its zone runs from `f`, the earliest return of its operations, to `s`, the latest call:
/// a *forward* zone when `f < s` (the register must hold the cluster's value throughout `[f, s]`), a *backward*
/// zone `[s, f]` otherwise (all its operations overlap there). The history is linearizable iff
///   (a) no read returns before its write is called,
///   (b) no two forward zones overlap, and
///   (c) no backward zone lies inside a forward zone.
/// Then ordering the clusters by the start of their zone (`f` forward, `s` backward), each write followed by its
/// reads in call order, is a linearization (it is returned and replayable). The check is O(n log n).
///
/// Applicability, per partition: a single register model whose operations are all reads and writes, every
/// written value distinct and different from the initial value. Uncertain writes (`info`, pending) that some read
/// observed certainly took effect, at some point after their call: they count as writes that never return. One
/// that no read observed is dropped: leaving it out ("it never happened") is always allowed and constrains
/// nothing. A read of a value that no write wrote and that is not the initial value is a violation by itself.
enum ReadMappingCheck {
    enum Outcome {
        /// Not a unique-value register history: use the search.
        case notApplicable
        /// Linearizable; `order` is a linearization (local op indices; unobserved uncertain writes are absent).
        case linearizable(order: [Int32])
        /// Not linearizable: `witness` (local op indices, ascending) are the one or two clusters that conflict;
        /// they are not linearizable even on their own, so searching just them gives a small counterexample.
        case illegal(witness: [Int32])
    }

    static func run(_ partition: Partition) -> Outcome {
        guard case .single(let model) = partition.model else { return .notApplicable }
        let ops = model.ops
        let n = ops.count
        if n == 0 { return .linearizable(order: []) }
        let initial = model.element.initialState
        var maxValue = initial
        for op in ops {
            guard op.kind == .read || op.kind == .write, op.a >= 0 else { return .notApplicable }
            if op.a > maxValue { maxValue = op.a }
        }
        let invokePos = partition.invokePos
        let returnPos = partition.returnPos
        // Cluster ids: the write's local index, or n for the initial value's cluster.
        var writerOf = [Int32](repeating: -1, count: Int(maxValue) + 1)
        writerOf[Int(initial)] = Int32(n)
        for i in 0..<n where ops[i].kind == .write {
            let v = Int(ops[i].a)
            if writerOf[v] >= 0 { return .notApplicable }  // a value written twice, or the initial value written
            writerOf[v] = Int32(i)
        }
        let never = Int.max
        var earliestReturn = [Int](repeating: never, count: n + 1)
        var latestCall = [Int](repeating: -1, count: n + 1)
        var readCount = [Int32](repeating: 0, count: n + 2)
        earliestReturn[n] = -1  // the initial "write" returns before everything
        for i in 0..<n {
            let ret = returnPos[i] < 0 ? never : returnPos[i]
            let c: Int
            if ops[i].kind == .write {
                c = i
            } else {
                let w = writerOf[Int(ops[i].a)]
                if w < 0 { return .illegal(witness: [Int32(i)]) }  // a value nobody wrote
                c = Int(w)
                readCount[c] += 1
            }
            if ret < earliestReturn[c] { earliestReturn[c] = ret }
            if invokePos[i] > latestCall[c] { latestCall[c] = invokePos[i] }
        }
        // Reads by cluster (CSR, each cluster's reads in call order since local indices are in call order).
        var readStart = [Int32](repeating: 0, count: n + 2)
        for c in 0...n { readStart[c + 1] = readStart[c] + readCount[c] }
        var fill = readStart
        var reads = [Int32](repeating: 0, count: Int(readStart[n + 1]))
        for i in 0..<n where ops[i].kind == .read {
            let c = Int(writerOf[Int(ops[i].a)])
            reads[Int(fill[c])] = Int32(i)
            fill[c] += 1
        }
        func witness(_ clusters: Int...) -> Outcome {
            var w: [Int32] = []
            for c in clusters {
                if c < n { w.append(Int32(c)) }
                for k in Int(readStart[c])..<Int(readStart[c + 1]) { w.append(reads[k]) }
            }
            w.sort()
            return .illegal(witness: w)
        }
        // (a) no read returns before its write is called; collect the zones of the live clusters.
        var forward: [(f: Int, s: Int, c: Int32)] = []
        var backward: [(s: Int, f: Int, c: Int32)] = []
        for c in 0...n {
            let hasReads = readStart[c + 1] > readStart[c]
            if c == n {
                if hasReads { forward.append((-1, latestCall[c], Int32(c))) }
                continue
            }
            if ops[c].kind != .write { continue }
            if returnPos[c] < 0 && !hasReads { continue }  // an uncertain write nobody saw: it never happened
            for k in Int(readStart[c])..<Int(readStart[c + 1]) {
                let r = Int(reads[k])
                if returnPos[r] < invokePos[c] { return witness(c) }
            }
            let f = earliestReturn[c]
            let s = latestCall[c]
            if f < s { forward.append((f, s, Int32(c))) } else { backward.append((s, f, Int32(c))) }
        }
        // (b) forward zones pairwise disjoint: sorted by start, each must start after every earlier one ended.
        forward.sort { $0.f < $1.f }
        var maxEnd = -2
        var maxEndCluster = -1
        for z in forward {
            if z.f < maxEnd { return witness(maxEndCluster, Int(z.c)) }
            maxEnd = z.s
            maxEndCluster = Int(z.c)
        }
        // (c) no backward zone inside a forward one: only the forward zone starting last before it can hold it.
        for z in backward {
            var lo = 0
            var hi = forward.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if forward[mid].f < z.s { lo = mid + 1 } else { hi = mid }
            }
            if lo > 0, forward[lo - 1].s > z.f { return witness(Int(forward[lo - 1].c), Int(z.c)) }
        }
        // Linearizable: clusters by the start of their zone, each write then its reads.
        var clusters: [(at: Int, c: Int32)] = []
        clusters.reserveCapacity(forward.count + backward.count)
        for z in forward { clusters.append((z.f, z.c)) }
        for z in backward { clusters.append((z.s, z.c)) }
        clusters.sort { $0.at < $1.at }
        var order: [Int32] = []
        order.reserveCapacity(n)
        for (_, c) in clusters {
            if Int(c) < n { order.append(c) }
            order.append(contentsOf: reads[Int(readStart[Int(c)])..<Int(readStart[Int(c) + 1])])
        }
        return .linearizable(order: order)
    }
}
