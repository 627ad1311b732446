import NIOCore

/// What a `DeadlineWheel` holds: the wheel links its entries through these fields, so scheduling and
/// unscheduling allocate nothing. Subclassed by what is timed (`CoordinatedOperation`).
class DeadlineWheelEntry {
    /// The next entry of the same list; the list owns its entries through these links.
    fileprivate var wheelNext: DeadlineWheelEntry?
    /// The previous entry of the list (nil for its head). Unowned and unchecked: while an entry is in a list,
    /// the entry before it (or the list head) holds it strongly, and `unlink` clears this field when it leaves.
    fileprivate unowned(unsafe) var wheelPrev: DeadlineWheelEntry?
    /// The bucket number the entry waits for.
    fileprivate var wheelBucket: Int64 = 0
    /// The list the entry is in (a ring slot, or the overflow list), -1 while it is in none.
    fileprivate var wheelList = -1

    /// Whether the entry waits in a wheel.
    var isScheduled: Bool { wheelList >= 0 }
}

/// Deadlines of in-flight requests in buckets of `granularity`, checked by one periodic sweep instead of one
/// scheduled timer per request (a timer costs an allocation, a heap insert and a removal on cancel).
///
/// A hashed timing wheel with intrusive lists (Varghese and Lauck; Kafka's and Linux's timer wheels): the
/// buckets are a ring indexed by bucket number modulo `slotCount`, each a doubly linked list threaded through
/// the entries themselves. Inserting and removing are a few pointer writes; an entry is removed when its
/// request is answered, so the wheel holds only requests still in flight (no answered request, nor its value,
/// is kept until its deadline; issue 8) and a sweep touches only what is due. A deadline further ahead than the
/// ring reaches waits in an overflow list and moves in as the ring turns. An entry fires at most `granularity`
/// after its deadline.
struct DeadlineWheel {
    /// `slotCount` ring lists, then the overflow list.
    private var heads: [DeadlineWheelEntry?]
    private let ringCount: Int
    private var lastSwept: Int64
    private(set) var count = 0
    let granularityNanos: Int64

    /// - Parameter slotCount: buckets in the ring; with the default 16,384 and 5 ms buckets it reaches 82 s
    ///   ahead, past the 60 s maximum request timeout (an empty bucket is one pointer: 128 KiB for the ring).
    init(granularity: TimeAmount, now: NIODeadline = .now(), slotCount: Int = 16_384) {
        precondition(slotCount >= 1)
        self.granularityNanos = max(1, granularity.nanoseconds)
        self.lastSwept = Int64(now.uptimeNanoseconds) / max(1, granularity.nanoseconds)
        self.ringCount = slotCount
        self.heads = Array(repeating: nil, count: slotCount + 1)
    }

    var isEmpty: Bool { count == 0 }

    /// Schedules `entry` (moving it if it is scheduled already).
    mutating func insert(_ entry: DeadlineWheelEntry, deadline: NIODeadline) {
        if entry.isScheduled { remove(entry) }
        var bucket = (Int64(deadline.uptimeNanoseconds) + granularityNanos - 1) / granularityNanos
        if bucket <= lastSwept { bucket = lastSwept + 1 }
        entry.wheelBucket = bucket
        count += 1
        link(entry, into: bucket - lastSwept >= Int64(ringCount) ? ringCount : slot(bucket))
    }

    /// Unschedules `entry`; nothing happens if it is not scheduled.
    mutating func remove(_ entry: DeadlineWheelEntry) {
        guard entry.isScheduled else { return }
        unlink(entry)
        count -= 1
    }

    /// Unschedules every entry, one at a time (letting a long list go at once would release it recursively,
    /// one stack frame per entry).
    mutating func removeAll() {
        for list in heads.indices {
            while let entry = heads[list] { unlink(entry) }
        }
        count = 0
    }

    /// Removes and returns every entry whose bucket has passed.
    mutating func popExpired(now: NIODeadline) -> [DeadlineWheelEntry] {
        let nowBucket = Int64(now.uptimeNanoseconds) / granularityNanos
        guard nowBucket > lastSwept, count > 0 else {
            lastSwept = max(lastSwept, nowBucket)
            return []
        }
        var expired: [DeadlineWheelEntry] = []
        // Every ring entry is within one turn of `lastSwept`: after a long stall one pass over the ring is enough,
        // and every entry of a bucket passed is due.
        let last = min(nowBucket, lastSwept + Int64(ringCount))
        var bucket = lastSwept + 1
        while bucket <= last {
            let list = slot(bucket)
            while let entry = heads[list] {
                unlink(entry)
                expired.append(entry)
            }
            bucket += 1
        }
        lastSwept = nowBucket
        var cursor = heads[ringCount]
        while let entry = cursor {
            cursor = entry.wheelNext
            if entry.wheelBucket <= nowBucket {
                unlink(entry)
                expired.append(entry)
            } else if entry.wheelBucket - lastSwept < Int64(ringCount) {
                unlink(entry)
                link(entry, into: slot(entry.wheelBucket))
            }
        }
        count -= expired.count
        return expired
    }

    private func slot(_ bucket: Int64) -> Int { Int(bucket % Int64(ringCount)) }

    private mutating func link(_ entry: DeadlineWheelEntry, into list: Int) {
        entry.wheelList = list
        entry.wheelPrev = nil
        let head = heads[list]
        head?.wheelPrev = entry
        entry.wheelNext = head
        heads[list] = entry
    }

    /// Takes `entry` out of its list (the caller holds it, so it outlives the list's reference).
    private mutating func unlink(_ entry: DeadlineWheelEntry) {
        let next = entry.wheelNext
        let prev = entry.wheelPrev
        next?.wheelPrev = prev
        if let prev { prev.wheelNext = next } else { heads[entry.wheelList] = next }
        entry.wheelNext = nil
        entry.wheelPrev = nil
        entry.wheelList = -1
    }
}
