#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How to check a history.
public struct CheckOptions: Sendable {
    /// The sequential specification.
    public var model: ModelKind
    /// The initial value of every register (register, cas-register, multi-register) or string (kv; nil means "").
    public var initialValue: HistoryValue
    /// Knossos's rule: an `ok` read that returned nil means "value unknown" and is always legal. Off, a nil
    /// read requires the register to hold nil (Porcupine's and Tessera's JSONL meaning: the key is absent).
    public var nilReadIsUnknown: Bool
    /// Check each key on its own (P-compositionality). Off: the whole history against one model of all keys.
    public var splitByKey: Bool
    /// Stop with `unknown` after this long (measured from the start of ``LinearizabilityChecker/check``).
    public var timeout: Duration?
    /// Stop with `unknown` when the search caches of all keys together would exceed this many bytes.
    public var memoryLimitBytes: Int
    /// Keys checked at the same time (threads).
    public var parallelism: Int
    /// Keep checking the other keys after one is found not linearizable (default: stop them early).
    public var checkAllKeys: Bool
    /// Decide unique-value register keys from their read-mapping in O(n log n) instead of searching (the
    /// search still runs for every other key, and over the conflicting operations of a violation).
    public var readMappingFastPath: Bool
    /// Counters the check updates as it goes (keys done, operations of finished keys, search steps), for a
    /// progress line; nil: none.
    public var progress: CheckProgress?

    public init(
        model: ModelKind,
        initialValue: HistoryValue = .null,
        nilReadIsUnknown: Bool = false,
        splitByKey: Bool = true,
        timeout: Duration? = nil,
        memoryLimitBytes: Int = CheckOptions.defaultMemoryLimitBytes,
        parallelism: Int = CheckOptions.processorCount,
        checkAllKeys: Bool = false,
        readMappingFastPath: Bool = true,
        progress: CheckProgress? = nil
    ) {
        self.model = model
        self.initialValue = initialValue
        self.nilReadIsUnknown = nilReadIsUnknown
        self.splitByKey = splitByKey
        self.timeout = timeout
        self.memoryLimitBytes = memoryLimitBytes
        self.parallelism = max(1, parallelism)
        self.checkAllKeys = checkAllKeys
        self.readMappingFastPath = readMappingFastPath
        self.progress = progress
    }

    /// Online processors.
    public static var processorCount: Int {
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? Int(n) : 1
    }

    /// Half the physical memory (4 GiB when unknown).
    public static var defaultMemoryLimitBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, size > 0 { return Int(pages) * Int(size) / 2 }
        return 4 << 30
    }
}
