import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    /// Issues a new named key for the user; returns it with its plaintext, which is shown once
    /// and stored only as a SHA-256 hash.
    /// `name` as `AccountRules.keyName` makes it; refused when the user has `maxLive` keys.
    public func createKey(userID: UserID, name: String, maxLive: Int64) async throws -> (APIKeyInfo, String) {
        let now = clock.now()
        return try await backend.transaction { db in
            // Lock the user row so two concurrent creations cannot both pass the count.
            guard try await db.raw("SELECT id FROM users WHERE id = \(bind: userID)\(unsafeRaw: backend.forUpdate)").first() != nil else {
                throw StorageError.notFound("user \(userID)")
            }
            let live = try await db.raw("""
                SELECT CAST(COUNT(*) AS BIGINT) AS n FROM api_keys WHERE user_id = \(bind: userID) AND revoked_at IS NULL
                """).first()!.decode(column: "n", as: Int64.self)
            guard live < maxLive else {
                throw PanelError.rejected(.tooManyKeys(max: Int(clamping: maxLive)))
            }
            return try await Self.insertKey(db, userID: userID, name: name, now: now)
        }
    }

    /// The user's keys, live and revoked, oldest first.
    public func keys(userID: UserID) async throws -> [APIKeyInfo] {
        try await backend.read { db in
            try await db.raw("""
                SELECT id, user_id, name, hint, created_at, revoked_at FROM api_keys WHERE user_id = \(bind: userID) ORDER BY id
                """).all().map(Self.keyInfo)
        }
    }

    /// Revokes one of the user's keys; from then on it answers `Invalid API key`. A key of
    /// another user is not found, exactly like a key that does not exist.
    @discardableResult
    public func revokeKey(userID: UserID, keyID: APIKeyID) async throws -> APIKeyInfo {
        let now = clock.now()
        return try await transaction(noting: changes.access) { db in
            guard let row = try await db.raw("""
                UPDATE api_keys SET revoked_at = \(bind: now)
                WHERE id = \(bind: keyID) AND user_id = \(bind: userID) AND revoked_at IS NULL
                RETURNING id, user_id, name, hint, created_at, revoked_at
                """).first() else {
                throw PanelError.rejected(.noLiveKey(userID: userID, keyID: keyID))
            }
            try await Self.recordKeyRevoked(db, keyID: keyID, now: now)
            return try Self.keyInfo(row)
        }
    }

    /// Inserts a fresh key with its audit row, inside the caller's transaction.
    static func insertKey(_ db: any SQLDatabase, userID: UserID, name: String, now: Int64) async throws -> (APIKeyInfo, String) {
        let key = APIKeys.generate()
        let row = try await db.raw("""
            INSERT INTO api_keys (user_id, key_hash, name, hint, created_at)
            VALUES (\(bind: userID), \(bind: APIKeys.hash(key)), \(bind: name), \(bind: APIKeys.hint(key)), \(bind: now))
            RETURNING id, user_id, name, hint, created_at, revoked_at
            """).first()
        let info = try keyInfo(row!)
        try await recordAudit(db, actor: AuditActor.current, action: "key.create", target: "key:\(info.id)",
                              before: nil, after: "user:\(userID) name:\(name) hint:\(info.hint)", now: now)
        return (info, key)
    }

    static func recordKeyRevoked(_ db: any SQLDatabase, keyID: APIKeyID, now: Int64) async throws {
        try await recordAudit(db, actor: AuditActor.current, action: "key.revoke", target: "key:\(keyID)",
                              before: "live", after: "revoked", now: now)
    }

    static func keyInfo(_ row: any SQLRow) throws -> APIKeyInfo {
        APIKeyInfo(id: try row.id("id"),
                   userID: try row.id("user_id"),
                   name: try row.decode(column: "name", as: String.self),
                   hint: try row.decode(column: "hint", as: String.self),
                   createdAt: try row.decode(column: "created_at", as: Int64.self),
                   revokedAt: try row.decode(column: "revoked_at", as: Int64?.self))
    }
}
