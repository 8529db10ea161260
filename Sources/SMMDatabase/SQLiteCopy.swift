import Foundation
import Logging
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

extension SQLiteBackend {
    /// Writes a copy of the SQLite database at `source` to a new file at `destination`.
    ///
    /// `VACUUM INTO` reads the source inside one read transaction, so the copy is a consistent
    /// snapshot even while another connection keeps writing; in WAL mode it does not block that
    /// writer. It runs on a connection of its own, so it works from a separate process.
    public static func copy(from source: String, to destination: String, logger: Logger) async throws {
        let connection = try await SQLiteConnection.open(storage: .file(path: source), threadPool: NIOThreadPool.singleton,
                                                         logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()).get()
        do {
            let db = connection.sql(queryLogLevel: nil)
            try await db.raw("PRAGMA busy_timeout=10000").run()
            try await db.raw("VACUUM INTO \(bind: destination)").run()
            try await connection.close().get()
        } catch {
            try? await connection.close().get()
            throw error
        }
    }

    /// SQLite's integrity check of the database `db` reads: `["ok"]` when it is sound, else the
    /// problems it found.
    public static func integrityCheck(_ db: any SQLDatabase) async throws -> [String] {
        try await db.raw("PRAGMA integrity_check").all().map { try $0.decode(column: "integrity_check", as: String.self) }
    }
}
