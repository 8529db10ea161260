import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where the SQLite writer's batches run: a thread of its own, as a task executor
/// (`withTaskExecutorPreference`), at a raised scheduling priority when the system allows it.
///
/// Why a thread of its own: the writer is one connection, so its work is one serial chain that
/// every write waits on. On the shared executor each batch would wait behind whatever HTTP work
/// is queued (BENCHMARKS.md).
///
/// Why the priority: on a machine with few cores the writer's thread competes for them with the
/// event loops and the executor's threads, and while it waits for a core every write waits
/// with it — then, with every client waiting on the writer, the event loops run dry and a core
/// idles. Ahead of them, the chain keeps moving and the HTTP work fills the rest
/// (BENCHMARKS.md). Its work is short statements, so it
/// cannot starve the others. A negative nice value needs `CAP_SYS_NICE` or an `RLIMIT_NICE`
/// that allows it (systemd: `LimitNICE=-10`); without either the thread runs at the default.
///
/// Nothing here may block for long: `COMMIT` (fsync) and a `BEGIN IMMEDIATE` that must wait for
/// another process's lock go to the backend's own thread.
final class WriterExecutor: TaskExecutor {
    /// The nice value asked for (lower runs first; the default is 0).
    static let niceValue: Int32 = -10

    private struct State {
        var jobs: [UnownedJob] = []
        var stopped = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let thread = Mutex<ObjectIdentifier?>(nil)
    private let finished = DispatchSemaphore(value: 0)
    /// The nice value the thread got (nil until it started).
    private let appliedNice = Mutex<Int32?>(nil)

    init(label: String) {
        let ready = DispatchSemaphore(value: 0)
        let worker = Thread { [self] in
            thread.withLock { $0 = ObjectIdentifier(Thread.current) }
            // Named from inside (Linux keeps 15 bytes), so `top -H` shows the writer by name.
            try? String(label.prefix(15)).write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            // On Linux a nice value belongs to the thread that sets it (`who` 0: this one).
            let raised = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceValue) == 0
            appliedNice.withLock { $0 = raised ? Self.niceValue : 0 }
            ready.signal()
            run()
        }
        worker.start()
        ready.wait()
    }

    private func run() {
        while true {
            wake.wait()
            let (jobs, stopped) = state.withLock { state in
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return (state.jobs, state.stopped)
            }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if stopped, jobs.isEmpty { break }
        }
        finished.signal()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        state.withLock { $0.jobs.append(job) }
        wake.signal()
    }

    /// Ends the thread once the jobs queued so far have run (the backend calls it last).
    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
        finished.wait()
    }

    /// Whether the calling code runs on this executor's thread (for tests).
    var isCurrent: Bool { thread.withLock { $0 } == ObjectIdentifier(Thread.current) }

    /// The thread's nice value: `niceValue` if the system allowed it, else 0.
    var nice: Int32 { appliedNice.withLock { $0 } ?? 0 }
}
