import SMMDatabase
import SQLKit

extension PanelStore {
    /// Runs a periodic job at most once per `interval` seconds across every process sharing
    /// the database: one process at a time holds the job's lock (on PostgreSQL an advisory
    /// lock, freed if that process dies, so another takes over), and the last run's time is
    /// kept in the database. Returns whether the job ran.
    @discardableResult
    public func runPeriodic(_ name: String, every interval: Int64, _ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let backend = self.backend
        let clock = self.clock
        return try await backend.exclusively(Self.lockKey(name)) {
            let now = clock.now()
            let last = try await backend.read { db in
                try await db.raw("SELECT last_run_at FROM periodic_jobs WHERE name = \(bind: name)").first()?
                    .decode(column: "last_run_at", as: Int64.self)
            }
            if let last, now - last < interval { return false }
            try await body()
            try await backend.transaction { db in
                try await db.raw("DELETE FROM periodic_jobs WHERE name = \(bind: name)").run()
                try await db.raw("INSERT INTO periodic_jobs (name, last_run_at) VALUES (\(bind: name), \(bind: now))").run()
            }
            return true
        } ?? false
    }

    /// A stable advisory-lock key per job name (FNV-1a), in a range apart from the migration lock.
    static func lockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int64(bitPattern: (hash & 0x0000_FFFF_FFFF_FFFF) | 0x0072_0000_0000_0000)
    }
}
