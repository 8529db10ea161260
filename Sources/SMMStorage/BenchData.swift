import SMMDatabase
import SMMDomain
import SQLKit

/// Bulk data for `smmpanel bench`: a catalog, customers and orders, written with a handful of
/// set-based INSERTs (a recursive counter) instead of one transaction per row, so that a
/// database of a million orders is ready in seconds. Never used by the panel itself.
public enum BenchData {
    /// What the bench drives: one customer with a key and funds, and some of its order ids.
    public struct Seeded: Sendable {
        public let apiKey: String
        public let userID: Int64
        /// A Default service accepting quantity 100 (for `add`).
        public let serviceID: Int64
        /// Up to 100 ids of the bench customer's orders (for `status`).
        public let orderIDs: [Int64]
    }

    /// `services` services; `customers` customers in all (the bench customer is the first);
    /// `orders` orders spread evenly over the customers, most of them finished.
    public static func seed(_ store: PanelStore, services: Int, customers: Int, orders: Int) async throws -> Seeded {
        try await store.migrate()
        let (user, key) = try await store.createUser(username: "bench")
        _ = try await store.addFunds(userID: user.id, amount: Money(minorUnits: 1_000_000_000 * Money.unitsPerWhole), memo: "bench funds")
        let service = try await store.createService(ServiceDraft(
            name: "Bench followers", categoryName: "Bench", type: .default, rate: Money(parsing: "0.5")!,
            min: 10, max: 100_000, refill: false, refillDays: 30, cancel: false, dripFeed: false, description: "bench"))
        let now = store.clock.now()
        let counter = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < "
        try await store.backend.transaction { db in
            if services > 1 {
                try await db.raw(Self.sql("""
                    INSERT INTO services (name, category_id, type, rate, min_quantity, max_quantity, refill, refill_days,
                                          cancel, dripfeed, description, sort, created_at, updated_at)
                    \(counter)\(services - 1))
                    SELECT 'Bench service ' || n || ' #' || lower(hex(randomblob(4))), s.category_id, s.type, s.rate + n,
                           s.min_quantity, s.max_quantity, s.refill, s.refill_days, s.cancel, s.dripfeed,
                           'A service of the bench catalog, batch ' || lower(hex(randomblob(4))), n, s.created_at, s.updated_at
                    FROM seq, services s WHERE s.id = \(service.id)
                    """)).run()
            }
            if customers > 1 {
                // Their keys are random hashes: nobody can use them, but the index is full size.
                try await db.raw(Self.sql("""
                    INSERT INTO users (username, balance, created_at)
                    \(counter)\(customers - 1)) SELECT 'customer' || n, 100000000, \(now) FROM seq
                    """)).run()
                try await db.raw(Self.sql("""
                    INSERT INTO api_keys (user_id, key_hash, name, created_at)
                    SELECT id, 'bench-' || id || '-' || \(store.backend.engine == .postgres ? "md5(random()::text)" : "hex(randomblob(16))"),
                           'default', \(now)
                    FROM users WHERE username LIKE 'customer%'
                    """)).run()
            }
        }
        // Orders in chunks of 100,000 per transaction; customer k gets every k-th order.
        let firstUser = user.id
        let chunk = 100_000
        var done = 0
        while done < orders {
            let count = min(chunk, orders - done)
            let offset = done
            try await store.backend.transaction { db in
                try await db.raw(Self.sql("""
                    INSERT INTO orders (user_id, service_id, type, link, quantity, charge, start_count, remains, status,
                                        created_at, updated_at, completed_at)
                    \(counter)\(count))
                    SELECT \(firstUser) + ((n + \(offset) - 1) % \(max(1, customers))), \(service.id), 'Default',
                           'https://bench.test/seed/' || (n + \(offset)), 1000, 500000, 0,
                           CASE WHEN n % 10 = 0 THEN 1000 ELSE 0 END,
                           CASE WHEN n % 10 = 0 THEN 'In progress' WHEN n % 10 = 1 THEN 'Partial' ELSE 'Completed' END,
                           \(now), \(now), NULL
                    FROM seq
                    """)).run()
            }
            done += count
        }
        let ids = try await store.backend.read { db in
            try await db.raw("SELECT id FROM orders WHERE user_id = \(bind: firstUser) ORDER BY id DESC LIMIT 100").all()
                .map { try $0.decode(column: "id", as: Int64.self) }
        }
        return Seeded(apiKey: key, userID: user.id, serviceID: service.id, orderIDs: ids.reversed())
    }

    /// Raw SQL built by this file from numbers it computed (no outside text).
    static func sql(_ text: String) -> SQLQueryString { SQLQueryString(text) }

    /// Rows of the main tables (for the bench's report).
    public static func counts(_ store: PanelStore) async throws -> (orders: Int64, users: Int64, services: Int64) {
        try await store.backend.read { db in
            let row = try await db.raw("""
                SELECT (SELECT COUNT(*) FROM orders) AS o, (SELECT COUNT(*) FROM users) AS u, (SELECT COUNT(*) FROM services) AS s
                """).first()!
            return (try row.decode(column: "o", as: Int64.self), try row.decode(column: "u", as: Int64.self),
                    try row.decode(column: "s", as: Int64.self))
        }
    }

    /// Orders placed with provider `providerID` through `serviceID` (mapped to its upstream
    /// service "1"): `queued` waiting to be sent, `sent` waiting for a status check. Returns
    /// nothing; the engine finds them by their state.
    public static func seedUpstream(_ store: PanelStore, userID: Int64, serviceID: Int64, providerID: Int64,
                                    queued: Int, sent: Int) async throws {
        let now = store.clock.now()
        let counter = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < "
        try await store.backend.transaction { db in
            try await db.raw("""
                INSERT INTO service_upstreams (service_id, provider_id, upstream_service, cost, markup, synced_at)
                VALUES (\(bind: serviceID), \(bind: providerID), '1', 0, NULL, \(bind: now))
                """).run()
        }
        for (state, count) in [("queued", queued), ("sent", sent)] where count > 0 {
            try await store.backend.transaction { db in
                try await db.raw(Self.sql("""
                    INSERT INTO orders (user_id, service_id, type, link, quantity, charge, start_count, remains, status,
                                        created_at, updated_at)
                    \(counter)\(count))
                    SELECT \(userID), \(serviceID), 'Default', 'https://bench.test/\(state)/' || n, 1000, 500000, 0, 1000,
                           \(state == "sent" ? "'In progress'" : "'Pending'"), \(now), \(now)
                    FROM seq
                    """)).run()
                try await db.raw(Self.sql("""
                    INSERT INTO upstream_orders (order_id, provider_id, upstream_service, state, request_id, next_attempt_at,
                                                 upstream_order_id, checked_at, sent_at, created_at, updated_at)
                    SELECT id, \(providerID), '1', '\(state)', 'bench-' || id, 0,
                           \(state == "sent" ? "'' || id" : "NULL"), 0, \(state == "sent" ? "\(now)" : "NULL"), \(now), \(now)
                    FROM orders WHERE link LIKE 'https://bench.test/\(state)/%'
                    """)).run()
            }
        }
    }
}

extension PanelStore {
    /// On SQLite: COMMITs (fsyncs) so far and the transactions they covered (group commit);
    /// nil on PostgreSQL. For the bench.
    public var commitCounts: (commits: Int, transactions: Int)? {
        (backend as? SQLiteBackend)?.commitCounts
    }
}
