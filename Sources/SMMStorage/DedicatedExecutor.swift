import Foundation
import Synchronization

/// A task executor with a thread of its own, for SQLite's writer.
///
/// Why: a write transaction runs its statements one after another behind the single writer,
/// and after each statement its task resumes on an executor. On Swift's shared executor that
/// resumption waited in line behind every other request's work, so the writer — which all
/// writes share — sat idle between statements (profiled under `add`: the writer thread busy
/// ~12 % while adds queued; BENCHMARKS.md). On this thread a write resumes as soon as its
/// statement is done.
final class DedicatedExecutor: TaskExecutor, Sendable {
    private struct Queue: ~Copyable {
        var jobs: [UnownedJob] = []
        var stopped = false
    }

    private let queue = Mutex(Queue())
    /// Signalled when a job is queued or the executor stops.
    private let wakeUp = NSCondition()
    private let name: String

    init(name: String) {
        self.name = name
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        wakeUp.lock()
        queue.withLock { $0.jobs.append(job) }
        wakeUp.signal()
        wakeUp.unlock()
    }

    /// Lets the thread finish once its queue is empty.
    func stop() {
        wakeUp.lock()
        queue.withLock { $0.stopped = true }
        wakeUp.signal()
        wakeUp.unlock()
    }

    private func run() {
        while true {
            wakeUp.lock()
            var batch: [UnownedJob] = []
            var stopped = false
            while true {
                (batch, stopped) = queue.withLock { queue in
                    defer { queue.jobs.removeAll(keepingCapacity: true) }
                    return (queue.jobs, queue.stopped)
                }
                if !batch.isEmpty || stopped { break }
                wakeUp.wait()
            }
            wakeUp.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if stopped && batch.isEmpty { return }
        }
    }
}
