extension ClusterBenchmark.Report {
    /// The human-readable report: one block per phase.
    public var text: String {
        var lines: [String] = []
        let c = configuration
        lines.append(
            "cluster bench: \(c.operations) ops per phase, \(c.concurrency) in flight, consistency \(c.consistency), "
                + "\(c.valueSize)-byte values, \(c.keys) keys, hosts \(hosts.joined(separator: ","))"
        )
        for phase in phases {
            lines.append(
                "\(phase.phase): \(Self.format(phase.opsPerSecond)) ops/s  "
                    + "(\(phase.operations) ok, \(phase.errors) errors"
                    + (phase.phase == "get" ? ", \(phase.notFound) not found" : "")
                    + " in \(Self.format(phase.seconds, decimals: 2)) s)"
            )
            lines.append(
                "  latency us: p50 \(phase.p50Micros)  p99 \(phase.p99Micros)  p999 \(phase.p999Micros)  "
                    + "max \(phase.maxMicros)  mean \(Self.format(phase.meanMicros))"
            )
            if !phase.errorsByCode.isEmpty {
                let codes = phase.errorsByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                lines.append("  errors: " + codes.joined(separator: ", "))
                for sample in phase.errorSamples { lines.append("    " + sample) }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double, decimals: Int = 0) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if decimals == 0 { return String(Int(rounded)) }
        return String(rounded)
    }
}
