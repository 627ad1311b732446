public import TesseraCore

/// How the run phase picks the record of each operation (YCSB's `requestdistribution`).
public enum KeyDistribution: String, Sendable, Codable, CaseIterable {
    /// Every record equally likely.
    case uniform
    /// YCSB's scrambled zipfian, θ = 0.99 (hot records scattered over the key space).
    case zipfian
    /// A hot set of records gets most operations (`--hot-set`, `--hot-ops`).
    case hotspot
    /// The newest records are the most popular (zipfian over recency), as workload D.
    case latest

    /// Parses a name, case-insensitively; throws `invalidRequest` listing the accepted names.
    public init(parsing text: String) throws(TesseraError) {
        guard let distribution = Self(rawValue: text.lowercased()) else {
            let names = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw TesseraError(.invalidRequest, "unknown distribution '\(text)': use \(names)")
        }
        self = distribution
    }
}
