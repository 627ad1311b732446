/// A kind of fault the nemesis injects (`--nemesis kill,pause,partition,skew,restart`).
public enum NemesisKind: String, CaseIterable, Hashable, Sendable, Comparable {
    /// SIGKILL one or more nodes, restart them on the same data directory when the fault heals.
    case kill
    /// SIGSTOP one or more nodes (connections stay open, nothing answers), SIGCONT when it heals.
    case pause
    /// Drop packets between groups of nodes with iptables inside the harness's network namespace.
    case partition
    /// Move nodes' wall clocks (libfaketime): jumps of up to minutes and drifts; monotonic time stays real.
    case skew
    /// Rolling restart: every node in turn stopped with SIGTERM and started again.
    case restart

    /// Parses a comma-separated list; `none` or an empty string is no nemesis, `all` every kind.
    public static func parseList(_ text: String) throws(HarnessError) -> [NemesisKind] {
        let trimmed = text.trimming(" ")
        if trimmed.isEmpty || trimmed == "none" { return [] }
        if trimmed == "all" { return allCases }
        var kinds: [NemesisKind] = []
        for part in trimmed.split(separator: ",") {
            let name = String(part).trimming(" ")
            guard let kind = NemesisKind(rawValue: name) else {
                throw .badInput(
                    "unknown nemesis '\(name)': use a comma-separated list of "
                        + allCases.map(\.rawValue).joined(separator: ", ") + " (or none, all)"
                )
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds.sorted()
    }

    public static func < (a: NemesisKind, b: NemesisKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension String {
    /// This string without leading and trailing copies of `character`.
    func trimming(_ character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
