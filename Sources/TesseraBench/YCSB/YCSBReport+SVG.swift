extension YCSBReport {
    /// Three panels side by side, one colour per run (distribution): throughput, latency percentiles
    /// (p50/p95/p99/p999 of all operation types) and per-node load (each node's replica requests over the
    /// run's mean, 1.0 dashed; the legend gives max/mean). Plain SVG 1.1, no script.
    public var svg: String {
        let panelWidth = 380.0
        let panelHeight = 300.0
        let top = 70.0
        let width = panelWidth * 3 + 40
        let height = top + panelHeight + 50 + 18 * Double(max(runs.count, 1))
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
                + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            text(20, 24, "YCSB workload \(configuration.workload): \(configuration.recordCount) records, "
                + "\(configuration.concurrency) in flight, read \(configuration.readConsistency) / write "
                + "\(configuration.writeConsistency)" + (nodes.map { ", \($0) nodes" } ?? "")
                + (replicationFactor.map { ", N=\($0)" } ?? ""), size: 15, weight: "bold"),
            text(20, 44, notes.joined(separator: "; "), size: 11, fill: "#555"),
        ]
        let colours = runs.map { Self.colour(for: $0.distribution) }

        // Panel 1: throughput.
        var x0 = 20.0
        out += axes(x0, top, panelWidth - 30, panelHeight, title: "throughput (ops/s)",
                    maximum: runs.map(\.opsPerSecond).max() ?? 0)
        let scale1 = Self.niceMaximum(runs.map(\.opsPerSecond).max() ?? 0)
        let barWidth = (panelWidth - 90) / Double(max(runs.count, 1))
        for (i, run) in runs.enumerated() {
            let h = scale1 > 0 ? run.opsPerSecond / scale1 * panelHeight : 0
            let x = x0 + 50 + Double(i) * barWidth
            out.append(rect(x + 6, top + panelHeight - h, barWidth - 12, h, colours[i]))
            out.append(text(x + barWidth / 2, top + panelHeight - h - 4, formatFixed(run.opsPerSecond, 0), anchor: "middle"))
            out.append(text(x + barWidth / 2, top + panelHeight + 16, run.distribution.rawValue, anchor: "middle"))
        }

        // Panel 2: latency percentiles.
        x0 += panelWidth
        let percentiles: [(String, (LatencySummary) -> UInt64)] = [
            ("p50", { $0.p50Micros }), ("p95", { $0.p95Micros }), ("p99", { $0.p99Micros }), ("p999", { $0.p999Micros }),
        ]
        let maxLatency = runs.flatMap { run in percentiles.map { Double($0.1(run.latency)) / 1000 } }.max() ?? 0
        out += axes(x0, top, panelWidth - 30, panelHeight, title: "latency, all operations (ms)", maximum: maxLatency)
        let scale2 = Self.niceMaximum(maxLatency)
        let groupWidth = (panelWidth - 90) / Double(percentiles.count)
        let inner = (groupWidth - 10) / Double(max(runs.count, 1))
        for (p, percentile) in percentiles.enumerated() {
            let gx = x0 + 50 + Double(p) * groupWidth
            for (i, run) in runs.enumerated() {
                let value = Double(percentile.1(run.latency)) / 1000
                let h = scale2 > 0 ? value / scale2 * panelHeight : 0
                out.append(rect(gx + 5 + Double(i) * inner, top + panelHeight - h, inner - 2, h, colours[i]))
            }
            out.append(text(gx + groupWidth / 2, top + panelHeight + 16, percentile.0, anchor: "middle"))
        }

        // Panel 3: per-node load relative to the mean.
        x0 += panelWidth
        let names = runs.first?.nodes.map(\.node) ?? []
        let relative: [[Double]] = runs.map { run in
            let measured = run.nodes.filter(\.measured)
            let mean = measured.isEmpty ? 0 : Double(measured.map(\.served).reduce(0, +)) / Double(measured.count)
            return names.map { name in
                guard mean > 0, let node = run.nodes.first(where: { $0.node == name }) else { return 0 }
                return Double(node.served) / mean
            }
        }
        let maxRelative = max(1.2, relative.flatMap { $0 }.max() ?? 0)
        out += axes(x0, top, panelWidth - 30, panelHeight, title: "replica requests per node / mean",
                    maximum: maxRelative, decimals: 1)
        let scale3 = Self.niceMaximum(maxRelative)
        let nodeWidth = (panelWidth - 90) / Double(max(names.count, 1))
        let nodeInner = (nodeWidth - 6) / Double(max(runs.count, 1))
        for (n, name) in names.enumerated() {
            let nx = x0 + 50 + Double(n) * nodeWidth
            for (i, _) in runs.enumerated() {
                let h = scale3 > 0 ? relative[i][n] / scale3 * panelHeight : 0
                out.append(rect(nx + 3 + Double(i) * nodeInner, top + panelHeight - h, nodeInner - 1, h, colours[i]))
            }
            out.append(text(nx + nodeWidth / 2, top + panelHeight + 16, name, anchor: "middle"))
        }
        if scale3 > 0 {
            let y = top + panelHeight - 1 / scale3 * panelHeight
            out.append(
                "<line x1=\"\(f(x0 + 50))\" y1=\"\(f(y))\" x2=\"\(f(x0 + panelWidth - 40))\" y2=\"\(f(y))\" "
                    + "stroke=\"#333\" stroke-dasharray=\"4 3\"/>")
        }

        // Legend.
        for (i, run) in runs.enumerated() {
            let lx = 20.0
            let ly = top + panelHeight + 44 + Double(i) * 18
            out.append(rect(lx, ly - 10, 12, 12, colours[i]))
            out.append(text(lx + 18, ly, "\(run.distribution.rawValue): \(formatFixed(run.opsPerSecond, 0)) ops/s, "
                + "p99 \(ms(run.latency.p99Micros)) ms, max/mean \(formatFixed(run.balance.maxOverMean, 2)), "
                + "\(run.errors) errors"))
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// A panel's frame, title and y-axis ticks (0, ¼, ½, ¾, 1 of the rounded-up maximum).
    private func axes(
        _ x: Double, _ y: Double, _ w: Double, _ h: Double, title: String, maximum: Double, decimals: Int = 0
    ) -> [String] {
        let top = Self.niceMaximum(maximum)
        var out = [text(x + 50, y - 10, title, size: 13, weight: "bold")]
        out.append("<line x1=\"\(f(x + 48))\" y1=\"\(f(y))\" x2=\"\(f(x + 48))\" y2=\"\(f(y + h))\" stroke=\"#333\"/>")
        out.append("<line x1=\"\(f(x + 48))\" y1=\"\(f(y + h))\" x2=\"\(f(x + w))\" y2=\"\(f(y + h))\" stroke=\"#333\"/>")
        for step in 0...4 {
            let value = top * Double(step) / 4
            let ty = y + h - Double(step) / 4 * h
            out.append("<line x1=\"\(f(x + 48))\" y1=\"\(f(ty))\" x2=\"\(f(x + w))\" y2=\"\(f(ty))\" stroke=\"#eee\"/>")
            let label = decimals == 0 && value < 10 && top < 10 ? formatFixed(value, 2) : formatFixed(value, decimals)
            out.append(text(x + 44, ty + 4, label, size: 10, anchor: "end"))
        }
        return out
    }

    /// The next "round" number at or above `value` (1, 2, 2.5, 5 times a power of ten).
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 0 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= value { return factor * power }
        return 10 * power
    }

    static func colour(for distribution: KeyDistribution) -> String {
        switch distribution {
        case .uniform: return "#4e79a7"
        case .zipfian: return "#e15759"
        case .hotspot: return "#f28e2b"
        case .latest: return "#59a14f"
        }
    }

    private func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ fill: String) -> String {
        "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(w, 0)))\" height=\"\(f(max(h, 0)))\" fill=\"\(fill)\"/>"
    }

    private func text(
        _ x: Double, _ y: Double, _ content: String, size: Int = 12, weight: String = "normal",
        anchor: String = "start", fill: String = "#222"
    ) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" font-weight=\"\(weight)\" "
            + "text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(Self.escape(content))</text>"
    }

    private func f(_ value: Double) -> String { formatFixed(value, 1) }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
