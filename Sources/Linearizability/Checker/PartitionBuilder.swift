/// Turns a history into partitions of integer-encoded operations for a model.
///
/// Skipped (never searched, always consistent): `fail` operations (certainly not applied), reads and gets whose
/// result is unknown (`info`/pending, or nil under Knossos's rule), and empty transactions. A read with an unknown
/// result changes nothing and fits anywhere, so leaving it out cannot change the verdict.
struct PartitionBuilder {
    let options: CheckOptions

    /// A wrongly shaped operation for the model.
    private struct Invalid: Error {
        var reason: String
    }

    /// What to check: one plan per partition. Every operation is validated against the model here (all problems
    /// at once), but the partitions of keys are only built when their turn comes (``partition(_:of:)``): all of a
    /// long history's partitions at once (encoded operations, positions and value tables) are as large as the
    /// history itself, while only as many as there are threads are needed at a time.
    func plan(_ history: History) throws(HistoryError) -> [PartitionPlan] {
        var problems: [HistoryError.Problem] = []
        var result: [PartitionPlan] = []
        switch options.model {
        case .multiRegister:
            result = buildTransactions(history, &problems).map(PartitionPlan.init(built:))
        case .register, .casRegister, .kv, .mutex:
            result = planKeyed(history, &problems)
        }
        if !problems.isEmpty { throw HistoryError(problems: problems) }
        return result
    }

    /// The partition `plan` stands for (built now for one key of a keyed model).
    func partition(_ plan: PartitionPlan, of history: History) -> Partition {
        if let built = plan.built { return built }
        return buildSingle(history, key: plan.key, ids: plan.allOps)
    }

    // MARK: - register, cas-register, kv, mutex

    private func planKeyed(_ history: History, _ problems: inout [HistoryError.Problem]) -> [PartitionPlan] {
        // Keys in first-appearance order, told apart by their symbol id (no string hashed per operation).
        var keyIndex: [UInt32: Int] = [:]
        var keySymbols: [UInt32] = []
        var counts: [Int] = []
        for op in history.operations {
            if let k = keyIndex[op.keySymbol] {
                counts[k] += 1
            } else {
                keyIndex[op.keySymbol] = keySymbols.count
                keySymbols.append(op.keySymbol)
                counts.append(1)
            }
        }
        if !options.splitByKey && keySymbols.count > 1 {
            let keyOrder = keySymbols.map { SymbolTable.name($0) }
            return [PartitionPlan(built: buildComposite(history, keyOrder: keyOrder, &problems))]
        }
        // Exact capacities: a long history has many keys, and arrays grown by doubling waste up to half.
        var ids = counts.map { n in
            var a: [Int] = []
            a.reserveCapacity(n)
            return a
        }
        var searched = [Int](repeating: 0, count: keySymbols.count)
        let functions = Functions()
        for op in history.operations {
            let k = keyIndex[op.keySymbol]!
            ids[k].append(op.id)
            do {
                if case .skip = try step(op, functions) {} else { searched[k] += 1 }
            } catch {
                problems.append(.init(line: op.invokeLine, reason: error.reason))
            }
        }
        return keySymbols.indices.map { k in
            PartitionPlan(key: SymbolTable.name(keySymbols[k]), allOps: ids[k], searchedCount: searched[k])
        }
    }

    /// A fresh value table, string table and the initial state's id in them.
    private func initialElement() -> (ValueTable, StringStates, Int32) {
        var values = ValueTable()
        var strings = StringStates()
        switch options.model {
        case .mutex:
            return (values, strings, 0)
        case .kv:
            let initial = strings.node(ElementModel.string(options.initialValue))
            return (values, strings, initial)
        case .register, .casRegister, .multiRegister:
            let initial = values.id(options.initialValue)
            return (values, strings, initial)
        }
    }

    /// The partition of one key; its operations were validated by ``plan(_:)``.
    private func buildSingle(_ history: History, key: String?, ids: [Int]) -> Partition {
        var (values, strings, initial) = initialElement()
        var micro: [MicroOp] = []
        var opIDs: [Int] = []
        var invokePos: [Int] = []
        var returnPos: [Int] = []
        micro.reserveCapacity(ids.count)
        opIDs.reserveCapacity(ids.count)
        invokePos.reserveCapacity(ids.count)
        returnPos.reserveCapacity(ids.count)
        let functions = Functions()
        for id in ids {
            let op = history.operations[id]
            let m: MicroOp?
            do {
                m = try encode(op, functions, values: &values, strings: &strings)
            } catch {
                preconditionFailure("operation at line \(op.invokeLine) passed the plan's validation: \(error.reason)")
            }
            guard let m else { continue }
            micro.append(m)
            opIDs.append(id)
            invokePos.append(op.invokeIndex)
            returnPos.append(op.status == .ok ? op.completeIndex! : -1)
        }
        let element = ElementModel(kind: options.model, values: values, strings: strings, initialState: initial)
        return Partition(
            key: key,
            allOps: ids,
            opIDs: opIDs,
            invokePos: invokePos,
            returnPos: returnPos,
            model: .single(SingleKeyModel(element: element, ops: micro))
        )
    }

    private func buildComposite(
        _ history: History,
        keyOrder: [String?],
        _ problems: inout [HistoryError.Problem]
    ) -> Partition {
        var (values, strings, initial) = initialElement()
        var keyIndex: [String?: Int32] = [:]
        for (i, k) in keyOrder.enumerated() { keyIndex[k] = Int32(i) }
        var micro: [MicroOp] = []
        var opStart: [Int32] = [0]
        var opIDs: [Int] = []
        var invokePos: [Int] = []
        var returnPos: [Int] = []
        let functions = Functions()
        for op in history.operations {
            do {
                guard var m = try encode(op, functions, values: &values, strings: &strings) else { continue }
                m.key = keyIndex[op.key]!
                micro.append(m)
                opStart.append(Int32(micro.count))
                opIDs.append(op.id)
                invokePos.append(op.invokeIndex)
                returnPos.append(op.status == .ok ? op.completeIndex! : -1)
            } catch {
                problems.append(.init(line: op.invokeLine, reason: error.reason))
            }
        }
        let element = ElementModel(kind: options.model, values: values, strings: strings, initialState: initial)
        let names = keyOrder.map { $0 ?? "(no key)" }
        return Partition(
            key: "all keys",
            allOps: history.operations.map(\.id),
            opIDs: opIDs,
            invokePos: invokePos,
            returnPos: returnPos,
            model: .composite(CompositeModel(element: element, keyNames: names, opStart: opStart, micro: micro))
        )
    }

    /// The symbol ids of the functions the keyed models have, looked up once (an operation's `f` is compared as
    /// an id, not as a string).
    private struct Functions {
        let read = SymbolTable.id("read"), write = SymbolTable.id("write"), cas = SymbolTable.id("cas")
        let get = SymbolTable.id("get"), put = SymbolTable.id("put"), append = SymbolTable.id("append")
        let acquire = SymbolTable.id("acquire"), release = SymbolTable.id("release")
    }

    /// What an operation does for the model, before its values are interned.
    private enum Step {
        /// Left out of the search: failed, or a read whose result is unknown.
        case skip
        case read(HistoryValue)
        case write(HistoryValue)
        case append(HistoryValue)
        case cas(HistoryValue, HistoryValue)
        case acquire
        case release
    }

    /// The step of `op` under the model.
    /// - Throws: `Invalid` when the model has no such operation or the value has the wrong shape.
    private func step(_ op: Operation, _ fn: Functions) throws(Invalid) -> Step {
        if op.status == .fail { return .skip }
        let model = options.model
        let f = op.fSymbol
        switch model {
        case .register, .casRegister, .kv:
            let isRead = model == .kv ? f == fn.get : f == fn.read
            let isWrite = model == .kv ? f == fn.put : f == fn.write
            if isRead {
                if op.isUncertain { return .skip }
                let v = op.value
                if v == .null && options.nilReadIsUnknown { return .skip }
                if model == .kv, case .list = v { throw Invalid(reason: "get returned a list; kv values are strings") }
                return .read(v)
            }
            let v = op.value
            if isWrite {
                if model == .kv, case .list = v { throw Invalid(reason: "put of a list; kv values are strings") }
                return .write(v)
            }
            if model == .kv && f == fn.append {
                if case .list = v { throw Invalid(reason: "append of a list; kv values are strings") }
                return .append(v)
            }
            if model == .casRegister && f == fn.cas {
                guard case .list(let pair) = op.invokeValue == .null ? v : op.invokeValue, pair.count == 2 else {
                    throw Invalid(reason: "cas needs the value [expected new], got \(op.invokeValue)")
                }
                return .cas(pair[0], pair[1])
            }
        case .mutex:
            if f == fn.acquire { return .acquire }
            if f == fn.release { return .release }
        case .multiRegister:
            break
        }
        let owner = ModelKind.allCases.first { $0 != model && PartitionBuilder.functions(of: $0).contains(op.f) }
        throw Invalid(
            reason: "\(op.f) is not an operation of the \(model.rawValue) model (it has: "
                + PartitionBuilder.functions(of: model) + ")"
                + (owner.map { "; \(op.f) belongs to \($0.rawValue): use --model \($0.rawValue)" } ?? "")
        )
    }

    /// The micro-operation of `op`, or nil when the search can skip it.
    private func encode(
        _ op: Operation,
        _ fn: Functions,
        values: inout ValueTable,
        strings: inout StringStates
    ) throws(Invalid) -> MicroOp? {
        let kv = options.model == .kv
        func valueID(_ x: HistoryValue) -> Int32 {
            kv ? strings.node(ElementModel.string(x)) : values.id(x)
        }
        switch try step(op, fn) {
        case .skip: return nil
        case .read(let v): return MicroOp(.read, a: valueID(v))
        case .write(let v): return MicroOp(.write, a: valueID(v))
        case .append(let v): return MicroOp(.append, a: strings.pieceID(ElementModel.string(v)))
        case .cas(let a, let b): return MicroOp(.cas, a: valueID(a), b: valueID(b))
        case .acquire: return MicroOp(.acquire)
        case .release: return MicroOp(.release)
        }
    }

    static func functions(of model: ModelKind) -> String {
        switch model {
        case .register: return "read, write"
        case .casRegister: return "read, write, cas"
        case .kv: return "get, put, append"
        case .mutex: return "acquire, release"
        case .multiRegister: return "txn with a list of [read k v] / [write k v]"
        }
    }

    // MARK: - multi-register transactions

    private struct Txn {
        var id: Int
        var steps: [(key: HistoryValue, write: Bool, value: HistoryValue)]
    }

    private func buildTransactions(_ history: History, _ problems: inout [HistoryError.Problem]) -> [Partition] {
        var txns: [Txn] = []
        for op in history.operations where op.status != .fail {
            // Ok ops: the completion's micro-ops (with the values read); uncertain ones: the invocation's.
            let value = op.status == .ok ? op.value : op.invokeValue
            guard case .list(let items) = value else {
                problems.append(
                    .init(
                        line: op.invokeLine,
                        reason:
                            "\(op.f): a multi-register operation's value must be a list of [f key value], got \(value)"
                    )
                )
                continue
            }
            var steps: [(key: HistoryValue, write: Bool, value: HistoryValue)] = []
            var bad: String?
            for item in items {
                guard case .list(let t) = item, t.count == 3 else {
                    bad = "micro-operation \(item) is not [f key value]"
                    break
                }
                let f: String
                switch t[0] {
                case .keyword(let s), .string(let s): f = s
                default: f = ""
                }
                switch f {
                case "r", "read":
                    // Unknown reads (uncertain op, or nil) constrain nothing.
                    if op.isUncertain || t[2] == .null { continue }
                    steps.append((t[1], false, t[2]))
                case "w", "write":
                    steps.append((t[1], true, t[2]))
                default:
                    bad = "micro-operation \(item): f must be :r/:read or :w/:write"
                }
                if bad != nil { break }
            }
            if let bad {
                problems.append(.init(line: op.invokeLine, reason: bad))
                continue
            }
            if steps.isEmpty { continue }
            txns.append(Txn(id: op.id, steps: steps))
        }
        // Keys connected by a transaction form one partition (union-find); --no-split: one partition.
        var keyIndex: [HistoryValue: Int] = [:]
        var keys: [HistoryValue] = []
        var parent: [Int] = []
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        for t in txns {
            var first = -1
            for s in t.steps {
                let k: Int
                if let i = keyIndex[s.key] {
                    k = i
                } else {
                    k = keys.count
                    keyIndex[s.key] = k
                    keys.append(s.key)
                    parent.append(k)
                }
                if first < 0 { first = k } else if options.splitByKey { parent[find(k)] = find(first) }
                if !options.splitByKey { parent[find(k)] = find(0) }
            }
        }
        var groupOf: [Int: Int] = [:]  // root -> partition index
        var groups: [[Int]] = []  // txn indices
        for (ti, t) in txns.enumerated() {
            let root = find(keyIndex[t.steps[0].key]!)
            if let g = groupOf[root] {
                groups[g].append(ti)
            } else {
                groupOf[root] = groups.count
                groups.append([ti])
            }
        }
        let skippedAll = history.operations.map(\.id)
        var partitions: [Partition] = []
        for g in groups {
            var (values, strings, initial) = initialElement()
            var localKey: [HistoryValue: Int32] = [:]
            var names: [String] = []
            var micro: [MicroOp] = []
            var opStart: [Int32] = [0]
            var opIDs: [Int] = []
            var invokePos: [Int] = []
            var returnPos: [Int] = []
            for ti in g {
                let t = txns[ti]
                let op = history.operations[t.id]
                for s in t.steps {
                    let k: Int32
                    if let i = localKey[s.key] {
                        k = i
                    } else {
                        k = Int32(names.count)
                        localKey[s.key] = k
                        names.append(PartitionBuilder.keyName(s.key))
                    }
                    micro.append(MicroOp(s.write ? .write : .read, key: k, a: values.id(s.value)))
                }
                opStart.append(Int32(micro.count))
                opIDs.append(t.id)
                invokePos.append(op.invokeIndex)
                returnPos.append(op.status == .ok ? op.completeIndex! : -1)
            }
            let element = ElementModel(kind: .multiRegister, values: values, strings: strings, initialState: initial)
            partitions.append(
                Partition(
                    key: groups.count == 1 && !options.splitByKey ? "all keys" : names.joined(separator: ","),
                    allOps: opIDs,
                    opIDs: opIDs,
                    invokePos: invokePos,
                    returnPos: returnPos,
                    model: .composite(CompositeModel(element: element, keyNames: names, opStart: opStart, micro: micro))
                )
            )
        }
        if partitions.isEmpty {
            partitions.append(
                Partition(
                    key: nil,
                    allOps: skippedAll,
                    opIDs: [],
                    invokePos: [],
                    returnPos: [],
                    model: .composite(
                        CompositeModel(
                            element: ElementModel(kind: .multiRegister, values: ValueTable(), initialState: 0),
                            keyNames: [],
                            opStart: [0],
                            micro: []
                        )
                    )
                )
            )
        }
        return partitions
    }

    static func keyName(_ k: HistoryValue) -> String {
        switch k {
        case .string(let s): return s
        case .keyword(let s): return s
        default: return k.description
        }
    }
}
