import Foundation
import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

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
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await runTransaction(on: connection.sql(queryLogLevel: nil), begin: "BEGIN", body)
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

    public var description: String {
        switch self {
        case .badConfiguration(let text): return text
        case .schemaTooNew(let found, let known):
            return "the database schema is at version \(found) but this smmpanel knows only up to \(known); upgrade smmpanel"
        case .notFound(let what): return "\(what) not found"
        }
    }
}
