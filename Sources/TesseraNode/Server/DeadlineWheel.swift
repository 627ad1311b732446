import NIOCore

/// Deadlines of in-flight requests in buckets of `granularity`, checked by one periodic sweep instead of one
/// scheduled timer per request (a timer costs an allocation, a heap insert and a removal on cancel).
///
/// An element fires at most `granularity` after its deadline. Elements are not removed when their request
/// finishes early; the sweep hands them back and the caller ignores finished ones.
struct DeadlineWheel<Element> {
    private var buckets: [Int64: [Element]] = [:]
    private var lastSwept: Int64
    let granularityNanos: Int64

    init(granularity: TimeAmount, now: NIODeadline = .now()) {
        self.granularityNanos = max(1, granularity.nanoseconds)
        self.lastSwept = Int64(now.uptimeNanoseconds) / max(1, granularity.nanoseconds)
    }

    var isEmpty: Bool { buckets.isEmpty }

    mutating func insert(_ element: Element, deadline: NIODeadline) {
        var key = (Int64(deadline.uptimeNanoseconds) + granularityNanos - 1) / granularityNanos
        if key <= lastSwept { key = lastSwept + 1 }
        buckets[key, default: []].append(element)
    }

    /// Removes and returns every element whose bucket has passed.
    mutating func popExpired(now: NIODeadline) -> [Element] {
        let nowKey = Int64(now.uptimeNanoseconds) / granularityNanos
        guard nowKey > lastSwept else { return [] }
        var expired: [Element] = []
        if nowKey - lastSwept > Int64(buckets.count) {
            for key in buckets.keys where key <= nowKey { expired += buckets.removeValue(forKey: key)! }
        } else {
            var key = lastSwept + 1
            while key <= nowKey {
                if let bucket = buckets.removeValue(forKey: key) { expired += bucket }
                key += 1
            }
        }
        lastSwept = nowKey
        return expired
    }
}
