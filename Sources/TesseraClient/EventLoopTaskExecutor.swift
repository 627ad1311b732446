import NIOCore
import NIOPosix

/// Runs Swift tasks on one NIO event loop, so code that calls the client from such a task shares a thread with
/// the connections on that loop: requests reach the connection without a thread hop and answers resume the
/// caller without waking another thread.
///
/// Use through `TesseraClient.taskExecutors`: `group.addTask(executorPreference: client.taskExecutors[i % n])`.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `loop` is immutable and event loops are thread-safe (`execute` may be called from any thread).
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = self.asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
