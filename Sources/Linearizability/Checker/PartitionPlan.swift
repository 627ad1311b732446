/// One partition to check, before it is built: its key, its operations and how many of them the search takes.
///
/// Keyed models build a key's ``Partition`` only when a thread is about to check it
/// (``PartitionBuilder/partition(_:of:)``) and drop it afterwards; transactions and `--no-split` come built.
struct PartitionPlan: Sendable {
    /// Display name of the key(s); nil for a single-register history without keys.
    var key: String?
    /// Ids (in ``History/operations``) of every operation of this partition, including those the search skips.
    var allOps: [Int]
    /// How many operations the search takes (the partition's `opIDs.count`).
    var searchedCount: Int
    /// The partition, when it was built with the plan.
    var built: Partition?

    init(key: String?, allOps: [Int], searchedCount: Int) {
        self.key = key
        self.allOps = allOps
        self.searchedCount = searchedCount
    }

    init(built: Partition) {
        self.key = built.key
        self.allOps = built.allOps
        self.searchedCount = built.opIDs.count
        self.built = built
    }
}
