import Logging
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

/// Which SQL engine a backend speaks; the few places where SQL differs ask this.
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// One database, embedded or served: reads, and write transactions that are all-or-nothing.
///
/// Writes that must stand or fall together run inside one `transaction`, so a crash or an error
/// anywhere in the body leaves none of them half-written.
public protocol DatabaseBackend: Sendable {
    var engine: SQLEngine { get }
    /// Runs `body` with a connection for reads (SQLite: one of the read-only connections).
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// A read that may take long: a search through every row of a large table, a report, a
    /// total over 500,000 rows. SQLite runs its statements on a connection and a thread of
    /// their own, so it never holds a thread the API's requests run on (queued behind each
    /// other instead); on PostgreSQL it is an ordinary read (the wait is on the network).
    func scan<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    /// Errors thrown by `body` come out unchanged.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// If `error` is a unique-constraint violation, a text naming the index or its columns.
    func uniqueViolation(in error: any Error) -> String?
    /// Runs `body` only if no other process holds the lock `key` (PostgreSQL: a session
    /// advisory lock, released when `body` ends or the process dies); nil when it is held.
    /// SQLite serves one process, so `body` simply runs.
    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T?
    func shutdown() async throws
}

extension DatabaseBackend {
    /// Appended to a SELECT inside a transaction to lock the rows it reads. SQLite needs no
    /// lock clause: its single writer already excludes every other writer.
    public var forUpdate: String { engine == .postgres ? " FOR UPDATE" : "" }

    /// Appended to the SELECT of a work claim: concurrent claimers on PostgreSQL skip rows
    /// another holds (`of` names the table to lock in a join). SQLite's single writer already
    /// makes a claim exclusive.
    public func skipLocked(of table: String? = nil) -> String {
        guard engine == .postgres else { return "" }
        return table.map { " FOR UPDATE OF \($0) SKIP LOCKED" } ?? " FOR UPDATE SKIP LOCKED"
    }
}

/// `begin` (nil: the caller has begun) … `COMMIT` around `body` on one connection, `ROLLBACK`
/// if anything throws; the body's own error comes out unchanged (so typed errors still match).
func runTransaction<T: Sendable>(on db: any SQLDatabase, begin: String?,
                                 _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
    if let begin { try await db.raw(SQLQueryString(begin)).run() }
    do {
        let result = try await body(db)
        try await db.raw("COMMIT").run()
        return result
    } catch {
        try? await db.raw("ROLLBACK").run()
        throw error
    }
}

/// Where the data lives: a SQLite file or a PostgreSQL server's URL.
public enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(String)
    case postgres(url: String)

    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is a SQLite file path
    /// (`sqlite://` prefix optional).
    public init(_ text: String) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text.hasPrefix("sqlite://") {
            self = .sqliteFile(String(text.dropFirst("sqlite://".count)))
        } else {
            self = .sqliteFile(text)
        }
    }

    /// Opens the backend. The caller must `shutdown()` it.
    public func open(poolSize: Int = 10, logger: Logger) async throws -> any DatabaseBackend {
        switch self {
        case .sqliteFile(let path):
            return try await SQLiteBackend.open(path: path, readers: 4, logger: logger)
        case .postgres(let url):
            let backend = try PostgresBackend(url: url, maxConnections: poolSize, logger: logger)
            // The pool waits for a server indefinitely; an operator must hear soon that there is
            // none (a refused port fails at once; 30 s is for a server slow to accept).
            do {
                try await withDeadline(.seconds(30)) {
                    try await backend.read { try await $0.raw("SELECT 1").run() }
                }
            } catch {
                try? await backend.shutdown()
                throw DatabaseError.badConfiguration("cannot reach PostgreSQL at \(PostgresBackend.redacted(url)): \(error)")
            }
            return backend
        }
    }
}

public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var description: String { "no answer in time" }
}

/// Runs `operation`, or fails with `DeadlineExceeded` after `limit` even if the operation
/// ignores cancellation (it is cancelled, and its result dropped).
public func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let settled = Mutex(false)
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let settle: @Sendable (Result<T, any Error>) -> Void = { result in
            let first = settled.withLock { done in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(with: result) }
        }
        let work = Task {
            do { settle(.success(try await operation())) } catch { settle(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            settle(.failure(DeadlineExceeded()))
            work.cancel()
        }
    }
}

/// Why a database could not be opened or used.
public enum DatabaseError: Error, CustomStringConvertible {
    case badConfiguration(String)
    /// The database cannot be reached right now; retrying later may work.
    case unavailable(String)

    public var description: String {
        switch self {
        case .badConfiguration(let text): return text
        case .unavailable(let why): return "database unavailable: \(why)"
        }
    }
}
