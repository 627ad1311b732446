/// The client workloads of a run (`--workload register,set`).
public enum WorkloadKind: String, CaseIterable, Hashable, Sendable {
    /// Reads and writes of unique values over `keys` registers; each key is checked for linearizability.
    case register
    /// Unique adds (each element a key written once), then a final read of all: counts acknowledged adds lost.
    case set

    /// Parses a comma-separated list; `all` is both.
    public static func parseList(_ text: String) throws(HarnessError) -> Set<WorkloadKind> {
        if text == "all" { return Set(allCases) }
        var kinds: Set<WorkloadKind> = []
        for part in text.split(separator: ",") {
            guard let kind = WorkloadKind(rawValue: String(part)) else {
                throw .badInput("unknown workload '\(part)': use register, set (comma-separated) or all")
            }
            kinds.insert(kind)
        }
        guard !kinds.isEmpty else { throw .badInput("--workload names no workload: use register, set or all") }
        return kinds
    }
}
