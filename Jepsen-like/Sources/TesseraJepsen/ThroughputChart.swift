/// The report's SVG: completed operations per second (ok, fail, info) and latency (median and maximum of
/// each second) over the run, with every nemesis window shaded and labelled.
enum ThroughputChart {
    static func render(completions: [HistoryRecorder.Completion], windows: [NemesisWindow], title: String) -> String {
        let width = 1000.0, panel = 220.0, left = 60.0, right = 20.0, top = 40.0, gap = 50.0
        let height = top + panel * 2 + gap + 40
        let endNanos = max(
            completions.map(\.endNanos).max() ?? 1,
            windows.compactMap(\.endNanos).max() ?? 1,
            1_000_000_000
        )
        let seconds = Int((Double(endNanos) / 1e9).rounded(.up))
        var ok = [Int](repeating: 0, count: seconds + 1)
        var fail = ok, info = ok
        var latencies = [[Double]](repeating: [], count: seconds + 1)
        for c in completions {
            let s = Int(c.endNanos / 1_000_000_000)
            switch c.kind {
            case .ok: ok[s] += 1
            case .fail: fail[s] += 1
            default: info[s] += 1
            }
            latencies[s].append(Double(c.latencyNanos) / 1e6)
        }
        let plotWidth = width - left - right
        func x(_ second: Double) -> Double { left + plotWidth * second / Double(max(seconds, 1)) }
        let maxRate = max(1, (0...seconds).map { ok[$0] + fail[$0] + info[$0] }.max() ?? 1)
        let medians = latencies.map { $0.isEmpty ? nil : $0.sorted()[$0.count / 2] }
        let maxima = latencies.map { $0.max() }
        let maxLatency = max(1, maxima.compactMap { $0 }.max() ?? 1)

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="14">\(escape(title))</text>

            """
        let lowerTop = top + panel + gap
        // Nemesis windows, across both panels.
        let palette: [NemesisKind: String] = [
            .kill: "#f4a6a6", .pause: "#f7d79a", .partition: "#a6c8f4", .skew: "#c9b3f0", .restart: "#b5e0b5",
        ]
        for window in windows {
            let x0 = x(Double(window.startNanos) / 1e9)
            let x1 = x(Double(window.endNanos ?? endNanos) / 1e9)
            for y in [top, lowerTop] {
                svg += "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(1, x1 - x0)))\" height=\"\(f(panel))\" "
                svg += "fill=\"\(palette[window.kind] ?? "#ddd")\" opacity=\"0.5\"><title>\(escape(window.description))</title></rect>\n"
            }
            svg += "<text x=\"\(f(x0 + 2))\" y=\"\(f(top + 12))\" font-size=\"9\">\(escape(window.kind.rawValue))</text>\n"
        }
        // Axes and labels.
        for (y, label) in [(top, "ops/s (max \(maxRate))"), (lowerTop, "latency ms (max \(f(maxLatency)))")] {
            svg += "<rect x=\"\(left)\" y=\"\(f(y))\" width=\"\(f(plotWidth))\" height=\"\(f(panel))\" fill=\"none\" stroke=\"#888\"/>\n"
            svg += "<text x=\"4\" y=\"\(f(y - 6))\">\(label)</text>\n"
        }
        for s in stride(from: 0, through: seconds, by: max(1, seconds / 10)) {
            svg += "<text x=\"\(f(x(Double(s))))\" y=\"\(f(lowerTop + panel + 14))\" text-anchor=\"middle\">\(s)s</text>\n"
        }
        func polyline(_ values: [Double?], scale: Double, baseY: Double, color: String, name: String) -> String {
            var points: [String] = []
            for (s, v) in values.enumerated() {
                guard let v else { continue }
                points.append("\(f(x(Double(s) + 0.5))),\(f(baseY + panel - panel * v / scale))")
            }
            return "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"><title>\(name)</title></polyline>\n"
        }
        svg += polyline(ok.map { Double($0) }, scale: Double(maxRate), baseY: top, color: "#2a7a2a", name: "ok")
        svg += polyline(fail.map { Double($0) }, scale: Double(maxRate), baseY: top, color: "#c03030", name: "fail")
        svg += polyline(info.map { Double($0) }, scale: Double(maxRate), baseY: top, color: "#d08a00", name: "info")
        svg += polyline(medians, scale: maxLatency, baseY: lowerTop, color: "#2050c0", name: "median latency")
        svg += polyline(maxima, scale: maxLatency, baseY: lowerTop, color: "#902090", name: "max latency")
        let legend: [(String, String)] = [
            ("ok", "#2a7a2a"), ("fail", "#c03030"), ("info", "#d08a00"), ("median latency", "#2050c0"),
            ("max latency", "#902090"),
        ]
        for (i, (name, color)) in legend.enumerated() {
            let lx = left + 300 + Double(i) * 110
            svg += "<rect x=\"\(f(lx))\" y=\"10\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(lx + 14))\" y=\"19\">\(name)</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private static func f(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }

    private static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
