import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// PostgreSQL through a `PostgresClient` pool. Transactions are plain `BEGIN … COMMIT` on one
/// leased connection at READ COMMITTED: balance changes are conditional
/// `UPDATE … WHERE balance >= x`, which is exact at that level, and rows a decision depends on
/// are read `FOR UPDATE`.
final class PostgresBackend: DatabaseBackend {
    let engine = SQLEngine.postgres
    private let client: PostgresClient
    /// The client's connection pool only works while `run()` runs; the backend owns that task
    /// so every command (CLI, tests, server) gets a working pool the same way.
    private let runTask: Task<Void, Never>

    init(url: String, maxConnections: Int, logger: Logger) throws {
        var configuration = try PostgresBackend.configuration(from: url)
        configuration.options.maximumConnections = max(1, maxConnections)
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    /// Reads `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    static func configuration(from text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw StorageError.badConfiguration("cannot read the PostgreSQL URL (postgres://user:pass@host:port/db)")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let mode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw StorageError.badConfiguration("unknown sslmode \(mode)")
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432,
            // URLComponents has already percent-decoded these.
            username: url.user ?? "postgres",
            password: url.password,
            database: database.isEmpty ? nil : database, tls: tls)
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text) else { return "the configured URL" }
        if url.password != nil { url.password = "***" }
        return url.string ?? "the configured URL"
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    func scan<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { connection in
            try await runTransaction(on: connection.sql(queryLogLevel: nil), begin: "BEGIN", body)
        }
    }

    /// How long a request may wait for a connection. The pool waits for the server without
    /// limit (it reconnects on its own after a restart); a request must instead fail soon and
    /// clearly, so clients retry and nothing piles up while PostgreSQL is down.
    static let leaseTimeout: Duration = .seconds(30)
    /// How long a database call may take once it holds a connection. A query in flight while
    /// the server restarted was seen never to complete; the caller is answered (the outcome
    /// is unknown, so API clients retry with their `request_id`) and the call is cancelled.
    static let callTimeout: Duration = .seconds(30)

    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = self.client
        let outcome = Outcome<T>()
        let work = Task {
            do {
                let value = try await client.withConnection { connection in
                    // The watchdog may have answered already: then the body must not run (it
                    // could commit what the caller was told failed).
                    guard outcome.acquired() else { throw CancellationError() }
                    return try await body(connection)
                }
                outcome.finish(.success(value))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: Self.leaseTimeout)
            if outcome.finishUnlessConnected(.failure(StorageError.unavailable("no PostgreSQL connection within \(Self.leaseTimeout)"))) {
                work.cancel()
                return
            }
            try await Task.sleep(for: Self.callTimeout)
            outcome.finish(.failure(StorageError.unavailable("no answer from PostgreSQL within \(Self.callTimeout)")))
            work.cancel()
        }
        defer { watchdog.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }

    /// The first result of a call or its watchdog, handed to whoever waits.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var result: Result<T, any Error>?
            var waiter: CheckedContinuation<T, any Error>?
            var hasConnection = false
        }
        private let state = Mutex(State())

        /// Marks the connection as held; false if the call was already answered.
        func acquired() -> Bool {
            state.withLock { state in
                guard state.result == nil else { return false }
                state.hasConnection = true
                return true
            }
        }
        var hasConnection: Bool { state.withLock { $0.hasConnection } }

        /// Answers with `result` only if no connection is held yet (atomically with `acquired`).
        func finishUnlessConnected(_ result: Result<T, any Error>) -> Bool {
            let (answered, waiter): (Bool, CheckedContinuation<T, any Error>?) = state.withLock { state in
                guard !state.hasConnection, state.result == nil else { return (false, nil) }
                state.result = result
                defer { state.waiter = nil }
                return (true, state.waiter)
            }
            waiter?.resume(with: result)
            return answered
        }

        func finish(_ result: Result<T, any Error>) {
            let waiter: CheckedContinuation<T, any Error>? = state.withLock { state in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: result)
        }

        func value() async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<T, any Error>? = state.withLock { state in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }

    /// Holds one pooled connection for the whole job (the lock lives in its session), outside
    /// the call watchdog: a periodic job may legitimately take minutes. Workers therefore need
    /// a pool of at least two connections.
    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await client.withConnection { connection in
            let db = connection.sql(queryLogLevel: nil)
            let row = try await db.raw("SELECT pg_try_advisory_lock(\(bind: key)) AS locked").first()
            guard try row?.decode(column: "locked", as: Bool.self) == true else { return nil }
            do {
                let result = try await body()
                _ = try? await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                return result
            } catch {
                _ = try? await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                throw error
            }
        }
    }


    func uniqueViolation(in error: any Error) -> String? {
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" else { return nil }
        return error.serverInfo?[.constraintName] ?? "unique"
    }

    func shutdown() async throws {
        runTask.cancel()
        await runTask.value
    }
}

public enum StorageError: Error, CustomStringConvertible {
    case badConfiguration(String)
    case schemaTooNew(found: Int64, known: Int64)
    case notFound(String)
    /// The database cannot be reached right now; retrying later may work.
    case unavailable(String)

    public var description: String {
        switch self {
        case .badConfiguration(let text): return text
        case .schemaTooNew(let found, let known):
            return "the database schema is at version \(found) but this smmpanel knows only up to \(known); upgrade smmpanel"
        case .notFound(let what): return "\(what) not found"
        case .unavailable(let why): return "database unavailable: \(why)"
        }
    }
}
