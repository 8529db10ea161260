import Foundation
import Logging
import SMMDatabase
import SQLKit

/// Online copies of a SQLite panel.
///
/// The copy is one consistent snapshot (`SQLiteBackend.copy`): every order with its charge,
/// every balance with its ledger, even while a server keeps writing. It works from a separate
/// process (`smmpanel backup`) next to a live `serve`.
public enum Backup {
    public struct Summary: Sendable {
        public var schemaVersion: Int64
        public var users: Int64
        public var orders: Int64
        public var bytes: Int64
        /// `ledgerProblems` of the copy; empty means its books balance.
        public var ledgerProblems: [String]
    }

    public enum Failure: Error, CustomStringConvertible {
        case postgres
        case destinationExists(String)
        case sourceMissing(String)
        case corruptCopy(String)

        public var description: String {
            switch self {
            case .postgres:
                return "backup copies SQLite panels only; back up PostgreSQL with pg_dump (see docs/operations.md)"
            case .destinationExists(let path): return "\(path) exists already; choose a new file name"
            case .sourceMissing(let path): return "no SQLite panel at \(path)"
            case .corruptCopy(let detail): return "the copy failed its integrity check: \(detail)"
            }
        }
    }

    /// Copies the panel at `location` to a new file at `destination`, then opens the copy and
    /// checks it (SQLite integrity check, ledger check).
    public static func copy(_ location: DatabaseLocation, to destination: String, logger: Logger) async throws -> Summary {
        guard case .sqliteFile(let source) = location else { throw Failure.postgres }
        guard FileManager.default.fileExists(atPath: source) else { throw Failure.sourceMissing(source) }
        // VACUUM INTO refuses an existing non-empty file itself; saying so first is clearer.
        guard !FileManager.default.fileExists(atPath: destination) else { throw Failure.destinationExists(destination) }
        try await SQLiteBackend.copy(from: source, to: destination, logger: logger)
        return try await check(copy: destination, logger: logger)
    }

    /// Opens a copy and reports what it holds and whether it is sound.
    public static func check(copy path: String, logger: Logger) async throws -> Summary {
        let backend = try await SQLiteBackend.open(path: path, readers: 1, logger: logger)
        do {
            let store = PanelStore(backend: backend)
            let summary = try await backend.read { db -> Summary in
                let integrity = try await SQLiteBackend.integrityCheck(db)
                guard integrity == ["ok"] else { throw Failure.corruptCopy(integrity.joined(separator: "; ")) }
                func count(_ table: String) async throws -> Int64 {
                    try await db.raw("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \(unsafeRaw: table)").first()!.decode(column: "n", as: Int64.self)
                }
                return Summary(schemaVersion: try await Migrations.currentVersion(db), users: try await count("users"),
                               orders: try await count("orders"), bytes: 0, ledgerProblems: [])
            }
            var result = summary
            result.ledgerProblems = try await store.ledgerProblems()
            result.bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            try await backend.shutdown()
            return result
        } catch {
            try? await backend.shutdown()
            throw error
        }
    }
}
