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

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await leased { connection in
            try await runTransaction(on: connection.sql(queryLogLevel: nil), begin: "BEGIN", body)
        }
    }

    /// How long a request may wait for a connection. The pool waits for the server without
    /// limit (it reconnects on its own after a restart); a request must instead fail soon and
    /// clearly, so clients retry and nothing piles up while PostgreSQL is down.
    static let leaseTimeout: Duration = .seconds(10)

    private func leased<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let acquired = Flag()
        let client = self.client
        // The group awaits both children before returning, so `body` never outlives this call.
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        acquired.set()
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: Self.leaseTimeout)
                    // Once a connection is held the body runs to its end: never cut a transaction.
                    if acquired.isSet { return nil }
                    throw StorageError.unavailable("no PostgreSQL connection within \(Self.leaseTimeout)")
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw CancellationError()
            }
        }
    }

    func exclusively<T: Sendable>(_ key: Int64, _ body: @Sendable () async throws -> T) async throws -> T? {
        try await leased { connection in
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

    /// Set once, read from another task.
    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
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
