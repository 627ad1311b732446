/// Generates long concurrent register histories by simulating a linearizable register per key.
///
/// `processes` clients run at once; at every step one client, chosen at random, moves on: an idle client invokes
/// a read or write of a random key; a client with an operation in flight either applies it to the key's register
/// (its linearization point) or, once applied, completes it. So operations overlap at random and every `ok`
/// result is what a real register returned: the history is linearizable by construction. Written values are
/// unique over the whole history (1, 2, 3, ...), the initial value is nil.
///
/// Faults: a client may crash (its operation completes `info`, applied or not, and the client comes back under a
/// new process id, as in Jepsen), a write may `fail` (not applied), and once every operation is invoked some
/// clients stop with their operation in flight (pending, applied or not). `invalid` then changes one `ok` read
/// so that the history is certainly not linearizable (it reads a value written only after the read returned);
/// `swaps` swaps the results of pairs of `ok` reads of the same key
/// (which may or may not break linearizability: useful to compare checkers).
///
/// The random source is passed in (the project's `SplitMix64` in tests and the CLI) so this module needs no
/// generator of its own.
public struct RegisterHistoryGenerator: Sendable {
    /// Operations to invoke (the history has about twice as many events).
    public var operations: Int
    /// Keys, named `k0`, `k1`, ...
    public var keys: Int
    /// Clients running at once.
    public var processes: Int
    /// Fraction of reads (the rest are writes).
    public var readFraction: Double
    /// Chance that an operation ends with a crash (`info`: unknown outcome; applied or not, half the time each).
    public var crashFraction: Double
    /// Chance that a write fails (`fail`: certainly not applied).
    public var failFraction: Double
    /// Make the history certainly not linearizable (one read returns a value from its future).
    public var invalid: Bool
    /// Pairs of `ok` reads of one key whose results are swapped.
    public var swaps: Int

    public init(
        operations: Int,
        keys: Int = 4,
        processes: Int = 8,
        readFraction: Double = 0.5,
        crashFraction: Double = 0.01,
        failFraction: Double = 0.01,
        invalid: Bool = false,
        swaps: Int = 0
    ) {
        self.operations = max(0, operations)
        self.keys = max(1, keys)
        self.processes = max(1, processes)
        self.readFraction = readFraction
        self.crashFraction = crashFraction
        self.failFraction = failFraction
        self.invalid = invalid
        self.swaps = swaps
    }

    private struct InFlight {
        var process: Int
        var key: Int
        var write: Bool
        var value: Int64
        var applied: Bool
        var invokeEvent: Int
    }

    /// The history as events in real-time order, with `time` = step number x 1000 ns and `line` = position + 1.
    public func generate(using rng: inout some RandomNumberGenerator) -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        events.reserveCapacity(operations * 2 + processes)
        var registers = [Int64?](repeating: nil, count: keys)
        var clients = [InFlight?](repeating: nil, count: processes)
        var processID = Array(0..<processes)
        var nextValue: Int64 = 1
        var invoked = 0
        var step: Int64 = 0
        let keyNames = (0..<keys).map { "k\($0)" }
        // Ok reads per key (event index of the completion, and of the invocation), for invalid variants.
        var okReads: [(invoke: Int, complete: Int)] = []
        func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) * 0x1p-53 < p }
        func emit(_ c: InFlight, _ kind: HistoryEvent.Kind, _ value: HistoryValue) {
            step += 1
            events.append(
                HistoryEvent(
                    process: c.process,
                    kind: kind,
                    f: c.write ? "write" : "read",
                    key: keyNames[c.key],
                    value: value,
                    time: step * 1000,
                    line: events.count + 1
                )
            )
        }
        var busy = 0
        // A crashed client's operation completes `info`; the client comes back as a new process (Jepsen's rule).
        func crash(_ slot: Int, _ c: InFlight) {
            emit(c, .info, c.write ? .int(c.value) : .null)
            processID[slot] += processes
            clients[slot] = nil
            busy -= 1
        }
        // Once every operation is invoked, each step may leave the chosen client's operation pending.
        let pendingFraction = min(1, crashFraction * 5)
        while invoked < operations || busy > 0 {
            let slot = Int(rng.next() % UInt64(processes))
            guard var c = clients[slot] else {
                if invoked >= operations { continue }
                let write = !chance(readFraction)
                let key = Int(rng.next() % UInt64(keys))
                let value = write ? nextValue : 0
                if write { nextValue += 1 }
                let op = InFlight(
                    process: processID[slot],
                    key: key,
                    write: write,
                    value: value,
                    applied: false,
                    invokeEvent: events.count
                )
                emit(op, .invoke, write ? .int(value) : .null)
                clients[slot] = op
                invoked += 1
                busy += 1
                continue
            }
            if invoked >= operations && chance(pendingFraction) {
                // The history ends with this operation still in flight (pending), applied or not.
                clients[slot] = nil
                busy -= 1
                continue
            }
            if !c.applied {
                if chance(crashFraction / 2) {
                    // Crash before the operation took effect: unknown outcome, never applied.
                    crash(slot, c)
                    continue
                }
                if c.write && chance(failFraction) {
                    emit(c, .fail, .int(c.value))
                    clients[slot] = nil
                    busy -= 1
                    continue
                }
                if c.write { registers[c.key] = c.value } else { c.value = registers[c.key] ?? Int64.min }
                c.applied = true
                clients[slot] = c
                continue
            }
            if chance(crashFraction / 2) {
                // Crash after it took effect: still an unknown outcome to the client.
                crash(slot, c)
                continue
            }
            if c.write {
                emit(c, .ok, .int(c.value))
            } else {
                okReads.append((c.invokeEvent, events.count))
                emit(c, .ok, c.value == Int64.min ? .null : .int(c.value))
            }
            clients[slot] = nil
            busy -= 1
        }
        for _ in 0..<swaps where okReads.count >= 2 {
            let a = okReads[Int(rng.next() % UInt64(okReads.count))]
            let b = okReads[Int(rng.next() % UInt64(okReads.count))]
            guard events[a.complete].key == events[b.complete].key else { continue }
            let va = events[a.complete].value
            events[a.complete].value = events[b.complete].value
            events[b.complete].value = va
        }
        if invalid, !okReads.isEmpty {
            // A read that returns the value of a write invoked after the read completed: never linearizable.
            var tries = 0
            while tries < 64 {
                tries += 1
                let r = okReads[Int(rng.next() % UInt64(okReads.count))]
                let key = events[r.complete].key
                var e = r.complete + 1
                while e < events.count, !(events[e].kind == .invoke && events[e].f == "write" && events[e].key == key) {
                    e += 1
                }
                if e < events.count {
                    events[r.complete].value = events[e].value
                    return events
                }
            }
            // No write follows any sampled read: read a value that is never written.
            events[okReads[0].complete].value = .int(nextValue)
        }
        return events
    }

    /// Appends `events` as JSONL (design.md section 6) to `out`, one line each.
    public static func appendJSONL(_ events: [HistoryEvent], to out: inout String) {
        for e in events {
            out += e.jsonLine
            out += "\n"
        }
    }
}
