import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    // MARK: Sessions

    /// Creates a session and returns its token (for the cookie; only its hash is stored).
    public func createSession(userID: UserID?, lifetime: Int64) async throws -> (token: String, session: WebSession) {
        let token = APIKeys.generate() + APIKeys.generate()
        let csrf = APIKeys.generate() + APIKeys.generate()
        let now = clock.now()
        try await backend.transaction { db in
            // Expired sessions go away as new ones arrive: no separate sweeper needed.
            try await db.raw("DELETE FROM web_sessions WHERE expires_at < \(bind: now)").run()
            try await db.raw("""
                INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, expires_at)
                VALUES (\(bind: APIKeys.hash(token)), \(bind: userID), \(bind: csrf), \(bind: now), \(bind: now + lifetime))
                """).run()
        }
        return (token, WebSession(userID: userID, csrfToken: csrf, expiresAt: now + lifetime))
    }

    /// The live session of this token. A session of a disabled or deleted user is no session.
    public func session(token: String) async throws -> WebSession? {
        let now = clock.now()
        return try await backend.read { db in
            guard let row = try await db.raw("""
                SELECT s.user_id AS session_user, s.csrf_token, s.expires_at FROM web_sessions s
                WHERE s.token_hash = \(bind: APIKeys.hash(token)) AND s.expires_at >= \(bind: now)
                """).first() else { return nil }
            var session = WebSession(userID: try row.optionalID("session_user"),
                                     csrfToken: try row.decode(column: "csrf_token", as: String.self),
                                     expiresAt: try row.decode(column: "expires_at", as: Int64.self))
            if let userID = session.userID {
                guard let userRow = try await db.raw("""
                    SELECT \(unsafeRaw: Columns.user), u.language FROM users u WHERE u.id = \(bind: userID) AND u.disabled = FALSE
                    """).first() else { return nil }
                session.user = try userRow.user()
                session.language = try userRow.decode(column: "language", as: String.self)
            }
            return session
        }
    }

    public func deleteSession(token: String) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM web_sessions WHERE token_hash = \(bind: APIKeys.hash(token))").run()
        }
    }

    // MARK: Attempt limits (logins, sign-ups)

    /// At most `maximum` attempts under `key` within the last `window` seconds.
    public struct AttemptLimit: Sendable, Hashable {
        public var key: String
        public var maximum: Int
        public var window: Int64

        public init(key: String, maximum: Int, window: Int64) {
            self.key = key
            self.maximum = maximum
            self.window = window
        }
    }

    /// Records one attempt under every limit's key, unless one of them already holds its
    /// maximum: then it records nothing and returns nil. Counting and recording are one
    /// transaction, and on PostgreSQL the keys' advisory locks are taken first (always in the
    /// same order), so parallel attempts are counted one after another, as SQLite's single
    /// writer does anyway: of 40 parallel attempts under a limit of 5, exactly 5 pass.
    /// Returns the ids of the rows written (for `forgetAttempts`).
    public func recordAttempt(_ limits: [AttemptLimit]) async throws -> [Int64]? {
        let now = clock.now()
        let backend = self.backend
        return try await backend.transaction { db -> [Int64]? in
            if backend.engine == .postgres {
                for lock in Set(limits.map { Self.lockKey("attempt:" + $0.key) }).sorted() {
                    try await db.raw("SELECT pg_advisory_xact_lock(\(bind: lock))").run()
                }
            }
            // Old rows go a few at a time as new ones come; rows another transaction holds are
            // left for later rather than waited for.
            try await db.raw("""
                DELETE FROM web_attempts WHERE id IN (SELECT id FROM web_attempts WHERE expires_at < \(bind: now)
                ORDER BY expires_at LIMIT 100\(unsafeRaw: backend.skipLocked()))
                """).run()
            for limit in limits {
                let count = try await db.raw("""
                    SELECT CAST(COUNT(*) AS BIGINT) AS n FROM web_attempts
                    WHERE attempt_key = \(bind: limit.key) AND created_at > \(bind: now - limit.window)
                    """).first()?.decode(column: "n", as: Int64.self) ?? 0
                if count >= Int64(limit.maximum) { return nil }
            }
            var ids: [Int64] = []
            for limit in limits {
                let row = try await db.raw("""
                    INSERT INTO web_attempts (attempt_key, created_at, expires_at)
                    VALUES (\(bind: limit.key), \(bind: now), \(bind: now + limit.window)) RETURNING id
                    """).first()
                ids.append(try row!.decode(column: "id", as: Int64.self))
            }
            return ids
        }
    }

    /// Removes the rows `ids` (an attempt that turned out fine) and every attempt under
    /// `clearing` (a successful login clears its own IP and username's failures).
    public func forgetAttempts(ids: [Int64], clearing key: String? = nil) async throws {
        guard !ids.isEmpty || key != nil else { return }
        try await backend.transaction { db in
            if !ids.isEmpty { try await db.raw("DELETE FROM web_attempts WHERE id IN (\(binds: ids))").run() }
            if let key { try await db.raw("DELETE FROM web_attempts WHERE attempt_key = \(bind: key)").run() }
        }
    }

    // MARK: Panel settings

    /// A setting the operator changes while the panel runs (shared by every node).
    public func setting(_ name: String) async throws -> String? {
        try await backend.read { db in
            try await db.raw("SELECT value FROM panel_settings WHERE name = \(bind: name)").first()?.decode(column: "value", as: String.self)
        }
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await backend.transaction { db in
            try await db.raw("""
                INSERT INTO panel_settings (name, value) VALUES (\(bind: name), \(bind: value))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """).run()
        }
    }

    /// Whether visitors may sign up (`smmpanel serve --signup`, or the admin console); open
    /// unless closed.
    public func signupOpen() async throws -> Bool { try await setting("signup") != "closed" }

    public func setSignupOpen(_ open: Bool) async throws { try await setSetting("signup", open ? "open" : "closed") }

    /// The key that signs guests' cookies: 64 random hex digits (256 bits), made once by
    /// whichever node asks first and then the same for every node of this database (a cookie
    /// signed by one node is good on all). Never shown; deleting the row and restarting every
    /// node replaces it.
    public func webSigningKey() async throws -> String {
        if let stored = try await setting("web_signing_key"), stored.utf8.count == 64 { return stored }
        let fresh = APIKeys.generate() + APIKeys.generate()
        try await backend.transaction { db in
            try await db.raw("""
                INSERT INTO panel_settings (name, value) VALUES ('web_signing_key', \(bind: fresh)) ON CONFLICT (name) DO NOTHING
                """).run()
        }
        guard let stored = try await setting("web_signing_key"), stored.utf8.count == 64 else {
            throw StorageError.notFound("web signing key")
        }
        return stored
    }

    // MARK: Account settings

    /// Sets the web password and signs the user out everywhere else (a changed password must
    /// end a stolen session). `keepSession` is the token of the session that made the change.
    public func setPassword(userID: UserID, hash: String, keepSession: String? = nil) async throws {
        try await backend.transaction { db in
            guard try await db.raw("UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID) RETURNING id").first() != nil else {
                throw StorageError.notFound("user \(userID)")
            }
            try await db.raw("""
                DELETE FROM web_sessions WHERE user_id = \(bind: userID) AND token_hash <> \(bind: keepSession.map(APIKeys.hash) ?? "")
                """).run()
        }
    }

    public func setLanguage(userID: UserID, _ language: String) async throws {
        try await backend.transaction { db in
            try await db.raw("UPDATE users SET language = \(bind: language) WHERE id = \(bind: userID)").run()
        }
    }

    public func setAdmin(userID: UserID, _ isAdmin: Bool) async throws {
        try await backend.transaction { db in
            try await db.raw("UPDATE users SET is_admin = \(bind: isAdmin) WHERE id = \(bind: userID)").run()
        }
    }

    // MARK: Lists for the web pages

    public func searchUsers(_ text: String, limit: Int = 100) async throws -> [User] {
        let pattern = "%" + Self.likeEscaped(text.trimmingSpaces().lowercased()) + "%"
        return try await backend.scan { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.user) FROM users u WHERE LOWER(u.username) LIKE \(bind: pattern) ESCAPE '\\'
                ORDER BY u.id DESC LIMIT \(bind: Int64(limit))
                """).all().map { try $0.user() }
        }
    }

    public struct OrderSearch: Sendable {
        public var userID: UserID?
        public var status: OrderStatus?
        public var serviceID: ServiceID?
        /// Only orders sent (or to be sent) to this provider.
        public var providerID: ProviderID?
        /// An order id, or a part of the link.
        public var text: String
        /// Top-level orders only (drip-feed runs show under their parent).
        public var topLevelOnly: Bool
        public var offset: Int
        public var limit: Int

        public init(userID: UserID? = nil, status: OrderStatus? = nil, serviceID: ServiceID? = nil, text: String = "",
                    topLevelOnly: Bool = true, offset: Int = 0, limit: Int = 25, providerID: ProviderID? = nil) {
            self.userID = userID
            self.providerID = providerID
            self.status = status
            self.serviceID = serviceID
            self.text = text
            self.topLevelOnly = topLevelOnly
            self.offset = offset
            self.limit = limit
        }
    }

    /// A page of orders, newest first, and whether another page follows.
    public func searchOrders(_ search: OrderSearch) async throws -> (orders: [Order], more: Bool) {
        let text = search.text.trimmingSpaces()
        let rows = try await backend.scan { db in
            var query: SQLQueryString = "SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE 1 = 1"
            if let userID = search.userID { query += " AND o.user_id = \(bind: userID)" }
            if let status = search.status { query += " AND o.status = \(bind: status.rawValue)" }
            if let serviceID = search.serviceID { query += " AND o.service_id = \(bind: serviceID)" }
            if let providerID = search.providerID {
                query += " AND o.id IN (SELECT order_id FROM upstream_orders WHERE provider_id = \(bind: providerID))"
            }
            if search.topLevelOnly { query += " AND o.parent_id IS NULL" }
            if !text.isEmpty {
                let pattern = "%" + Self.likeEscaped(text) + "%"
                if let id = IDList.parseNumber(text) {
                    query += " AND (o.id = \(bind: id) OR o.link LIKE \(bind: pattern) ESCAPE '\\')"
                } else {
                    query += " AND o.link LIKE \(bind: pattern) ESCAPE '\\'"
                }
            }
            query += " ORDER BY o.id DESC LIMIT \(bind: Int64(search.limit + 1)) OFFSET \(bind: Int64(max(0, search.offset)))"
            return try await db.raw(query).all().map { try $0.order() }
        }
        return (Array(rows.prefix(search.limit)), rows.count > search.limit)
    }

    /// Ids among `orderIDs` that have a refill open (it blocks another one).
    public func ordersWithOpenRefill(_ orderIDs: [OrderID]) async throws -> Set<OrderID> {
        guard !orderIDs.isEmpty else { return [] }
        return try await backend.read { db in
            Set(try await db.raw("""
                SELECT order_id FROM refills WHERE order_id IN (\(binds: orderIDs))
                AND status IN (\(binds: RefillStatus.openStatuses.map(\.rawValue)))
                """).all().map { try $0.id("order_id") })
        }
    }

    public func ledgerEntries(userID: UserID? = nil, limit: Int = 100) async throws -> [LedgerEntry] {
        try await backend.read { db in
            var query: SQLQueryString = """
                SELECT l.id, l.user_id, u.username, l.amount, l.balance_after, l.kind, l.order_id, l.memo, l.created_at
                FROM ledger l JOIN users u ON u.id = l.user_id WHERE 1 = 1
                """
            if let userID { query += " AND l.user_id = \(bind: userID)" }
            query += " ORDER BY l.id DESC LIMIT \(bind: Int64(limit))"
            return try await db.raw(query).all().map { row in
                LedgerEntry(id: try row.id("id"),
                            userID: try row.id("user_id"),
                            username: try row.decode(column: "username", as: String.self),
                            amount: Money(minorUnits: try row.decode(column: "amount", as: Int64.self)),
                            balanceAfter: Money(minorUnits: try row.decode(column: "balance_after", as: Int64.self)),
                            kind: try row.decode(column: "kind", as: String.self),
                            orderID: try row.optionalID("order_id"),
                            memo: try row.decode(column: "memo", as: String.self),
                            createdAt: try row.decode(column: "created_at", as: Int64.self))
            }
        }
    }

    /// What the user's orders cost them in total (after refunds).
    public func totalSpent(userID: UserID) async throws -> Money {
        try await backend.scan { db in
            let row = try await db.raw("""
                SELECT CAST(COALESCE(SUM(charge), 0) AS BIGINT) AS total FROM orders WHERE user_id = \(bind: userID) AND parent_id IS NULL
                """).first()
            return Money(minorUnits: try row?.decode(column: "total", as: Int64.self) ?? 0)
        }
    }

    public struct AdminStats: Sendable, Hashable {
        public var ordersToday: Int64
        public var revenueToday: Money
        public var activeOrders: Int64
        public var pendingPayments: Int64
    }

    /// Today's orders and their revenue (charges kept, after refunds), counted from `dayStart`.
    public func adminStats(dayStart: Int64) async throws -> AdminStats {
        try await backend.scan { db in
            let today = try await db.raw("""
                SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(charge), 0) AS BIGINT) AS revenue
                FROM orders WHERE parent_id IS NULL AND created_at >= \(bind: dayStart)
                """).first()
            let active = try await db.raw("""
                SELECT CAST(COUNT(*) AS BIGINT) AS n FROM orders WHERE parent_id IS NULL AND status IN (\(binds: Self.activeStatusList))
                """).first()
            let payments = try await db.raw("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM payment_requests WHERE status = \(state: PaymentStatus.pending)").first()
            return AdminStats(ordersToday: try today?.decode(column: "n", as: Int64.self) ?? 0,
                              revenueToday: Money(minorUnits: try today?.decode(column: "revenue", as: Int64.self) ?? 0),
                              activeOrders: try active?.decode(column: "n", as: Int64.self) ?? 0,
                              pendingPayments: try payments?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }

    /// Orders still open whose status has not changed since `before`: someone must look.
    public func staleOrders(before: Int64, limit: Int = 20) async throws -> [Order] {
        try await backend.scan { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.order) FROM orders o
                WHERE o.status IN (\(states: [OrderStatus.pending, .processing, .inProgress])) AND o.updated_at < \(bind: before)
                ORDER BY o.updated_at LIMIT \(bind: Int64(limit))
                """).all().map { try $0.order() }
        }
    }

    /// Renames or reorders a category; `name` as `CatalogRules.categoryName` makes it.
    public func updateCategory(id: CategoryID, name clean: String, sort: Int64) async throws {
        do {
            let found = try await transaction(noting: changes.catalog) { db in
                try await db.raw("UPDATE categories SET name = \(bind: clean), sort = \(bind: sort) WHERE id = \(bind: id) RETURNING id").first() != nil
            }
            guard found else { throw PanelError.rejected(.noCategory(id: id)) }
        } catch where backend.uniqueViolation(in: error) != nil {
            throw PanelError.rejected(.categoryExists(name: clean))
        }
    }

    /// Usernames by id, for lists that show whose row it is.
    public func usernames(ids: [UserID]) async throws -> [UserID: String] {
        guard !ids.isEmpty else { return [:] }
        let pairs = try await backend.read { db in
            try await db.raw("SELECT id, username FROM users WHERE id IN (\(binds: Array(Set(ids))))").all().map {
                (try $0.id("id") as UserID, try $0.decode(column: "username", as: String.self))
            }
        }
        return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    /// `%` and `_` typed by a user are searched for, not wildcards.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
