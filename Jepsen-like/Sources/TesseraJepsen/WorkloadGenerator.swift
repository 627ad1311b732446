import Synchronization
import TesseraCore

/// One client operation of a workload.
enum WorkloadOperation: Hashable, Sendable {
    case read(key: String)
    case write(key: String, value: Int64)
}

/// Draws the operations of the register and set workloads. Every written value is unique in the run (one
/// counter for all workers), so a read names exactly the write it saw.
///
/// - register: keys `r0` ... `r<keys-1>`, half reads, half writes.
/// - set: each add writes a fresh key `s<value>` once with its value; the final read of every such key counts
///   the acknowledged adds that are lost.
final class WorkloadGenerator: Sendable {
    let keys: Int
    let workloads: Set<WorkloadKind>
    private let counter = Atomic<Int64>(0)
    /// Every set key that was invoked (for the final reads).
    private let setKeys = Mutex<[String]>([])

    init(keys: Int, workloads: Set<WorkloadKind>) {
        self.keys = keys
        self.workloads = workloads
    }

    static func registerKey(_ index: Int) -> String { "r\(index)" }

    var registerKeys: [String] { workloads.contains(.register) ? (0..<keys).map(Self.registerKey) : [] }

    /// Every set element key added so far, in order.
    var addedSetKeys: [String] { setKeys.withLock { $0 } }

    func next(_ random: inout SplitMix64) -> WorkloadOperation {
        let useSet: Bool
        if workloads.count == 2 {
            useSet = random.below(4) == 0  // a quarter of the operations are set adds
        } else {
            useSet = workloads.contains(.set)
        }
        if useSet {
            let value = counter.add(1, ordering: .relaxed).newValue
            let key = "s\(value)"
            setKeys.withLock { $0.append(key) }
            return .write(key: key, value: value)
        }
        let key = Self.registerKey(random.below(keys))
        if random.below(2) == 0 { return .read(key: key) }
        return .write(key: key, value: counter.add(1, ordering: .relaxed).newValue)
    }
}
