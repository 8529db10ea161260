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
        var waiting: [EventLoopPromise<Void>] = []
    }
    private let batch = Mutex(Batch())
    /// COMMITs issued, and transactions they covered (for tests and the bench).
    let commits = Mutex((commits: 0, transactions: 0))

    let engine = SQLEngine.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    /// SQLKit views of the connections, made once.
    private let writerDatabase: FastSQLiteDatabase
    private let readerDatabases: [FastSQLiteDatabase]
    private let threads: NIOThreadPool
    private let gate = AsyncGate()
    private let nextReader = Mutex(0)
    private let logger: Logger

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threads: NIOThreadPool, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.writerDatabase = FastSQLiteDatabase(writer)
        self.readerDatabases = readers.map(FastSQLiteDatabase.init)
        self.threads = threads
        self.logger = logger
    }

    static func open(path: String, readers readerCount: Int, logger: Logger) async throws -> SQLiteBackend {
        // SQLite calls block a thread, and a writer waiting for another process's lock sleeps in
        // its busy handler for up to 10 s. On NIO's shared blocking pool (one thread per core)
        // that wait, plus bcrypt or another database's work, starved the lock holder's own
        // statements until the wait timed out. A pool per database, one thread per connection:
        // a waiting connection holds only its own thread.
        let pool = NIOThreadPool(numberOfThreads: max(1, readerCount) + 1)
        pool.start()
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let writer: SQLiteConnection
        do {
            writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop).get()
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                           "PRAGMA busy_timeout=10000"] {
                _ = try await writer.query(pragma).get()
            }
        } catch {
            try? await writer.close().get()
            try? await pool.shutdownGracefully()
            throw error
        }
        var readers: [SQLiteConnection] = []
        do {
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop).get()
                readers.append(reader)
                for pragma in ["PRAGMA busy_timeout=10000", "PRAGMA query_only=1"] {
                    _ = try await reader.query(pragma).get()
                }
            }
        } catch {
            for reader in readers { try? await reader.close().get() }
            try? await writer.close().get()
            try? await pool.shutdownGracefully()
            throw error
        }
        return SQLiteBackend(writer: writer, readers: readers, threads: pool, logger: logger)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let index = nextReader.withLock { value in
            value = (value + 1) % readers.count
            return value
        }
        return try await body(readerDatabases[index])
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let db = writerDatabase
        await gate.acquire()
        // Gate held from here: this task alone uses the writer and `batch`.
        if !batch.withLock({ $0.open }) {
            do {
                try await db.raw("BEGIN IMMEDIATE").run()
            } catch {
                await gate.release()
                throw error
            }
            batch.withLock { $0 = Batch(open: true) }
        }
        batch.withLock { $0.members += 1 }

        // This body, in its own savepoint.
        let outcome: Result<T, any Error>
        do {
            try await db.raw("SAVEPOINT smm_txn").run()
        } catch {
            await abortBatch(db, error)
            throw error
        }
        do {
            let value = try await body(db)
            try await db.raw("RELEASE smm_txn").run()
            outcome = .success(value)
        } catch {
            do {
                try await db.raw("ROLLBACK TO smm_txn").run()
                try await db.raw("RELEASE smm_txn").run()
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
        if await gate.hasWaiters, members < Self.maxBatch {
            switch outcome {
            case .failure(let error):
                await gate.release()
                throw error
            case .success(let value):
                let promise = writer.eventLoop.makePromise(of: Void.self)
                batch.withLock { $0.waiting.append(promise) }
                await gate.release()
                try await promise.futureResult.get()
                return value
            }
        }

        // The batch ends here: one COMMIT (one fsync) for all of it.
        let waiting = batch.withLock { batch -> [EventLoopPromise<Void>] in
            defer { batch = Batch() }
            return batch.waiting
        }
        do {
            try await db.raw("COMMIT").run()
        } catch {
            try? await db.raw("ROLLBACK").run()
            await gate.release()
            for promise in waiting { promise.fail(error) }
            if case .failure(let bodyError) = outcome { throw bodyError }
            throw error
        }
        commits.withLock { $0.commits += 1; $0.transactions += members }
        await gate.release()
        for promise in waiting { promise.succeed() }
        return try outcome.get()
    }

    /// COMMITs (fsyncs) so far and the transactions they covered (the bench prints them).
    var commitCounts: (commits: Int, transactions: Int) { commits.withLock { $0 } }

    /// Transactions queued behind the writer (tests use it to form a batch on purpose).
    func queuedTransactions() async -> Int { await gate.waiting }

    /// Rolls the open batch back and fails everyone waiting for its COMMIT; releases the gate.
    private func abortBatch(_ db: any SQLDatabase, _ error: any Error) async {
        try? await db.raw("ROLLBACK").run()
        let waiting = batch.withLock { batch -> [EventLoopPromise<Void>] in
            defer { batch = Batch() }
            return batch.waiting
        }
        await gate.release()
        for promise in waiting { promise.fail(error) }
    }

    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }

    func uniqueViolation(in error: any Error) -> String? {
        guard let error = error as? SQLiteError else { return nil }
        let text = error.message
        return text.contains("UNIQUE constraint failed") ? text : nil
    }

    /// Closes every connection even if one fails to close; reports the first failure.
    func shutdown() async throws {
        var firstError: (any Error)?
        for connection in readers + [writer] {
            do { try await connection.close().get() } catch { firstError = firstError ?? error }
        }
        do { try await threads.shutdownGracefully() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }
}
