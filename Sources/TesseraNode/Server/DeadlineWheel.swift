import NIOCore

/// Deadlines of in-flight requests in buckets of `granularity`, checked by one periodic sweep instead of one
/// scheduled timer per request (a timer costs an allocation, a heap insert and a removal on cancel).
///
/// The buckets are a ring indexed by bucket number modulo `slotCount` (no hashing per insert); a deadline
/// further ahead than the ring reaches waits in `overflow` and moves in as the ring turns. An element fires at
/// most `granularity` after its deadline. Elements are not removed when their request finishes early; the
/// sweep hands them back and the caller ignores finished ones.
struct DeadlineWheel<Element> {
    private var slots: [[Element]]
    /// Elements whose bucket is at least `slotCount` ahead of the last sweep, with their bucket number.
    private var overflow: [(bucket: Int64, element: Element)] = []
    private var lastSwept: Int64
    private var count = 0
    let granularityNanos: Int64

    /// - Parameter slotCount: buckets in the ring; with the default 16,384 and 5 ms buckets it reaches 82 s
    ///   ahead, past the 60 s maximum request timeout (an empty bucket is one pointer: 128 KiB for the ring).
    init(granularity: TimeAmount, now: NIODeadline = .now(), slotCount: Int = 16_384) {
        precondition(slotCount >= 1)
        self.granularityNanos = max(1, granularity.nanoseconds)
        self.lastSwept = Int64(now.uptimeNanoseconds) / max(1, granularity.nanoseconds)
        self.slots = Array(repeating: [], count: slotCount)
    }

    var isEmpty: Bool { count == 0 }

    mutating func insert(_ element: Element, deadline: NIODeadline) {
        var bucket = (Int64(deadline.uptimeNanoseconds) + granularityNanos - 1) / granularityNanos
        if bucket <= lastSwept { bucket = lastSwept + 1 }
        count += 1
        if bucket - lastSwept >= Int64(slots.count) {
            overflow.append((bucket, element))
        } else {
            slots[slot(bucket)].append(element)
        }
    }

    private func slot(_ bucket: Int64) -> Int { Int(bucket % Int64(slots.count)) }

    /// Removes and returns every element whose bucket has passed.
    mutating func popExpired(now: NIODeadline) -> [Element] {
        let nowBucket = Int64(now.uptimeNanoseconds) / granularityNanos
        guard nowBucket > lastSwept, count > 0 else {
            lastSwept = max(lastSwept, nowBucket)
            return []
        }
        var expired: [Element] = []
        // Every ring bucket is within one turn of `lastSwept`: after a long stall one pass over the ring is enough.
        let last = min(nowBucket, lastSwept + Int64(slots.count))
        var bucket = lastSwept + 1
        while bucket <= last {
            let i = slot(bucket)
            if !slots[i].isEmpty {
                // The bucket's storage goes with it (a ring of buckets that kept their capacity would hold the
                // peak of every bucket for good); the first non-empty bucket is taken without a copy.
                if expired.isEmpty { swap(&expired, &slots[i]) } else { expired += slots[i]; slots[i] = [] }
            }
            bucket += 1
        }
        lastSwept = nowBucket
        if !overflow.isEmpty {
            var waiting: [(bucket: Int64, element: Element)] = []
            for entry in overflow {
                if entry.bucket <= nowBucket {
                    expired.append(entry.element)
                } else if entry.bucket - lastSwept < Int64(slots.count) {
                    slots[slot(entry.bucket)].append(entry.element)
                } else {
                    waiting.append(entry)
                }
            }
            overflow = waiting
        }
        count -= expired.count
        return expired
    }
}
