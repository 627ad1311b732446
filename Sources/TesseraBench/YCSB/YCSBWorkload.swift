public import TesseraCore

/// YCSB's core workloads (`workloads/workloada` to `workloadf`): an operation mix and a default request
/// distribution.
///
/// | workload | mix | distribution | models |
/// | --- | --- | --- | --- |
/// | A | 50% read, 50% update | zipfian | a session store recording recent actions |
/// | B | 95% read, 5% update | zipfian | photo tagging |
/// | C | 100% read | zipfian | a user-profile cache |
/// | D | 95% read, 5% insert | latest | user status updates |
/// | E | 95% scan, 5% insert | zipfian | threaded conversations |
/// | F | 50% read, 50% read-modify-write | zipfian | a user database |
///
/// Workload E is defined but refused (`servable`): Tessera places keys on the ring by their Murmur3 hash, so
/// records adjacent in key order live on unrelated nodes, and neither the coordinator nor the client library
/// has a range-scan request. A scan would have to ask every node and merge their ordered iterators, which
/// the engine has but the cluster does not expose; timing N point reads instead would not be workload E.
public struct YCSBWorkload: Sendable, Codable, Hashable {
    /// `A` ... `F`.
    public var name: String
    /// Proportion of each operation type; they sum to 1.
    public var proportions: [YCSBOperation: Double]
    public var defaultDistribution: KeyDistribution

    public static let a = YCSBWorkload(name: "A", proportions: [.read: 0.5, .update: 0.5], defaultDistribution: .zipfian)
    public static let b = YCSBWorkload(name: "B", proportions: [.read: 0.95, .update: 0.05], defaultDistribution: .zipfian)
    public static let c = YCSBWorkload(name: "C", proportions: [.read: 1], defaultDistribution: .zipfian)
    public static let d = YCSBWorkload(name: "D", proportions: [.read: 0.95, .insert: 0.05], defaultDistribution: .latest)
    public static let e = YCSBWorkload(name: "E", proportions: [.scan: 0.95, .insert: 0.05], defaultDistribution: .zipfian)
    public static let f = YCSBWorkload(
        name: "F", proportions: [.read: 0.5, .readModifyWrite: 0.5], defaultDistribution: .zipfian)

    public static let all: [YCSBWorkload] = [.a, .b, .c, .d, .e, .f]

    /// Parses `A`...`F` (or `workloada`), case-insensitively. Throws `invalidRequest` for an unknown name and
    /// for E, saying why it is not served.
    public init(parsing text: String) throws(TesseraError) {
        var name = text.uppercased()
        if name.hasPrefix("WORKLOAD") { name.removeFirst("WORKLOAD".count) }
        guard let workload = Self.all.first(where: { $0.name == name }) else {
            throw TesseraError(.invalidRequest, "unknown workload '\(text)': use A, B, C, D or F (E is not served)")
        }
        guard workload.servable else {
            throw TesseraError(
                .invalidRequest,
                "workload E needs range scans, which Tessera does not serve: keys are placed on the ring by their "
                    + "Murmur3 hash and the cluster has no scan request; use A, B, C, D or F")
        }
        self = workload
    }

    init(name: String, proportions: [YCSBOperation: Double], defaultDistribution: KeyDistribution) {
        self.name = name
        self.proportions = proportions
        self.defaultDistribution = defaultDistribution
    }

    /// False for a workload with scans (E).
    public var servable: Bool { (proportions[.scan] ?? 0) == 0 }

    /// The operation for a uniform draw `u` in [0, 1): the cumulative proportions in `YCSBOperation` order.
    public func operation(for u: Double) -> YCSBOperation {
        var cumulative = 0.0
        var last = YCSBOperation.read
        for operation in YCSBOperation.allCases {
            guard let share = proportions[operation], share > 0 else { continue }
            cumulative += share
            last = operation
            if u < cumulative { return operation }
        }
        return last
    }

    /// The inserts a run of `operations` is expected to make (YCSB sizes its choosers with twice this).
    public func expectedInserts(operations: Int) -> Int {
        Int((Double(operations) * (proportions[.insert] ?? 0) * 2).rounded(.up))
    }
}
