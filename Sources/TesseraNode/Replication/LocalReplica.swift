import NIOCore
import NIOPosix
import TesseraCore
import TesseraStorage

/// This node's replica: storage calls batched onto a thread pool, results delivered back on the event loop.
///
/// Writes queued during one event-loop tick (or while the previous batch is being committed) go to storage as
/// one `WriteBatch`, so they share one WAL append and one fsync (group commit); one write batch runs at a time.
/// Reads are answered at the end of the tick from memory when storage can (memtables, block cache); the rest
/// are batched the same way, with up to `maxBatchesInFlight` read batches at once, each returning at most
/// `maxBatchBytes` of values.
///
/// Reads are answered in slices of about `maxReadBytesPerSlice` of values; the next slice runs after a short
/// scheduled delay, which lets the event loop serve its sockets in between (SwiftNIO runs every task that is
/// ready, those queued by tasks included, before it looks at I/O again). The same loop answers the failure
/// detector's pings: a client asking for many large values at once (six connections, 32 GETs of 1 MiB each)
/// made one turn copy 200 MiB, which took over a second on a loaded 2-core machine, and both peers then saw
/// this node down and it saw them down (`PeerPriorityProcessTests`).
///
/// Confined to `eventLoop`: every method must be called there, and every callback runs there.
final class LocalReplica {
    typealias WriteCallback = (TesseraError?) -> Void
    typealias ReadCallback = (Result<Cell?, TesseraError>) -> Void

    let engine: StorageEngine
    let pool: NIOThreadPool
    let eventLoop: any EventLoop
    let maxBatchesInFlight: Int
    /// A batch is cut at this many entries or bytes.
    let maxBatchEntries = 4096
    let maxBatchBytes = 8 << 20
    /// Value bytes answered from memory per slice; further queued reads wait for the next slice.
    let maxReadBytesPerSlice = 4 << 20
    /// The pause before the next slice: any delay that is still in the future when the loop next looks for ready
    /// tasks makes it serve I/O first.
    static let sliceYield = TimeAmount.microseconds(500)

    private var queuedWrites: [(key: [UInt8], cell: Cell)] = []
    private var queuedWriteCallbacks: [WriteCallback] = []
    private var queuedWriteBytes = 0
    private var writeBatchesInFlight = 0
    private var writeSubmitScheduled = false

    private var queuedReads: [[UInt8]] = []
    private var queuedReadCallbacks: [ReadCallback] = []
    private var readBatchesInFlight = 0
    private var readSubmitScheduled = false
    /// True while read callbacks run: reads they queue are scheduled afterwards, with the slice's yield.
    private var answeringReads = false

    /// Write and read batches sent to storage so far (for STATUS).
    private(set) var writeBatches = 0
    private(set) var readBatches = 0
    /// Reads answered from memory on the event loop, without a storage batch.
    private(set) var memoryReads = 0

    init(engine: StorageEngine, pool: NIOThreadPool, eventLoop: any EventLoop, maxBatchesInFlight: Int = 2) {
        self.engine = engine
        self.pool = pool
        self.eventLoop = eventLoop
        self.maxBatchesInFlight = maxBatchesInFlight
    }

    /// One write batch at a time: writes that arrive while a batch is being committed wait and form the next
    /// one, so every fsync covers as many writes as possible. Measured back to back on the 3-node QUORUM put
    /// benchmark: 23k-30k puts/s with one batch in flight, 5k-18k when a second batch could overlap (two
    /// concurrent commits halve the batches and contend in the storage engine's group commit).
    private var canStartWriteBatch: Bool { writeBatchesInFlight == 0 }

    /// True while any storage call is queued or running.
    var isIdle: Bool {
        queuedWrites.isEmpty && queuedReads.isEmpty && writeBatchesInFlight == 0 && readBatchesInFlight == 0
    }

    /// Stores `cell` (if newer than what storage has); `done` gets nil once it is durable per the sync policy.
    func write(_ key: [UInt8], _ cell: Cell, _ done: @escaping WriteCallback) {
        queuedWrites.append((key, cell))
        queuedWriteCallbacks.append(done)
        queuedWriteBytes += WriteBatch.encodedSize(keyCount: key.count, valueCount: cell.value?.count)
        if queuedWrites.count >= maxBatchEntries || queuedWriteBytes >= maxBatchBytes {
            if canStartWriteBatch { submitWrites() }
        } else if !writeSubmitScheduled && canStartWriteBatch {
            // Submit at the end of this tick, so everything queued by this tick's reads shares the batch.
            writeSubmitScheduled = true
            eventLoop.assumeIsolated().execute { [self] in
                writeSubmitScheduled = false
                if canStartWriteBatch { submitWrites() }
            }
        }
    }

    /// Reads the newest cell of `key`.
    func read(_ key: [UInt8], _ done: @escaping ReadCallback) {
        queuedReads.append(key)
        queuedReadCallbacks.append(done)
        if !answeringReads { scheduleReads(afterYield: false) }
    }

    /// Runs `submitReads` at the end of this tick, or after `sliceYield` when a slice just used its budget.
    private func scheduleReads(afterYield: Bool) {
        guard !readSubmitScheduled && readBatchesInFlight < maxBatchesInFlight else { return }
        readSubmitScheduled = true
        let loop = eventLoop.assumeIsolated()
        if afterYield {
            loop.scheduleTask(in: Self.sliceYield) { [self] in runScheduledReads() }
        } else {
            loop.execute { [self] in runScheduledReads() }
        }
    }

    private func runScheduledReads() {
        readSubmitScheduled = false
        if readBatchesInFlight < maxBatchesInFlight { submitReads() }
    }

    private func submitWrites() {
        guard !queuedWrites.isEmpty else { return }
        let count = min(queuedWrites.count, maxBatchEntries)
        var building = WriteBatch(reservingCapacity: count == queuedWrites.count ? queuedWriteBytes : 0)
        for entry in queuedWrites.prefix(count) { building.apply(entry.key, entry.cell) }
        let batch = building
        let callbacks = Array(queuedWriteCallbacks.prefix(count))
        if count == queuedWrites.count {
            queuedWrites.removeAll(keepingCapacity: true)
            queuedWriteCallbacks.removeAll(keepingCapacity: true)
            queuedWriteBytes = 0
        } else {
            queuedWrites.removeFirst(count)
            queuedWriteCallbacks.removeFirst(count)
            queuedWriteBytes = queuedWrites.reduce(0) {
                $0 + WriteBatch.encodedSize(keyCount: $1.key.count, valueCount: $1.cell.value?.count)
            }
        }
        writeBatchesInFlight += 1
        writeBatches += 1
        let engine = self.engine
        pool.runIfActive(eventLoop: eventLoop) { try engine.write(batch) }
            .assumeIsolated()
            .whenComplete { [self] result in
                writeBatchesInFlight -= 1
                let error: TesseraError?
                switch result {
                case .success: error = nil
                case .failure(let failure): error = Self.storageError(failure)
                }
                for callback in callbacks { callback(error) }
                if !queuedWrites.isEmpty && canStartWriteBatch { submitWrites() }
            }
    }

    private func submitReads() {
        guard !queuedReads.isEmpty else { return }
        var keys: [[UInt8]] = []
        var callbacks: [ReadCallback] = []
        // What storage holds in memory is answered here, on the event loop: a hop to the pool and back costs
        // two thread wake-ups per batch, more than the lookup (measured on the LINEARIZABLE put benchmark,
        // whose version phase reads every key: docs/benchmarks.md). Only the rest goes to the pool.
        // Taken off the queue first: a callback may queue another read (it waits for the next tick).
        let queuedKeys = queuedReads
        let queuedCallbacks = queuedReadCallbacks
        queuedReads = []
        queuedReadCallbacks = []
        var sliceBytes = 0
        var index = 0
        answeringReads = true
        while index < queuedKeys.count && sliceBytes < maxReadBytesPerSlice {
            let key = queuedKeys[index]
            let callback = queuedCallbacks[index]
            index += 1
            do throws(StorageError) {
                switch try engine.getWithoutIO(key) {
                case .found(let cell):
                    memoryReads += 1
                    sliceBytes += cell?.value?.count ?? 0
                    callback(.success(cell))
                case .notCached:
                    keys.append(key)
                    callbacks.append(callback)
                }
            } catch {
                callback(.failure(Self.storageError(error)))
            }
        }
        answeringReads = false
        // The slice is full: the rest, ahead of reads queued by its callbacks, waits for the next slice.
        requeueFirst(queuedKeys[index...], queuedCallbacks[index...])
        submitPoolReads(keys, callbacks)
        if !queuedReads.isEmpty { scheduleReads(afterYield: index < queuedKeys.count) }
    }

    /// Reads `keys` on the pool. A batch stops once it has read `maxBatchBytes` of values; the keys it did not
    /// reach go back to the front of the queue and form the next batch, so no single completion hands the event
    /// loop more than about that many bytes to answer with.
    private func submitPoolReads(_ keys: [[UInt8]], _ callbacks: [ReadCallback]) {
        guard !keys.isEmpty else { return }
        readBatchesInFlight += 1
        readBatches += 1
        let engine = self.engine
        let maxBytes = maxBatchBytes
        pool.runIfActive(eventLoop: eventLoop) { () -> [Result<Cell?, StorageError>] in
            var results: [Result<Cell?, StorageError>] = []
            results.reserveCapacity(keys.count)
            var bytes = 0
            for key in keys {
                if bytes >= maxBytes { break }
                let result = Result { () throws(StorageError) -> Cell? in try engine.get(key) }
                if case .success(let cell) = result { bytes += cell?.value?.count ?? 0 }
                results.append(result)
            }
            return results
        }
        .assumeIsolated()
        .whenComplete { [self] result in
            readBatchesInFlight -= 1
            var sliceBytes = 0
            answeringReads = true
            switch result {
            case .success(let results):
                requeueFirst(keys[results.count...], callbacks[results.count...])
                for (callback, cellResult) in zip(callbacks, results) {
                    if case .success(let cell) = cellResult { sliceBytes += cell?.value?.count ?? 0 }
                    callback(cellResult.mapError { Self.storageError($0) })
                }
            case .failure(let failure):
                let error = Self.storageError(failure)
                for callback in callbacks { callback(.failure(error)) }
            }
            answeringReads = false
            // After a full slice of values, the next waits for the loop to serve I/O (see the type's comment).
            if !queuedReads.isEmpty { scheduleReads(afterYield: sliceBytes >= maxReadBytesPerSlice) }
        }
    }

    /// Puts reads a slice or batch did not reach back at the front of the queue, in their order.
    private func requeueFirst(_ keys: ArraySlice<[UInt8]>, _ callbacks: ArraySlice<ReadCallback>) {
        guard !keys.isEmpty else { return }
        queuedReads.insert(contentsOf: keys, at: 0)
        queuedReadCallbacks.insert(contentsOf: callbacks, at: 0)
    }

    static func storageError(_ error: any Error) -> TesseraError {
        if let error = error as? TesseraError { return error }
        if let error = error as? StorageError {
            switch error {
            case .closed: return TesseraError(.overloaded, "replica storage is closed (the node is shutting down)")
            case .invalidArgument(let message): return TesseraError(.invalidRequest, message)
            case .ioError where error.isNoSpace:
                return TesseraError(.storage, "replica storage failed: disk full: \(error)")
            case .corruption, .ioError, .notFound: return TesseraError(.storage, "replica storage failed: \(error)")
            }
        }
        return TesseraError(.internalError, "replica storage failed: \(error)")
    }
}
