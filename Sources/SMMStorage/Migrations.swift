import SMMDatabase
import SQLKit

/// The schema, as an append-only list: a released migration is never edited, a change is a
/// new migration at the end.
///
/// SQL is shared by both engines; `{{pk}}` stands for each engine's auto-increment primary key.
/// Money columns are BIGINT minor units; times are BIGINT Unix seconds.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int64
        public let name: String
        public let statements: [String]
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "core", statements: [
            """
            CREATE TABLE users (
                id {{pk}},
                username TEXT NOT NULL,
                password_hash TEXT,
                is_admin BOOLEAN NOT NULL DEFAULT FALSE,
                disabled BOOLEAN NOT NULL DEFAULT FALSE,
                balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX users_username ON users (username)",
            """
            CREATE TABLE api_keys (
                id {{pk}},
                user_id BIGINT NOT NULL REFERENCES users (id),
                key_hash TEXT NOT NULL,
                name TEXT NOT NULL DEFAULT 'default',
                created_at BIGINT NOT NULL,
                revoked_at BIGINT
            )
            """,
            "CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash)",
            "CREATE INDEX api_keys_user ON api_keys (user_id)",
            """
            CREATE TABLE categories (
                id {{pk}},
                name TEXT NOT NULL,
                sort BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE UNIQUE INDEX categories_name ON categories (name)",
            """
            CREATE TABLE services (
                id {{pk}},
                name TEXT NOT NULL,
                category_id BIGINT NOT NULL REFERENCES categories (id),
                type TEXT NOT NULL,
                rate BIGINT NOT NULL CHECK (rate >= 0),
                min_quantity BIGINT NOT NULL,
                max_quantity BIGINT NOT NULL,
                refill BOOLEAN NOT NULL DEFAULT FALSE,
                refill_days BIGINT NOT NULL DEFAULT 30,
                cancel BOOLEAN NOT NULL DEFAULT FALSE,
                dripfeed BOOLEAN NOT NULL DEFAULT FALSE,
                description TEXT NOT NULL DEFAULT '',
                enabled BOOLEAN NOT NULL DEFAULT TRUE,
                sort BIGINT NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE orders (
                id {{pk}},
                user_id BIGINT NOT NULL REFERENCES users (id),
                service_id BIGINT NOT NULL REFERENCES services (id),
                type TEXT NOT NULL,
                link TEXT NOT NULL DEFAULT '',
                quantity BIGINT NOT NULL,
                charge BIGINT NOT NULL CHECK (charge >= 0),
                start_count BIGINT NOT NULL DEFAULT 0,
                remains BIGINT NOT NULL,
                status TEXT NOT NULL,
                fields TEXT NOT NULL DEFAULT '{}',
                parent_id BIGINT REFERENCES orders (id),
                runs BIGINT,
                interval_minutes BIGINT,
                runs_done BIGINT NOT NULL DEFAULT 0,
                next_run_at BIGINT,
                request_id TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                completed_at BIGINT
            )
            """,
            "CREATE INDEX orders_user ON orders (user_id, id)",
            "CREATE INDEX orders_status ON orders (status, id)",
            "CREATE INDEX orders_parent ON orders (parent_id) WHERE parent_id IS NOT NULL",
            // The one-active-order-per-link rule, enforced by the database itself so that two
            // racing requests cannot both pass the check. Subscriptions hold their username as
            // link. The status list is OrderStatus.activeStatuses (a test keeps them equal).
            """
            CREATE UNIQUE INDEX orders_active_link ON orders (service_id, link)
                WHERE parent_id IS NULL AND link <> '' AND status IN ('Pending', 'In progress', 'Processing', 'Active', 'Paused')
            """,
            "CREATE UNIQUE INDEX orders_request_id ON orders (user_id, request_id) WHERE request_id IS NOT NULL",
            "CREATE INDEX orders_dripfeed_due ON orders (next_run_at) WHERE next_run_at IS NOT NULL",
            """
            CREATE TABLE refills (
                id {{pk}},
                order_id BIGINT NOT NULL REFERENCES orders (id),
                user_id BIGINT NOT NULL REFERENCES users (id),
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX refills_user ON refills (user_id, id)",
            // At most one open refill per order, again enforced by the database.
            "CREATE UNIQUE INDEX refills_one_open ON refills (order_id) WHERE status IN ('Pending', 'In progress')",
            """
            CREATE TABLE ledger (
                id {{pk}},
                user_id BIGINT NOT NULL REFERENCES users (id),
                amount BIGINT NOT NULL,
                balance_after BIGINT NOT NULL,
                kind TEXT NOT NULL,
                order_id BIGINT REFERENCES orders (id),
                memo TEXT NOT NULL DEFAULT '',
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX ledger_user ON ledger (user_id, id)",
            "CREATE INDEX ledger_order ON ledger (order_id) WHERE order_id IS NOT NULL",
            // Each refund happens once per order, ever.
            "CREATE UNIQUE INDEX ledger_one_refund ON ledger (order_id) WHERE kind = 'refund'",
        ]),
        providers,
        web,
        hardening,
        syncOrder,
        accounts,
        providerSafety,
        cancelBackoff,
    ]

    /// The highest version this build knows (not the last in the list: branches append theirs).
    public static var latestVersion: Int64 { all.map(\.version).max() ?? 0 }

    /// `{{now}}` stands for the migration's time; `{{lower:column}}` for `column` with ASCII
    /// letters folded to lower case, the same on both engines (`PanelStore.asciiLower`).
    static func render(_ statement: String, for engine: SQLEngine, now: Int64 = 0) -> String {
        let pk = engine == .postgres ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
        var text = statement.replacingOccurrences(of: "{{pk}}", with: pk).replacingOccurrences(of: "{{now}}", with: String(now))
        while let start = text.range(of: "{{lower:"), let end = text.range(of: "}}", range: start.upperBound..<text.endIndex) {
            text.replaceSubrange(start.lowerBound..<end.upperBound,
                                 with: PanelStore.asciiLower(String(text[start.upperBound..<end.lowerBound]), engine))
        }
        return text
    }

    /// Applies what is missing, in one transaction per migration. Several nodes starting at once
    /// on PostgreSQL take turns on an advisory lock, so each migration runs exactly once.
    /// Refuses to run against a schema newer than this build knows.
    @discardableResult
    public static func migrate(_ backend: any DatabaseBackend, now: Int64) async throws -> [Migration] {
        try await backend.transaction { db in
            // Two nodes creating the table at once collide inside PostgreSQL's catalog even with
            // IF NOT EXISTS; the advisory lock makes them take turns.
            if backend.engine == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(7250010001)").run() }
            try await db.raw("CREATE TABLE IF NOT EXISTS smm_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").run()
        }
        var applied: [Migration] = []
        for migration in all {
            let didApply = try await backend.transaction { db -> Bool in
                if backend.engine == .postgres {
                    try await db.raw("SELECT pg_advisory_xact_lock(7250010001)").run()
                }
                let current = try await currentVersion(db)
                if current > latestVersion { throw StorageError.schemaTooNew(found: current, known: latestVersion) }
                // Applied or not is asked per version, not by comparing with the highest one:
                // versions are reserved per branch, so a database may hold 3 before 2 exists.
                let done = try await db.raw("SELECT version FROM smm_schema WHERE version = \(bind: migration.version)").first() != nil
                guard !done else { return false }
                for statement in migration.statements {
                    try await db.raw(SQLQueryString(render(statement, for: backend.engine, now: now))).run()
                }
                try await db.raw("INSERT INTO smm_schema (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now))").run()
                return true
            }
            if didApply { applied.append(migration) }
        }
        let current = try await backend.read { try await currentVersion($0) }
        if current > latestVersion { throw StorageError.schemaTooNew(found: current, known: latestVersion) }
        return applied
    }

    static func currentVersion(_ db: any SQLDatabase) async throws -> Int64 {
        let row = try await db.raw("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM smm_schema").first()
        return try row?.decode(column: "v", as: Int64.self) ?? 0
    }
}
