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

    func build(_ history: History) throws(HistoryError) -> [Partition] {
        var problems: [HistoryError.Problem] = []
        var result: [Partition] = []
        switch options.model {
        case .multiRegister:
            result = buildTransactions(history, &problems)
        case .register, .casRegister, .kv, .mutex:
            result = buildKeyed(history, &problems)
        }
        if !problems.isEmpty { throw HistoryError(problems: problems) }
        return result
    }

    // MARK: - register, cas-register, kv, mutex

    private func buildKeyed(_ history: History, _ problems: inout [HistoryError.Problem]) -> [Partition] {
        // Group operation ids by key, in first-appearance order.
        var keyOrder: [String?] = []
        var groups: [String?: [Int]] = [:]
        for op in history.operations {
            if groups[op.key] == nil { keyOrder.append(op.key) }
            groups[op.key, default: []].append(op.id)
        }
        if !options.splitByKey && keyOrder.count > 1 {
            return [buildComposite(history, keyOrder: keyOrder, &problems)]
        }
        return keyOrder.map { key in buildSingle(history, key: key, ids: groups[key]!, &problems) }
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

    private func buildSingle(
        _ history: History,
        key: String?,
        ids: [Int],
        _ problems: inout [HistoryError.Problem]
    ) -> Partition {
        var (values, strings, initial) = initialElement()
        var micro: [MicroOp] = []
        var opIDs: [Int] = []
        var invokePos: [Int] = []
        var returnPos: [Int] = []
        // Exact capacities: a long history has many keys, and arrays grown by doubling waste up to half.
        micro.reserveCapacity(ids.count)
        opIDs.reserveCapacity(ids.count)
        invokePos.reserveCapacity(ids.count)
        returnPos.reserveCapacity(ids.count)
        for id in ids {
            let op = history.operations[id]
            do {
                guard let m = try encode(op, values: &values, strings: &strings) else { continue }
                micro.append(m)
                opIDs.append(id)
                invokePos.append(op.invokeIndex)
                returnPos.append(op.status == .ok ? op.completeIndex! : -1)
            } catch {
                problems.append(.init(line: op.invokeLine, reason: error.reason))
            }
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
        for op in history.operations {
            do {
                guard var m = try encode(op, values: &values, strings: &strings) else { continue }
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

    /// The micro-operation of `op`, or nil when the search can skip it.
    private func encode(
        _ op: Operation,
        values: inout ValueTable,
        strings: inout StringStates
    ) throws(Invalid) -> MicroOp? {
        if op.status == .fail { return nil }
        let model = options.model
        let v = op.value
        func valueID(_ x: HistoryValue) -> Int32 {
            model == .kv ? strings.node(ElementModel.string(x)) : values.id(x)
        }
        switch (model, op.f) {
        case (.register, "read"), (.casRegister, "read"), (.kv, "get"):
            if op.isUncertain { return nil }
            if v == .null && options.nilReadIsUnknown { return nil }
            if model == .kv, case .list = v { throw Invalid(reason: "get returned a list; kv values are strings") }
            return MicroOp(.read, a: valueID(v))
        case (.register, "write"), (.casRegister, "write"), (.kv, "put"):
            if model == .kv, case .list = v { throw Invalid(reason: "put of a list; kv values are strings") }
            return MicroOp(.write, a: valueID(v))
        case (.kv, "append"):
            if case .list = v { throw Invalid(reason: "append of a list; kv values are strings") }
            return MicroOp(.append, a: strings.pieceID(ElementModel.string(v)))
        case (.casRegister, "cas"):
            guard case .list(let pair) = op.invokeValue == .null ? v : op.invokeValue, pair.count == 2 else {
                throw Invalid(reason: "cas needs the value [expected new], got \(op.invokeValue)")
            }
            return MicroOp(.cas, a: valueID(pair[0]), b: valueID(pair[1]))
        case (.mutex, "acquire"):
            return MicroOp(.acquire)
        case (.mutex, "release"):
            return MicroOp(.release)
        default:
            let owner = ModelKind.allCases.first { $0 != model && PartitionBuilder.functions(of: $0).contains(op.f) }
            throw Invalid(
                reason: "\(op.f) is not an operation of the \(model.rawValue) model (it has: "
                    + PartitionBuilder.functions(of: model) + ")"
                    + (owner.map { "; \(op.f) belongs to \($0.rawValue): use --model \($0.rawValue)" } ?? "")
            )
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
