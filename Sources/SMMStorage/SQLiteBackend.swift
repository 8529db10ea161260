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
final class SQLiteBackend: DatabaseBackend {
    let engine = SQLEngine.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let threads: NIOThreadPool
    private let gate = AsyncGate()
    private let nextReader = Mutex(0)
    private let logger: Logger

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threads: NIOThreadPool, logger: Logger) {
        self.writer = writer
        self.readers = readers
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
        return try await body(readers[index].sql(queryLogLevel: nil))
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let db = writer.sql(queryLogLevel: nil)
        return try await gate.withGate {
            try await runTransaction(on: db, begin: "BEGIN IMMEDIATE", body)
        }
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
