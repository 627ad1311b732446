import Dispatch
import Logging
import NIOCore
import Synchronization
import TesseraCluster
import TesseraCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the `HintStore` on one serial queue (one writer connection) and batches inserts: hints handed over
/// while a transaction is being committed go into the next one, so many concurrent writes share one commit.
///
/// A store that cannot be used never stops the node: opening a corrupt file moves it aside (kept for
/// inspection as `hints.sqlite.corrupt-MILLIS`) and starts an empty one; a full disk or a failure during
/// operation fails the calls that hit it with a clear error, logs it once per kind, and shows in `status`
/// until a later call succeeds. Answers come as futures on the event loop the caller names.
final class HintService: Sendable {

    let path: String
    private let log: Logger
    private let queue: DispatchQueue
    /// Only touched on `queue`, hence no lock: the store is the one connection.
    private nonisolated(unsafe) var store: HintStore?
    private let state = Mutex<State>(State())

    private struct State {
        var pending: [Hint] = []
        var promises: [EventLoopPromise<Void>] = []
        var drainScheduled = false
        /// nil when healthy; else what is wrong, shown by `tessera hints` and STATUS.
        var problem: String?
        var lastLoggedProblem: String?
        var insertTransactions = 0
        var hintsInserted = 0
    }

    /// Opens the store at `path` (see the type's comment for what happens when it cannot).
    init(path: String, log: Logger) {
        self.path = path
        self.log = log
        self.queue = DispatchQueue(label: "tessera.hints")
        queue.sync { open() }
    }

    /// What is wrong with the store, nil when it works.
    var problem: String? { state.withLock { $0.problem } }
    /// Insert transactions committed and hints inserted since start.
    var insertCounts: (transactions: Int, hints: Int) { state.withLock { ($0.insertTransactions, $0.hintsInserted) } }

    private func open() {
        do throws(SQLiteError) {
            store = try HintStore(path: path)
            if let complaint = try store?.check() {
                throw SQLiteError(kind: .corrupt, message: "\(path): integrity check failed: \(complaint)")
            }
        } catch {
            store?.close()
            store = nil
            guard error.kind == .corrupt else {
                note(error)
                return
            }
            let aside = "\(path).corrupt-\(WallClock.nowMillis())"
            rename(path, aside)
            unlink(path + "-wal")
            unlink(path + "-shm")
            do throws(SQLiteError) {
                store = try HintStore(path: path)
                note(
                    SQLiteError(
                        kind: .corrupt,
                        message: "\(error.message); moved it to \(aside) and started an empty hint store "
                            + "(hints in it are lost: run `tessera repair`)"
                    ),
                    sticky: true
                )
            } catch {
                note(error)
            }
        }
    }

    /// Records a failure: logged once per distinct message, shown in `problem`.
    private func note(_ error: SQLiteError, sticky: Bool = false) {
        let message = "hint store: \(error.message)"
        let shouldLog = state.withLock { s -> Bool in
            s.problem = message
            defer { s.lastLoggedProblem = message }
            return s.lastLoggedProblem != message
        }
        if shouldLog { log.error("hint store failed", metadata: ["path": "\(path)", "error": "\(error.message)"]) }
        if sticky { stickyProblem.withLock { $0 = message } }
    }

    /// A problem found at open (a corrupt file moved aside) stays visible even after later calls succeed.
    private let stickyProblem = Mutex<String?>(nil)

    private func succeeded() {
        let sticky = stickyProblem.withLock { $0 }
        state.withLock { s in
            s.problem = sticky
            s.lastLoggedProblem = nil
        }
    }

    /// Runs `body` with the store on the queue; nil store or a throw gives the error.
    private func withStore<T>(_ body: (HintStore) throws(SQLiteError) -> T) -> Result<T, TesseraError> {
        guard let store else {
            return .failure(TesseraError(.storage, problem ?? "hint store \(path) is not open"))
        }
        do throws(SQLiteError) {
            let value = try body(store)
            succeeded()
            return .success(value)
        } catch {
            note(error)
            return .failure(error.tesseraError)
        }
    }

    // MARK: operations

    /// Stores `hints` durably: the future succeeds once they are committed, or fails with the error.
    func store(_ hints: [Hint], on loop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        let schedule = state.withLock { s -> Bool in
            s.pending += hints
            s.promises.append(promise)
            defer { s.drainScheduled = true }
            return !s.drainScheduled
        }
        if schedule { queue.async { self.drain() } }
        return promise.futureResult
    }

    private func drain() {
        let (hints, promises) = state.withLock { s -> ([Hint], [EventLoopPromise<Void>]) in
            let taken = (s.pending, s.promises)
            s.pending = []
            s.promises = []
            s.drainScheduled = false
            return taken
        }
        guard !promises.isEmpty else { return }
        let result = withStore { store throws(SQLiteError) in try store.insert(hints) }
        if case .success = result {
            state.withLock { s in
                s.insertTransactions += 1
                s.hintsInserted += hints.count
            }
        }
        for promise in promises { promise.completeWith(result.mapError { $0 as any Error }) }
    }

    /// Runs `body` on the queue and answers on `loop`.
    private func run<T: Sendable>(on loop: any EventLoop, _ body: @escaping @Sendable (HintStore) throws(SQLiteError) -> T) -> EventLoopFuture<T> {
        let promise = loop.makePromise(of: T.self)
        queue.async { promise.completeWith(self.withStore(body).mapError { $0 as any Error }) }
        return promise.futureResult
    }

    func load(target: NodeID, afterID: Int64, limit: Int, on loop: any EventLoop) -> EventLoopFuture<[StoredHint]> {
        run(on: loop) { store throws(SQLiteError) in try store.load(target: target, afterID: afterID, limit: limit) }
    }

    func delete(ids: [Int64], on loop: any EventLoop) -> EventLoopFuture<Void> {
        run(on: loop) { store throws(SQLiteError) in try store.delete(ids: ids) }
    }

    func deleteExpired(createdBeforeMillis: UInt64, on loop: any EventLoop) -> EventLoopFuture<[NodeID: HintCount]> {
        run(on: loop) { store throws(SQLiteError) in try store.deleteExpired(createdBeforeMillis: createdBeforeMillis) }
    }

    /// Pending hints per target (blocking; used at startup).
    func pending() -> [NodeID: HintCount] {
        queue.sync { (try? withStore { store throws(SQLiteError) in try store.pending() }.get()) ?? [:] }
    }

    /// The last time the node recorded itself alive before this start (blocking; used at startup).
    func lastAliveMillis() -> UInt64? {
        queue.sync { (try? withStore { store throws(SQLiteError) in try store.lastAliveMillis() }.get()) ?? nil }
    }

    func recordAlive(_ millis: UInt64) {
        queue.async { _ = self.withStore { store throws(SQLiteError) in try store.recordAlive(millis) } }
    }

    /// Waits for queued work and closes the store.
    func close() {
        queue.sync {
            store?.close()
            store = nil
        }
    }
}
