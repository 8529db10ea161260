/// A browser session: who (nil for a guest) and the CSRF token every form must carry.
public struct WebSession: Sendable, Hashable {
    public var userID: UserID?
    public var csrfToken: String
    public var expiresAt: Int64
    /// The signed-in user (enabled), with the language they chose.
    public var user: User?
    public var language: String?

    public init(userID: UserID? = nil, csrfToken: String, expiresAt: Int64, user: User? = nil, language: String? = nil) {
        self.userID = userID
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
        self.user = user
        self.language = language
    }
}

/// One of a customer's API keys as lists show it: never the key, never its hash.
public struct APIKeyInfo: Sendable, Hashable {
    public var id: APIKeyID
    public var userID: UserID
    public var name: String
    /// The key's last four characters, enough to tell keys apart and useless for calling.
    /// Empty for keys issued before the hint existed.
    public var hint: String
    public var createdAt: Int64
    public var revokedAt: Int64?

    public var isLive: Bool { revokedAt == nil }

    public init(id: APIKeyID, userID: UserID, name: String, hint: String, createdAt: Int64, revokedAt: Int64? = nil) {
        self.id = id
        self.userID = userID
        self.name = name
        self.hint = hint
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Limits on named keys.
public enum APIKeyLimits {
    public static let maxNameLength = 64
    /// Live keys per user: enough for one per bot or server, few enough to review.
    public static let maxLiveKeys = 20
}
