import Logging
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// SQLite in WAL mode: one writer connection that runs queued transactions in batches, with
/// `BEGIN IMMEDIATE`, and a few read-only connections that read in parallel with the writer.
///
/// Statements run on the calling thread from kept prepared statements
/// (`DirectSQLiteConnection`, on SQLiteNIO's own SQLite); transactions run on the writer's own
/// thread (`WriterExecutor`). `COMMIT` (fsync) runs on this database's own thread, and so does
/// `BEGIN IMMEDIATE` when another process holds the write lock (it may then wait up to the busy
/// timeout). Reads and transaction bodies therefore hold a thread for as long as their
/// statements run: fine for indexed statements (microseconds). Reads that may scan (a text
/// search through every row of a large table, reports) go through `scan` instead: a connection
/// and a thread of their own, one at a time, so they hold neither an executor thread nor a
/// connection the short reads need (a `LIKE` search over 1,000,000 rows: ~170 ms).
///
/// `synchronous=FULL`: every acknowledged transaction survives a power cut, not only a crash.
///
/// **Group commit.** One fsync per COMMIT would cap writes at the disk's fsync rate, so
/// queued transactions share one. A transaction joins the queue at once (no hop); the caller
/// that finds the writer idle runs a batch: `BEGIN IMMEDIATE`, then the queued transactions
/// oldest first — its own first — each in its own `SAVEPOINT`, one after another, taking those
/// that queue meanwhile too, until none is left or the batch holds `maxBatch`; then one
/// `COMMIT`, and everyone is told. A body that throws is rolled back to its savepoint alone and
/// its error goes to its caller alone; one that succeeds is acknowledged only after the COMMIT.
/// If that COMMIT fails, the batch is rolled back and every transaction of it fails. The next
/// queued caller then runs the next batch. A lone transaction commits at once: no added latency
/// when idle. One runner per batch, rather than a gate passed from transaction to transaction,
/// makes fuller batches and no hop between bodies (BENCHMARKS.md).
public final class SQLiteBackend: DatabaseBackend {
    /// Most transactions sharing one COMMIT.
    static let maxBatch = 64

    /// Transactions waiting for the writer, oldest first, and whether a caller is running a
    /// batch of them now.
    private struct WriteQueue {
        var jobs: [any QueuedWrite] = []
        var draining = false
    }
    private let queue = Mutex(WriteQueue())
    /// COMMITs issued, and transactions they covered (for tests and the bench).
    let commits = Mutex((commits: 0, transactions: 0))

    public let engine = SQLEngine.sqlite
    private let writer: DirectSQLiteConnection
    private let readers: SQLiteConnectionSet
    /// SQLKit views of the connections, made once.
    private let writerDatabase: DirectSQLiteDatabase
    private let readerDatabase: DirectSQLiteDatabase
    /// Long reads (`scan`): a read-only connection of their own, its statements on
    /// `scanThread`, one at a time.
    private let scanner: DirectSQLiteConnection
    private let scanDatabase: DirectSQLiteDatabase
    /// Where the writer waits for the file lock and for fsyncs, off the callers' threads.
    private let threads: NIOThreadPool
    /// Where long reads run, off the callers' threads; not `threads`, where a long read would
    /// hold up every COMMIT behind it.
    private let scanThread: NIOThreadPool
    private static let savepoint = SQLStatement("SAVEPOINT smm_txn")
    private static let release = SQLStatement("RELEASE smm_txn")
    private static let rollbackToSavepoint = SQLStatement("ROLLBACK TO smm_txn")

    private init(writer: DirectSQLiteConnection, readers: [DirectSQLiteConnection], scanner: DirectSQLiteConnection,
                 threads: NIOThreadPool, scanThread: NIOThreadPool, logger: Logger) {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        self.writer = writer
        self.readers = SQLiteConnectionSet(readers)
        self.scanner = scanner
        self.writerDatabase = DirectSQLiteDatabase(SQLiteConnectionSet([writer]), logger: logger, eventLoop: loop)
        self.readerDatabase = DirectSQLiteDatabase(self.readers, logger: logger, eventLoop: loop)
        self.scanDatabase = DirectSQLiteDatabase(SQLiteConnectionSet([scanner]), logger: logger, eventLoop: loop, offload: scanThread)
        self.threads = threads
        self.scanThread = scanThread
    }

    public static func open(path: String, readers readerCount: Int, logger: Logger) async throws -> SQLiteBackend {
        // Statements run on the caller's thread (`DirectSQLiteConnection`); what can wait long
        // runs here: opening, and the writer's BEGIN (another process may hold the lock: the
        // busy timeout sleeps up to 10 s) and COMMIT (fsync). A pool per database: a wait holds
        // only this database's thread, never the shared executor's.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        do {
            let connections = try await pool.runIfActive { () throws -> [DirectSQLiteConnection] in
                // This thread COMMITs for the writer: it is part of the writer's serial chain,
                // so it runs ahead of the HTTP threads too (see `WriterExecutor`); best effort.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, WriterExecutor.niceValue)
                var opened: [DirectSQLiteConnection] = []
                do {
                    let writer = try DirectSQLiteConnection.open(path: path)
                    opened.append(writer)
                    // temp_store=MEMORY: each transaction of a group commit runs in a SAVEPOINT,
                    // whose page copies (the statement journal) otherwise spill to a temporary
                    // file past 64 KiB: `pwrite`s on `add`'s path (BENCHMARKS.md).
                    for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                                   "PRAGMA busy_timeout=\(DirectSQLiteConnection.busyTimeoutMilliseconds)", "PRAGMA temp_store=MEMORY"] {
                        try writer.execute(pragma)
                    }
                    // The readers, then the scanner.
                    for _ in 0..<max(1, readerCount) + 1 {
                        let reader = try DirectSQLiteConnection.open(path: path)
                        opened.append(reader)
                        for pragma in ["PRAGMA busy_timeout=\(DirectSQLiteConnection.busyTimeoutMilliseconds)", "PRAGMA query_only=1"] { try reader.execute(pragma) }
                    }
                    return opened
                } catch {
                    for connection in opened { connection.close() }
                    throw error
                }
            }
            let scanThread = NIOThreadPool(numberOfThreads: 1)
            scanThread.start()
            let backend = SQLiteBackend(writer: connections[0], readers: Array(connections.dropFirst().dropLast()), scanner: connections.last!,
                                        threads: pool, scanThread: scanThread, logger: logger)
            if backend.writerExecutor.nice != WriterExecutor.niceValue {
                logger.notice("""
                    the SQLite writer runs at the default priority: allowing nice \(WriterExecutor.niceValue) \
                    (systemd LimitNICE=\(WriterExecutor.niceValue), or CAP_SYS_NICE) lets it run ahead of the HTTP threads
                    """)
            }
            return backend
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(readerDatabase)
    }

    public func scan<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(scanDatabase)
    }

    /// `BEGIN IMMEDIATE` here, on the writer's thread, when no other process holds the write lock
    /// (the usual case: no hop to another thread and back per batch, which is slow under load;
    /// BENCHMARKS.md); otherwise waiting for the lock (up to the busy timeout) on this database's own
    /// thread, so that the writer's thread stays free meanwhile.
    private func begin() async throws {
        do {
            try writer.executeWithoutWaiting("BEGIN IMMEDIATE")
        } catch let failure as SQLiteFailure where failure.isBusy {
            try await offThread("BEGIN IMMEDIATE")
        }
    }

    /// Runs a statement that may wait (lock, fsync) on this database's own thread.
    private func offThread(_ sql: String) async throws {
        let writer = self.writer
        try await threads.runIfActive { try writer.execute(sql) }
    }

    /// Batches run on the writer's own thread (see `WriterExecutor` for why).
    let writerExecutor = WriterExecutor(label: "sqlite-writer")

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let job = WriteJob(body)
        let drainsFirst = queue.withLock { queue -> Bool in
            queue.jobs.append(job)
            if queue.draining { return false }
            queue.draining = true
            return true
        }
        var outcome: WriteOutcome = drainsFirst ? .drain : await job.next()
        while true {
            switch outcome {
            case .committed: return job.takeValue()
            case .failed(let error): throw error
            case .drain:
                // This caller runs the next batch (its own transaction first), on the writer's
                // thread: one hop per batch, none between its transactions.
                await withTaskExecutorPreference(writerExecutor) { await self.runBatch() }
                outcome = await job.next()
            }
        }
    }

    /// Whether the caller runs on the writer's thread (tests: transaction bodies do, reads do not).
    var isOnWriterThread: Bool { writerExecutor.isCurrent }

    /// Runs queued transactions, oldest first, each in its own savepoint of one `BEGIN
    /// IMMEDIATE`, taking those that queue meanwhile too, until none is left or the batch is
    /// full; then the one COMMIT, and everyone is told. Then the next queued caller, if any, is
    /// asked to run the next batch.
    private func runBatch() async {
        defer { handOver() }
        let db = writerDatabase
        do {
            try await begin()
        } catch {
            // Only the oldest is refused; the next batch tries BEGIN again for the rest.
            takeJob()?.finish(.failed(error))
            return
        }
        var succeeded: [any QueuedWrite] = []
        var members = 0
        while members < Self.maxBatch, let job = takeJob() {
            members += 1
            do {
                try await Self.savepoint.on(db).run()
            } catch {
                await abortBatch(db, error, succeeded + [job])
                return
            }
            do {
                try await job.run(db)
                try await Self.release.on(db).run()
                succeeded.append(job)
            } catch {
                do {
                    try await Self.rollbackToSavepoint.on(db).run()
                    try await Self.release.on(db).run()
                } catch let rollbackError {
                    // The transaction itself is gone or broken (SQLite rolls back the whole
                    // transaction on some errors): nothing of the batch can be committed.
                    job.finish(.failed(error))
                    await abortBatch(db, rollbackError, succeeded)
                    return
                }
                job.finish(.failed(error))
            }
        }
        do {
            try await offThread("COMMIT")
        } catch {
            await abortBatch(db, error, succeeded)
            return
        }
        commits.withLock { $0.commits += 1; $0.transactions += members }
        for job in succeeded { job.finish(.committed) }
    }

    /// The oldest queued transaction, taken out of the queue.
    private func takeJob() -> (any QueuedWrite)? {
        queue.withLock { queue in queue.jobs.isEmpty ? nil : queue.jobs.removeFirst() }
    }

    /// Asks the oldest queued caller to run the next batch, or marks the writer idle.
    private func handOver() {
        let next = queue.withLock { queue -> (any QueuedWrite)? in
            guard let first = queue.jobs.first else {
                queue.draining = false
                return nil
            }
            return first
        }
        next?.finish(.drain)
    }

    /// COMMITs (fsyncs) so far and the transactions they covered (the bench prints them).
    public var commitCounts: (commits: Int, transactions: Int) { commits.withLock { $0 } }

    /// The writer's and readers' statements SQLite had to compile again (see
    /// `DirectSQLiteConnection.recompiledStatements`).
    func recompiledStatements() -> [String: Int] {
        ([writer, scanner] + readers.connections).reduce(into: [:]) { counts, connection in
            counts.merge(connection.recompiledStatements(), uniquingKeysWith: +)
        }
    }

    /// Transactions queued and not yet run (tests use it to form a batch on purpose).
    func queuedTransactions() -> Int { queue.withLock { $0.jobs.count } }

    /// Rolls the open batch back and fails the given transactions of it.
    private func abortBatch(_ db: any SQLDatabase, _ error: any Error, _ jobs: [any QueuedWrite]) async {
        try? await db.raw("ROLLBACK").run()
        for job in jobs { job.finish(.failed(error)) }
    }

    public func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }

    public func uniqueViolation(in error: any Error) -> String? {
        guard let error = error as? SQLiteFailure else { return nil }
        let text = error.message
        return text.contains("UNIQUE constraint failed") ? text : nil
    }

    /// Closes every connection, then stops the thread; reports a failure to stop.
    public func shutdown() async throws {
        // The scan thread first: no long read may still be using its connection.
        try? await scanThread.shutdownGracefully()
        readers.close()
        scanner.close()
        writer.close()
        writerExecutor.stop()
        try await threads.shutdownGracefully()
    }
}

/// What a queued transaction's caller is told.
enum WriteOutcome: Sendable {
    /// Committed: its value can be taken.
    case committed
    case failed(any Error)
    /// Run the next batch (the writer is this caller's until it hands over).
    case drain
}

/// A transaction queued for the SQLite writer, whatever its value's type.
protocol QueuedWrite: AnyObject, Sendable {
    /// Runs the body inside the open transaction; keeps its value until the caller takes it.
    func run(_ db: any SQLDatabase) async throws
    /// Tells the caller (now, or when it next asks).
    func finish(_ outcome: WriteOutcome)
}

final class WriteJob<T: Sendable>: QueuedWrite {
    private struct State {
        var value: T?
        var outcome: WriteOutcome?
        var waiter: CheckedContinuation<WriteOutcome, Never>?
    }
    private let body: @Sendable (any SQLDatabase) async throws -> T
    private let state = Mutex(State())

    init(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) { self.body = body }

    func run(_ db: any SQLDatabase) async throws {
        let value = try await body(db)
        state.withLock { $0.value = value }
    }

    func finish(_ outcome: WriteOutcome) {
        let waiter = state.withLock { state -> CheckedContinuation<WriteOutcome, Never>? in
            guard let waiter = state.waiter else {
                state.outcome = outcome
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: outcome)
    }

    /// The next outcome: one already given, or the next one given.
    func next() async -> WriteOutcome {
        await withCheckedContinuation { (waiter: CheckedContinuation<WriteOutcome, Never>) in
            let ready = state.withLock { state -> WriteOutcome? in
                if let outcome = state.outcome {
                    state.outcome = nil
                    return outcome
                }
                state.waiter = waiter
                return nil
            }
            if let ready { waiter.resume(returning: ready) }
        }
    }

    func takeValue() -> T { state.withLock { $0.value! } }
}
