/// The WGL search (Wing & Gong, with Lowe's configuration cache, as in Porcupine) over one partition.
///
/// The history is a doubly linked list of call and return entries in real-time order. The search repeatedly takes
/// the first call entry it can apply to the model state and whose (linearized set, state) configuration is new,
/// lifts it (and its return) out of the list and restarts at the head; reaching a return entry means the ops
/// linearized so far cannot be extended, so it backtracks (un-lifts the last one and tries the next call).
///
/// Departures from the textbook version:
/// - Uncertain operations (`info`, pending) have no return entry: they may be linearized anywhere after their
///   call, or never. The search succeeds as soon as every `ok` operation is linearized, so uncertain operations
///   that would have to come last are simply left out (they "never happened"), which is Knossos's semantics.
/// - The cache hash is maintained incrementally (XOR of a random 64-bit key per linearized op, mixed with the
///   state), so a step costs O(1); a cached configuration is its parent plus one op (see ``StateCache``), not a
///   bitset of the whole partition.
/// - Read-only operations (reads with a known result) are never backtracked over: if a read is legal when the
///   scan reaches its call, and some linearization extends the current configuration, then one exists with the
///   read placed right here (no unlinearized op returned before the read's call, and the read leaves the state
///   unchanged, so moving it earlier breaks nothing). So when the search backtracks past such a read, the
///   configuration before it has failed too, and the search backtracks again at once. Likewise, a legal read
///   whose next configuration is already in the cache (explored and failed) fails the current configuration.
/// - The deepest configuration reached is remembered: its linearized ops are the longest linearizable prefix,
///   and the return entry that stopped it is the operation that could not be linearized.
struct LinearizationSearch {
    enum Outcome {
        /// Every ok op linearized; `order` lists the local ops in linearization order (uncertain ones that never
        /// took effect are absent).
        case linearizable(order: [Int32])
        /// `prefix` is the longest sequence of ops that could be linearized; `failing` the op that could not.
        case illegal(prefix: [Int32], failing: Int32)
        /// Timeout, memory limit or cancellation.
        case stopped(SearchControl.StopReason)
        /// `stepBudget` steps passed without a verdict (the caller may run it again without a budget).
        case budgetExhausted
    }

    /// Runs the search. `invokePos[i]` / `returnPos[i]` are the positions of op `i`'s call and return in real
    /// time; `returnPos[i] < 0` marks an uncertain op (no return). After about `stepBudget` steps (checked every
    /// 16k) it gives up with `.budgetExhausted`.
    static func run<M: SearchModel>(
        model: inout M,
        invokePos: [Int],
        returnPos: [Int],
        control: SearchControl,
        cacheEntries: inout Int,
        stepBudget: Int = Int.max
    ) -> Outcome {
        let n = invokePos.count
        var okCount = 0
        for r in returnPos where r >= 0 { okCount += 1 }
        if okCount == 0 { return .linearizable(order: []) }

        // Entries: 0 = head, 1...E = calls and returns in real-time order, E + 1 = tail sentinel.
        var events: [(pos: Int, code: Int32)] = []
        events.reserveCapacity(n + okCount)
        for i in 0..<n {
            events.append((invokePos[i], Int32(i)))
            if returnPos[i] >= 0 { events.append((returnPos[i], ~Int32(i))) }
        }
        events.sort { $0.pos < $1.pos }
        let entryCount = events.count + 2
        var code = [Int32](repeating: 0, count: entryCount)  // >= 0: call of op; < 0: return of op ~code
        var next = [Int32](repeating: 0, count: entryCount)
        var prev = [Int32](repeating: 0, count: entryCount)
        var match = [Int32](repeating: -1, count: entryCount)  // call entry -> its return entry, or -1
        var callEntry = [Int32](repeating: -1, count: n)
        for (k, ev) in events.enumerated() {
            let e = k + 1
            code[e] = ev.code
            if ev.code >= 0 {
                callEntry[Int(ev.code)] = Int32(e)
            } else {
                match[Int(callEntry[Int(~ev.code)])] = Int32(e)
            }
        }
        for e in 0..<entryCount {
            next[e] = Int32(min(e + 1, entryCount - 1))
            prev[e] = Int32(max(e - 1, 0))
        }
        let tail = entryCount - 1
        code[tail] = Int32.min  // never reached while an ok op is left (its return comes first)

        var isOK = [Bool](repeating: false, count: n)
        var readOnly = [Bool](repeating: false, count: n)
        for i in 0..<n {
            isOK[i] = returnPos[i] >= 0
            readOnly[i] = model.isReadOnly(Int32(i))
        }
        var zobrist = [UInt64](repeating: 0, count: n)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(n | 1)
        for i in 0..<n {
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            zobrist[i] = z ^ (z >> 31)
        }

        // The search's own arrays (entries, links, stacks): about 80 bytes per op, reserved up front.
        let arrayBytes = 80 * n + 64
        if !control.reserve(bytes: arrayBytes) { return .stopped(.memory) }
        defer { control.release(bytes: arrayBytes) }
        let words = (n + 63) / 64
        var cache = StateCache()
        var bits = [UInt64](repeating: 0, count: words)
        var stackEntry = [Int32](repeating: 0, count: n)
        var stackState = [Int32](repeating: 0, count: n)
        // path[d]: the cache entry of the configuration of the first d + 1 stack ops.
        let path = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
        defer { path.deallocate() }
        var depth = 0
        var state = model.initialState
        var hash: UInt64 = 0
        var okLeft = okCount
        var bestDepth = -1
        // The deepest configuration's ops; entries below `bestValid` still equal the stack's (it is extended, not
        // copied, when a deeper one is found, so recording it costs O(steps) in all, not O(depth) each time).
        var bestPrefix: [Int32] = []
        var bestValid = 0
        var failing: Int32 = -1
        var iterations = 0
        var modelBytes = 0
        defer {
            cacheEntries = cache.count
            control.release(bytes: cache.bytes + modelBytes)
            control.progress?.stepped(iterations & 0x3FF)
        }

        var e = Int(next[0])
        return bits.withUnsafeMutableBufferPointer { bitsBuf -> Outcome in
            let bitsPtr = bitsBuf.baseAddress!
            while okLeft > 0 {
                iterations &+= 1
                if iterations & 0x3FF == 1 {
                    // Every 1k steps: the stop flag (another key failed), the clock and the budget; every 16k:
                    // the model's memo memory.
                    if let reason = control.shouldStop() { return .stopped(reason) }
                    if iterations > 1 { control.progress?.stepped(0x400) }
                    if iterations > stepBudget { return .budgetExhausted }
                }
                if iterations & 0x3FFF == 1 {
                    // Also looks at the resident size (reserving nothing new still checks it).
                    let mb = max(model.approximateBytes, modelBytes)
                    if !control.reserve(bytes: mb - modelBytes) { return .stopped(.memory) }
                    modelBytes = mb
                }
                let c = code[e]
                if c >= 0 {
                    let o = Int(c)
                    let ns = model.step(state, c)
                    if ns >= 0 {
                        let w = o >> 6
                        let bit: UInt64 = 1 << UInt64(o & 63)
                        bitsPtr[w] |= bit
                        let h = hash ^ zobrist[o]
                        let mixed = h ^ (UInt64(UInt32(bitPattern: ns)) &* 0xD6E8_FEB8_6659_FD93)
                        let inserted = cache.insert(
                            hash: mixed,
                            state: ns,
                            parent: depth == 0 ? -1 : path[depth - 1],
                            op: c,
                            depth: Int32(depth + 1),
                            bitset: bitsPtr,
                            path: path,
                            control: control
                        )
                        if inserted >= 0 {
                            path[depth] = inserted
                            stackEntry[depth] = Int32(e)
                            stackState[depth] = state
                            depth += 1
                            state = ns
                            hash = h
                            if isOK[o] { okLeft -= 1 }
                            // Lift the call and its return out of the list.
                            let p = Int(prev[e])
                            let nx = Int(next[e])
                            next[p] = Int32(nx)
                            prev[nx] = Int32(p)
                            let m = Int(match[e])
                            if m >= 0 {
                                let mp = Int(prev[m])
                                let mn = Int(next[m])
                                next[mp] = Int32(mn)
                                prev[mn] = Int32(mp)
                            }
                            e = Int(next[0])
                            continue
                        }
                        bitsPtr[w] &= ~bit
                        if inserted == -2 { return .stopped(.memory) }
                        // A legal read whose configuration already failed: this configuration fails too.
                        if !readOnly[o] {
                            e = Int(next[e])
                            continue
                        }
                    } else {
                        e = Int(next[e])
                        continue
                    }
                } else if depth > bestDepth {
                    // A return entry: the ops linearized so far cannot be extended past it.
                    bestDepth = depth
                    bestPrefix.removeLast(bestPrefix.count - bestValid)
                    for d in bestValid..<depth { bestPrefix.append(code[Int(stackEntry[d])]) }
                    bestValid = depth
                    failing = ~c
                }
                do {
                    // Backtrack.
                    var ce = 0
                    while true {
                        if depth == 0 { return .illegal(prefix: bestPrefix, failing: failing) }
                        depth -= 1
                        if depth < bestValid { bestValid = depth }
                        ce = Int(stackEntry[depth])
                        state = stackState[depth]
                        let o = Int(code[ce])
                        bitsPtr[o >> 6] &= ~(1 << UInt64(o & 63))
                        hash ^= zobrist[o]
                        if isOK[o] { okLeft += 1 }
                        // Un-lift: the return first, then the call (reverse order of lifting).
                        let m = Int(match[ce])
                        if m >= 0 {
                            next[Int(prev[m])] = Int32(m)
                            prev[Int(next[m])] = Int32(m)
                        }
                        next[Int(prev[ce])] = Int32(ce)
                        prev[Int(next[ce])] = Int32(ce)
                        if !readOnly[o] { break }
                    }
                    e = Int(next[ce])
                }
            }
            return .linearizable(order: (0..<depth).map { code[Int(stackEntry[$0])] })
        }
    }
}
