import SMMDatabase
import SMMDomain
import SQLKit

/// The repositories of the panel over either database engine. Every method that moves money
/// is one transaction containing the conditional balance update and its ledger row.
public struct PanelStore: Sendable {
    public let backend: any DatabaseBackend
    public let clock: any PanelClock
    /// What this store has changed, for the API's caches.
    public let changes: LocalChanges

    public init(backend: any DatabaseBackend, clock: any PanelClock = SystemClock(), changes: LocalChanges = LocalChanges()) {
        self.backend = backend
        self.clock = clock
        self.changes = changes
    }

    /// Applies missing migrations and makes sure the web's signing key exists (so no visitor's
    /// request ever has to write it). Returns the users the accounts migration renamed, if it
    /// ran now, as `user:ID: old → new` lines for the operator's log.
    @discardableResult
    public func migrate() async throws -> [String] {
        let applied = try await Migrations.migrate(backend, now: clock.now())
        _ = try await webSigningKey()
        guard applied.contains(where: { $0.version == Migrations.accounts.version }) else { return [] }
        return try await backend.read { db in
            try await db.raw("""
                SELECT target, before_state, after_state FROM audit_log WHERE action = 'user.rename' AND actor = 'system' ORDER BY id
                """).all().map { row in
                "\(try row.decode(column: "target", as: String.self)): \(try row.decode(column: "before_state", as: String.self)) → "
                    + (try row.decode(column: "after_state", as: String.self))
            }
        }
    }

    // MARK: Users and keys

    /// Creates a user and its first API key; returns the user and the key (shown once).
    /// `username` as `AccountRules.username` makes it.
    public func createUser(username name: String, passwordHash: String? = nil, isAdmin: Bool = false) async throws -> (User, String) {
        let now = clock.now()
        let backend = self.backend
        do {
            return try await backend.transaction { db -> (User, String) in
                let row = try await db.raw("""
                    INSERT INTO users (username, password_hash, is_admin, created_at)
                    VALUES (\(bind: name), \(bind: passwordHash), \(bind: isAdmin), \(bind: now))
                    RETURNING id
                    """).first()
                let id: UserID = try row!.id("id")
                let key = try await Self.insertKey(db, userID: id, name: "default", now: now).1
                return (User(id: id, username: name, isAdmin: isAdmin, disabled: false, balance: .zero,
                            createdAt: now, passwordHash: passwordHash), key)
            }
        } catch where backend.uniqueViolation(in: error) != nil {
            throw PanelError.rejected(.userExists(name: name))
        }
    }

    /// The user of this name, whatever the case of its ASCII letters (names are unique that way).
    public func user(named username: String) async throws -> User? {
        let column = Self.asciiLower("u.username", backend.engine)
        return try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.user) FROM users u WHERE \(unsafeRaw: column) = \(bind: AccountRules.asciiLowercased(username))
                """).first()?.user()
        }
    }

    /// `column` with its ASCII letters folded to lower case and nothing else changed, alike on
    /// both engines: SQLite's LOWER folds ASCII only; PostgreSQL's follows the database's
    /// locale unless given the C collation. Matches `AccountRules.asciiLowercased` and the index
    /// `users_username_ci`.
    static func asciiLower(_ column: String, _ engine: SQLEngine) -> String {
        engine == .postgres ? "LOWER(\(column) COLLATE \"C\")" : "LOWER(\(column))"
    }

    public func user(id: UserID) async throws -> User? {
        try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.user) FROM users u WHERE u.id = \(bind: id)").first()?.user()
        }
    }

    /// The user's balance as it is now, or nil if there is no such user (the API's `balance`:
    /// a kept key's `User` carries the balance of its read). Only the one column: decoding
    /// the whole user would be most of this call's own work.
    public func balance(userID: UserID) async throws -> Money? {
        try await backend.read { db in
            try await Self.balanceStatement.on(db, .int(userID.rawValue)).first().map { Money(minorUnits: try $0.decode(column: "balance", as: Int64.self)) }
        }
    }

    private static let balanceStatement = SQLStatement("SELECT balance FROM users WHERE id = ?")

    /// The enabled user holding this live key, or nil (unknown, revoked, or user disabled).
    ///
    /// Timing: the key itself is never compared. It is hashed (SHA-256, fixed time for a given
    /// length) and the hash is found through the unique index `api_keys_hash`. The index probe
    /// may take more or less time depending on how many leading characters of the *hash* match
    /// a stored hash, but an attacker who learnt a stored hash that way would still need a
    /// SHA-256 preimage to turn it into a working key (the key has 128 random bits). So what
    /// the timing can leak is useless; no secret is compared byte by byte.
    public func user(apiKey: String) async throws -> User? {
        try await user(apiKeyHash: APIKeys.hash(apiKey))
    }

    /// `user(apiKey:)` for a key already hashed with `APIKeys.hash`.
    public func user(apiKeyHash hash: String) async throws -> User? {
        try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.user) FROM api_keys k JOIN users u ON u.id = k.user_id
                WHERE k.key_hash = \(bind: hash) AND k.revoked_at IS NULL AND u.disabled = FALSE
                """).first()?.user()
        }
    }

    /// Revokes every live key of the user and issues a new one (shown once).
    public func rotateKey(userID: UserID) async throws -> String {
        let now = clock.now()
        return try await transaction(noting: changes.access) { db in
            let revoked = try await db.raw("""
                UPDATE api_keys SET revoked_at = \(bind: now) WHERE user_id = \(bind: userID) AND revoked_at IS NULL RETURNING id
                """).all().map { try $0.id("id") as APIKeyID }
            for id in revoked.sorted() { try await Self.recordKeyRevoked(db, keyID: id, now: now) }
            return try await Self.insertKey(db, userID: userID, name: "default", now: now).1
        }
    }

    public func setUserDisabled(userID: UserID, _ disabled: Bool) async throws {
        try await transaction(noting: changes.access) { db in
            try await db.raw("UPDATE users SET disabled = \(bind: disabled) WHERE id = \(bind: userID)").run()
        }
    }

    // MARK: Funds

    /// Adds money to a balance (a deposit, as `AccountRules.deposit` allows); returns the new
    /// balance.
    public func addFunds(userID: UserID, amount: Money, memo: String) async throws -> Money {
        try await backend.transaction { db in
            try await Ledger.credit(db, userID: userID, amount: amount, kind: .deposit, orderID: nil, memo: memo, now: clock.now())
        }
    }

    /// Takes money from a balance (as `AccountRules.deduction` allows); refuses to go below
    /// zero. Returns the new balance.
    public func deductFunds(userID: UserID, amount: Money, memo: String) async throws -> Money {
        return try await backend.transaction { db in
            try await Ledger.debit(db, userID: userID, amount: amount, kind: .deduction, memo: memo, now: clock.now())
        }
    }
}

/// The only code that changes a balance. Each change is a conditional UPDATE … RETURNING and a
/// ledger row, and must run inside the caller's transaction.
enum Ledger {
    /// `paymentRequestID` names the payment request a deposit settles (unique in the ledger).
    static func credit(_ db: any SQLDatabase, userID: UserID, amount: Money, kind: LedgerKind,
                       orderID: OrderID?, memo: String, now: Int64, paymentRequestID: PaymentRequestID? = nil) async throws -> Money {
        guard let row = try await db.raw("""
            UPDATE users SET balance = balance + \(bind: amount.minorUnits)
            WHERE id = \(bind: userID) AND balance <= \(bind: Money.maximumBalance.minorUnits - amount.minorUnits) RETURNING balance
            """).first() else {
            let exists = try await db.raw("SELECT id FROM users WHERE id = \(bind: userID)").first() != nil
            throw exists ? PanelError.rejected(.balanceLimit(max: Money.maximumBalance)) : StorageError.notFound("user \(userID)")
        }
        let balance = try row.decode(column: "balance", as: Int64.self)
        try await record(db, userID: userID, amount: amount.minorUnits, balanceAfter: balance, kind: kind, orderID: orderID, memo: memo,
                         now: now, paymentRequestID: paymentRequestID)
        return Money(minorUnits: balance)
    }

    /// Fails with `notEnoughFunds` and changes nothing when the balance does not cover `amount`.
    static func debit(_ db: any SQLDatabase, userID: UserID, amount: Money, kind: LedgerKind,
                      memo: String, now: Int64) async throws -> Money {
        let balance = try await take(db, userID: userID, amount: amount)
        try await record(db, userID: userID, amount: -amount.minorUnits, balanceAfter: balance.minorUnits, kind: kind,
                         orderID: nil, memo: memo, now: now)
        return balance
    }

    /// The conditional balance update alone, for a caller that writes the ledger row itself once
    /// it knows the order id (`recordCharge`). Returns the balance after.
    static func take(_ db: any SQLDatabase, userID: UserID, amount: Money) async throws -> Money {
        guard let row = try await takeStatement.on(db, .int(amount.minorUnits), .int(userID.rawValue), .int(amount.minorUnits)).first() else {
            throw PanelError.notEnoughFunds
        }
        return Money(minorUnits: try row.decode(column: "balance", as: Int64.self))
    }

    private static let takeStatement = SQLStatement("UPDATE users SET balance = balance - ? WHERE id = ? AND balance >= ? RETURNING balance")

    /// The ledger row of a charge already taken with `take`.
    static func recordCharge(_ db: any SQLDatabase, userID: UserID, amount: Money, balanceAfter: Money,
                             orderID: OrderID, now: Int64) async throws {
        try await record(db, userID: userID, amount: -amount.minorUnits, balanceAfter: balanceAfter.minorUnits, kind: .charge,
                         orderID: orderID, memo: LedgerMemo.charge(orderID: orderID), now: now)
    }

    private static let recordStatement = SQLStatement("""
        INSERT INTO ledger (user_id, amount, balance_after, kind, order_id, memo, created_at, payment_request_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
        """)

    /// The ledger row and, in the same transaction, its audit row (balance before and after, in
    /// minor units), so the audit can never disagree with the money.
    private static func record(_ db: any SQLDatabase, userID: UserID, amount: Int64, balanceAfter: Int64,
                               kind: LedgerKind, orderID: OrderID?, memo: String, now: Int64, paymentRequestID: PaymentRequestID? = nil) async throws {
        let row = try await recordStatement.on(db, .int(userID.rawValue), .int(amount), .int(balanceAfter), .text(kind.rawValue), .int(orderID?.rawValue),
                                               .text(memo), .int(now), .int(paymentRequestID?.rawValue)).first()
        try await PanelStore.recordAudit(db, actor: AuditActor.current, action: "balance.\(kind.rawValue)", target: "user:\(userID)",
                                         before: String(balanceAfter - amount), after: String(balanceAfter),
                                         ledgerID: try row!.decode(column: "id", as: Int64.self), now: now)
    }
}

extension PanelStore {
    /// On SQLite: COMMITs (fsyncs) so far and the transactions they covered (group commit);
    /// nil on PostgreSQL.
    public var commitCounts: (commits: Int, transactions: Int)? {
        (backend as? SQLiteBackend)?.commitCounts
    }
}
