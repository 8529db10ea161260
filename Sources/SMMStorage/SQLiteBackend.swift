import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// SQLite in WAL mode: one writer connection behind an async gate, with `BEGIN IMMEDIATE`
/// transactions, and a few read-only connections that read in parallel with the writer.
///
/// Statements run on the calling thread from kept prepared statements
/// (`DirectSQLiteConnection`, on SQLiteNIO's own SQLite); transactions run on the writer's own
/// queue (`WriterExecutor`). `COMMIT` (fsync) runs on this database's own thread, and so does
/// `BEGIN IMMEDIATE` when another process holds the write lock (it may then wait up to the busy
/// timeout). Reads and transaction bodies therefore hold a thread for as long as their
/// statements run: fine for the panel's indexed statements (microseconds). Reads that may scan
/// (an admin's search through every order's link, reports) go through `scan` instead: a
/// connection and a thread of their own, one at a time, so they hold neither an executor
/// thread nor a connection the API's reads need (a link search over 1,000,000 orders: ~170 ms).
///
/// `synchronous=FULL`: every acknowledged order survives a power cut, not only a crash.
///
/// **Group commit.** One fsync per COMMIT would cap writes at the disk's fsync rate, so
/// transactions queued behind the writer share one: each body runs in its own `SAVEPOINT`
/// inside one `BEGIN IMMEDIATE`, in gate order (one after another, never interleaved). A body
/// that throws is rolled back to its savepoint alone and its error goes to its caller alone. A
/// body that succeeds waits, unacknowledged, until the batch commits; the transaction that finds
/// nobody queued behind it (or fills the batch to `maxBatch`) issues the one `COMMIT`, then
/// acknowledges everyone. If that COMMIT fails, the batch is rolled back and every transaction
/// of it fails. A lone transaction commits at once: no added latency when idle.
final class SQLiteBackend: DatabaseBackend {
    /// Most transactions sharing one COMMIT.
    static let maxBatch = 64

    /// The open batch; touched only by the gate's holder (the Mutex makes that checkable).
    private struct Batch {
        var open = false
        var members = 0
        /// Bodies that succeeded and wait for the COMMIT.
        var waiting: [CheckedContinuation<Void, any Error>] = []
    }
    private let batch = Mutex(Batch())
    /// COMMITs issued, and transactions they covered (for tests and the bench).
    let commits = Mutex((commits: 0, transactions: 0))

    let engine = SQLEngine.sqlite
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
    private let gate = AsyncGate()
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

    static func open(path: String, readers readerCount: Int, logger: Logger) async throws -> SQLiteBackend {
        // Statements run on the caller's thread (`DirectSQLiteConnection`); what can wait long
        // runs here: opening, and the writer's BEGIN (another process may hold the lock: the
        // busy timeout sleeps up to 10 s) and COMMIT (fsync). A pool per database: a wait holds
        // only this database's thread, never the shared executor's.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        do {
            let connections = try await pool.runIfActive { () throws -> [DirectSQLiteConnection] in
                var opened: [DirectSQLiteConnection] = []
                do {
                    let writer = try DirectSQLiteConnection.open(path: path)
                    opened.append(writer)
                    // temp_store=MEMORY: each transaction of a group commit runs in a SAVEPOINT,
                    // whose page copies (the statement journal) otherwise spill to a temporary
                    // file past 64 KiB: `pwrite`s that were 4.5 % of `add` (profiled).
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
            return SQLiteBackend(writer: connections[0], readers: Array(connections.dropFirst().dropLast()), scanner: connections.last!,
                                 threads: pool, scanThread: scanThread, logger: logger)
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(readerDatabase)
    }

    func scan<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(scanDatabase)
    }

    /// `BEGIN IMMEDIATE` here, on the writer's queue, when no other process holds the write lock
    /// (the usual case: a hop to another thread and back cost ~170 µs per batch under load,
    /// profiled); otherwise waiting for the lock (up to the busy timeout) on this database's own
    /// thread, so that the writer's queue stays free meanwhile.
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

    /// Transactions run on the writer's own queue (see `WriterExecutor` for why).
    private let writerExecutor = WriterExecutor(label: "smmpanel.sqlite.writer")

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(writerExecutor) { try await self.batchedTransaction(body) }
    }

    /// Whether the caller runs on the writer's queue (tests: transaction bodies do, reads do not).
    var isOnWriterQueue: Bool { writerExecutor.isCurrent }

    private func batchedTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let db = writerDatabase
        await gate.acquire()
        // Gate held from here: this task alone uses the writer and `batch`.
        if !batch.withLock({ $0.open }) {
            do {
                try await begin()
            } catch {
                gate.release()
                throw error
            }
            batch.withLock { $0 = Batch(open: true) }
        }
        batch.withLock { $0.members += 1 }

        // This body, in its own savepoint.
        let outcome: Result<T, any Error>
        do {
            try await Self.savepoint.on(db).run()
        } catch {
            await abortBatch(db, error)
            throw error
        }
        do {
            let value = try await body(db)
            try await Self.release.on(db).run()
            outcome = .success(value)
        } catch {
            do {
                try await Self.rollbackToSavepoint.on(db).run()
                try await Self.release.on(db).run()
            } catch let rollbackError {
                // The transaction itself is gone or broken (SQLite rolls back the whole
                // transaction on some errors): nothing of the batch can be committed.
                await abortBatch(db, rollbackError)
                throw error
            }
            outcome = .failure(error)
        }

        // Someone queued behind and room left: leave the COMMIT to the batch's last member.
        let members = batch.withLock { $0.members }
        if gate.hasWaiters, members < Self.maxBatch {
            switch outcome {
            case .failure(let error):
                gate.release()
                throw error
            case .success(let value):
                // Queued for the COMMIT before the gate opens, so the batch's last member
                // cannot commit without acknowledging this one.
                try await withCheckedThrowingContinuation { (committed: CheckedContinuation<Void, any Error>) in
                    batch.withLock { $0.waiting.append(committed) }
                    gate.release()
                }
                return value
            }
        }

        // The batch ends here: one COMMIT (one fsync) for all of it.
        let waiting = batch.withLock { batch -> [CheckedContinuation<Void, any Error>] in
            defer { batch = Batch() }
            return batch.waiting
        }
        do {
            try await offThread("COMMIT")
        } catch {
            try? await db.raw("ROLLBACK").run()
            gate.release()
            for waiter in waiting { waiter.resume(throwing: error) }
            if case .failure(let bodyError) = outcome { throw bodyError }
            throw error
        }
        commits.withLock { $0.commits += 1; $0.transactions += members }
        gate.release()
        for waiter in waiting { waiter.resume() }
        return try outcome.get()
    }

    /// COMMITs (fsyncs) so far and the transactions they covered (the bench prints them).
    var commitCounts: (commits: Int, transactions: Int) { commits.withLock { $0 } }

    /// The writer's and readers' statements SQLite had to compile again (see
    /// `DirectSQLiteConnection.recompiledStatements`).
    func recompiledStatements() -> [String: Int] {
        ([writer, scanner] + readers.connections).reduce(into: [:]) { counts, connection in
            counts.merge(connection.recompiledStatements(), uniquingKeysWith: +)
        }
    }

    /// Transactions queued behind the writer (tests use it to form a batch on purpose).
    func queuedTransactions() -> Int { gate.waiting }

    /// Rolls the open batch back and fails everyone waiting for its COMMIT; releases the gate.
    private func abortBatch(_ db: any SQLDatabase, _ error: any Error) async {
        try? await db.raw("ROLLBACK").run()
        let waiting = batch.withLock { batch -> [CheckedContinuation<Void, any Error>] in
            defer { batch = Batch() }
            return batch.waiting
        }
        gate.release()
        for waiter in waiting { waiter.resume(throwing: error) }
    }

    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }

    func uniqueViolation(in error: any Error) -> String? {
        guard let error = error as? SQLiteFailure else { return nil }
        let text = error.message
        return text.contains("UNIQUE constraint failed") ? text : nil
    }

    /// Closes every connection, then stops the thread; reports a failure to stop.
    func shutdown() async throws {
        // The scan thread first: no long read may still be using its connection.
        try? await scanThread.shutdownGracefully()
        readers.close()
        scanner.close()
        writer.close()
        try await threads.shutdownGracefully()
    }
}
