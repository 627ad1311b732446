/// One operation type of a YCSB workload.
public enum YCSBOperation: String, Sendable, Codable, CaseIterable, Comparable {
    /// Read one record.
    case read
    /// Overwrite an existing record with a new value.
    case update
    /// Write a new record (the next number of the insert sequence).
    case insert
    /// Read a range of records in key order (workload E; not served, see `YCSBWorkload.e`).
    case scan
    /// Read a record, then write it back changed (workload F): latency is the pair's.
    case readModifyWrite = "rmw"

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
