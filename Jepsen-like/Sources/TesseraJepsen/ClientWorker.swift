import Linearizability
import Synchronization
import TesseraClient
import TesseraCore

/// One client worker: at most one operation outstanding, each recorded as an invocation and a completion.
///
/// A timeout or a lost connection (an indeterminate error) completes as `info`, and the worker continues
/// under a fresh process number, as Jepsen does: the old process may still be "running" that operation
/// forever. A clear rejection (nothing was sent, or the replicas refused) completes as `fail`.
struct ClientWorker: Sendable {
    let index: Int
    let concurrency: Int
    let client: TesseraClient
    let recorder: HistoryRecorder
    let workload: WorkloadGenerator
    let level: ConsistencyLevel
    let operationTimeout: Duration
    /// Pause between one worker's operations, so all workers together make about `rate` per second.
    let interval: Duration

    func run(until deadline: ContinuousClock.Instant, seed: UInt64) async {
        var random = SplitMix64(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        var process = index
        // Start the workers at staggered moments.
        try? await Task.sleep(for: interval * Double(random.below(1000)) / 1000)
        while ContinuousClock.now < deadline && !Task.isCancelled {
            let start = ContinuousClock.now
            let operation = workload.next(&random)
            let outcome = await perform(operation, process: process)
            if outcome.kind == .info { process += concurrency }
            let jitter = interval * (0.5 + Double(random.below(1000)) / 1000)
            let elapsed = ContinuousClock.now - start
            if elapsed < jitter { try? await Task.sleep(for: jitter - elapsed) }
        }
    }

    /// How an operation completed: `ok` with its value (a read's result), `fail` or `info`.
    struct Outcome {
        var kind: HistoryEvent.Kind
        var value: HistoryValue
    }

    /// Runs one operation.
    func perform(_ operation: WorkloadOperation, process: Int) async -> Outcome {
        await Self.perform(
            operation,
            process: process,
            client: client,
            recorder: recorder,
            level: level,
            timeout: operationTimeout
        )
    }

    /// Runs and records one operation with `client`.
    static func perform(
        _ operation: WorkloadOperation,
        process: Int,
        client: TesseraClient,
        recorder: HistoryRecorder,
        level: ConsistencyLevel,
        timeout: Duration
    ) async -> Outcome {
        switch operation {
        case .read(let key):
            let invoked = recorder.invoke(process: process, f: "read", key: key, value: .null)
            do throws(TesseraError) {
                let hit = try await client.get(key, consistency: level, timeout: timeout)
                let value: HistoryValue
                if let hit {
                    guard let text = hit.string, let number = Int64(text) else {
                        // Not a value this harness wrote: record it as a string the model cannot explain.
                        value = .string(hit.string ?? "<\(hit.value.count) bytes>")
                        recorder.complete(process: process, kind: .ok, f: "read", key: key, value: value, invokedAt: invoked)
                        return Outcome(kind: .ok, value: value)
                    }
                    value = .int(number)
                } else {
                    value = .null
                }
                recorder.complete(process: process, kind: .ok, f: "read", key: key, value: value, invokedAt: invoked)
                return Outcome(kind: .ok, value: value)
            } catch {
                let kind: HistoryEvent.Kind = error.isIndeterminate ? .info : .fail
                recorder.complete(process: process, kind: kind, f: "read", key: key, value: .null, invokedAt: invoked)
                return Outcome(kind: kind, value: .null)
            }
        case .write(let key, let value):
            let invoked = recorder.invoke(process: process, f: "write", key: key, value: .int(value))
            do throws(TesseraError) {
                try await client.put(key, String(value), consistency: level, timeout: timeout)
                recorder.complete(process: process, kind: .ok, f: "write", key: key, value: .int(value), invokedAt: invoked)
                return Outcome(kind: .ok, value: .int(value))
            } catch {
                let kind: HistoryEvent.Kind = error.isIndeterminate ? .info : .fail
                recorder.complete(process: process, kind: kind, f: "write", key: key, value: .int(value), invokedAt: invoked)
                return Outcome(kind: kind, value: .int(value))
            }
        }
    }
}
