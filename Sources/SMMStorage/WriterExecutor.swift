import Dispatch

/// Where the SQLite writer's transactions run: one serial queue of their own, as a task
/// executor (`withTaskExecutorPreference`).
///
/// Why: the writer is one connection, so transactions run one after another and the time
/// between two of them is lost to everyone queued. On the shared executor each hand-over of the
/// gate resumed the next transaction behind whatever HTTP work was queued, or on a thread that
/// had gone to sleep: under `add` the CPU sat ~21 % idle with every request waiting for the
/// writer. Here the next transaction's job lands on the queue whose thread is already running
/// the previous one, and runs as soon as that one suspends (~13 % idle, `add` +10–15 %;
/// BENCHMARKS.md). Only transaction bodies run here; the rest of a request does not.
///
/// Nothing here may block for long: `BEGIN IMMEDIATE` and `COMMIT` (lock waits, fsync) still go
/// to the backend's own thread. (Run here instead, the fsync held every job queued behind it,
/// acknowledgements included: `add` fell to half.)
final class WriterExecutor: TaskExecutor {
    private let queue: DispatchQueue
    private static let key = DispatchSpecificKey<ObjectIdentifier>()

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        queue.setSpecific(key: Self.key, value: ObjectIdentifier(self))
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Whether the calling code runs on this executor's queue (for tests).
    var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.key) == ObjectIdentifier(self) }
}
