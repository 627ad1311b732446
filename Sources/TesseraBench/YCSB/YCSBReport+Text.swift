extension YCSBReport {
    /// The human-readable report: the setup, the load phase, one block per run phase, and a comparison when
    /// there are several runs.
    public var text: String {
        var lines: [String] = []
        let c = configuration
        let mix = (try? YCSBWorkload(parsing: c.workload))?.proportions
            .sorted { $0.key < $1.key }
            .map { "\(Int(($0.value * 100).rounded()))% \($0.key.rawValue)" }
            .joined(separator: ", ") ?? ""
        var shape = ""
        if let nodes { shape += ", \(nodes) nodes" }
        if let replicationFactor { shape += ", N=\(replicationFactor)" }
        lines.append(
            "YCSB workload \(c.workload) (\(mix)): \(c.recordCount) records, "
                + (c.operationCount.map { "\($0) operations" } ?? "")
                + (c.durationSeconds.map { (c.operationCount == nil ? "" : ", at most ") + "\(formatFixed($0, 0)) s" } ?? "")
                + ", \(c.concurrency) in flight, read \(c.readConsistency) / write \(c.writeConsistency), "
                + "\(c.valueSize)-byte values\(shape), hosts \(hosts.joined(separator: ","))")
        lines += notes
        if let load {
            lines.append(
                "load: \(load.succeeded) of \(load.records) records in \(formatFixed(load.seconds, 1)) s, "
                    + "\(formatFixed(load.opsPerSecond, 0)) records/s, p99 \(ms(load.latency.p99Micros)) ms, "
                    + "\(load.errors) errors")
            for sample in load.errorSamples { lines.append("  " + sample) }
        }
        for run in runs {
            lines.append("")
            lines += Self.lines(run)
        }
        if runs.count > 1 { lines += [""] + comparison }
        return lines.joined(separator: "\n")
    }

    /// One run phase: throughput, latency per operation type, errors, per-node load and balance.
    static func lines(_ run: YCSBRunResult) -> [String] {
        var lines = [
            "run \(run.workload)/\(run.distribution.rawValue): \(formatFixed(run.opsPerSecond, 0)) ops/s "
                + "(\(run.succeeded) ok, \(run.errors) errors in \(formatFixed(run.seconds, 1)) s)"
        ]
        var rows = [["op", "ok", "errors", "not found", "p50 ms", "p95 ms", "p99 ms", "p999 ms", "max ms", "mean ms"]]
        func row(_ name: String, _ ok: Int, _ errors: Int, _ notFound: Int, _ l: LatencySummary) -> [String] {
            [
                name, String(ok), String(errors), String(notFound), ms(l.p50Micros), ms(l.p95Micros),
                ms(l.p99Micros), ms(l.p999Micros), ms(l.maxMicros), formatFixed(l.meanMicros / 1000, 1),
            ]
        }
        for op in run.operations {
            rows.append(row(op.operation.rawValue, op.succeeded, op.errors, op.notFound, op.latency))
        }
        rows.append(row("all", run.succeeded, run.errors, run.operations.map(\.notFound).reduce(0, +), run.latency))
        lines += textTable(rows).map { "  " + $0 }
        var errors: [String: Int] = [:]
        for op in run.operations {
            for (code, count) in op.errorsByCode { errors["\(op.operation.rawValue) \(code)", default: 0] += count }
        }
        if !errors.isEmpty {
            lines.append("  errors by kind: " + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            for sample in run.errorSamples { lines.append("    " + sample) }
        }
        if run.nodes.isEmpty {
            lines.append("  per node: STATUS could not be read")
        } else {
            let total = Double(run.nodes.map(\.served).reduce(0, +))
            var nodeRows = [["node", "coordinated", "replica reads", "replica writes", "served", "share"]]
            for node in run.nodes {
                guard node.measured else {
                    nodeRows.append([node.node, "-", "-", "-", "-", "not measured"])
                    continue
                }
                nodeRows.append([
                    node.node, String(node.coordinated), String(node.replicaReads), String(node.replicaWrites),
                    String(node.served), total > 0 ? formatFixed(Double(node.served) * 100 / total, 1) + "%" : "-",
                ])
            }
            lines += textTable(nodeRows).map { "  " + $0 }
            lines.append(
                "  balance of replica requests: max/mean \(formatFixed(run.balance.maxOverMean, 3)) "
                    + "(busiest \(run.balance.busiestNode)), coefficient of variation "
                    + formatFixed(run.balance.coefficientOfVariation, 3)
                    + (run.predictedBalance.map {
                        "; key placement predicts max/mean \(formatFixed($0.maxOverMean, 3)) (\($0.busiestNode))"
                    } ?? ""))
        }
        return lines
    }

    /// The runs side by side, each against the first (the baseline, uniform in `--compare uniform,...`).
    var comparison: [String] {
        guard let base = runs.first else { return [] }
        var rows = [
            [
                "distribution", "ops/s", "x " + base.distribution.rawValue, "p50 ms", "p95 ms", "p99 ms", "p999 ms",
                "p99 x " + base.distribution.rawValue, "max/mean", "predicted", "cv", "errors",
            ]
        ]
        for run in runs {
            rows.append([
                run.distribution.rawValue, formatFixed(run.opsPerSecond, 0),
                base.opsPerSecond > 0 ? formatFixed(run.opsPerSecond / base.opsPerSecond, 2) : "-",
                ms(run.latency.p50Micros), ms(run.latency.p95Micros), ms(run.latency.p99Micros),
                ms(run.latency.p999Micros),
                base.latency.p99Micros > 0
                    ? formatFixed(Double(run.latency.p99Micros) / Double(base.latency.p99Micros), 2) : "-",
                formatFixed(run.balance.maxOverMean, 3),
                run.predictedBalance.map { formatFixed($0.maxOverMean, 3) } ?? "-",
                formatFixed(run.balance.coefficientOfVariation, 3),
                String(run.errors),
            ])
        }
        return ["comparison (all operation types):"] + textTable(rows).map { "  " + $0 }
    }
}

/// Microseconds as milliseconds with two decimals.
func ms(_ micros: UInt64) -> String { formatFixed(Double(micros) / 1000, 2) }

/// Columns separated by two spaces, the first left-aligned and the rest right-aligned; row 0 is the header.
func textTable(_ rows: [[String]]) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = Swift.max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in
            let fill = String(repeating: " ", count: widths[i] - cell.count)
            return i == 0 ? cell + fill : fill + cell
        }.joined(separator: "  ")
    }
}
