import SMMDomain
import SMMStorage

/// Accounts, their settings and their API keys.
public struct AccountService: Sendable {
    let repository: any AccountRepository

    public init(repository: any AccountRepository) {
        self.repository = repository
    }

    /// A new user and its first API key (shown once). `passwordHash` is for the web panel.
    public func createUser(username: String, passwordHash: String? = nil, isAdmin: Bool = false) async throws -> (User, String) {
        try await repository.createUser(username: try AccountRules.username(username), passwordHash: passwordHash, isAdmin: isAdmin)
    }

    /// Sets the web password and signs the user out everywhere but `keepSession`.
    public func setPassword(userID: UserID, hash: String, keepSession: String? = nil) async throws {
        try await repository.setPassword(userID: userID, hash: hash, keepSession: keepSession)
    }

    public func setDisabled(userID: UserID, _ disabled: Bool) async throws {
        try await repository.setUserDisabled(userID: userID, disabled)
    }

    public func setAdmin(userID: UserID, _ isAdmin: Bool) async throws {
        try await repository.setAdmin(userID: userID, isAdmin)
    }

    /// `language`: the code of one of the panel's languages.
    public func setLanguage(userID: UserID, _ language: String) async throws {
        try await repository.setLanguage(userID: userID, language)
    }

    /// Revokes every live key of the user and issues a new one (shown once).
    public func rotateKey(userID: UserID) async throws -> String {
        try await repository.rotateKey(userID: userID)
    }

    /// A new named key (shown once), up to `APIKeyLimits.maxLiveKeys` live at once.
    public func createKey(userID: UserID, name: String) async throws -> (APIKeyInfo, String) {
        try await repository.createKey(userID: userID, name: try AccountRules.keyName(name), maxLive: Int64(APIKeyLimits.maxLiveKeys))
    }

    @discardableResult
    public func revokeKey(userID: UserID, keyID: APIKeyID) async throws -> APIKeyInfo {
        try await repository.revokeKey(userID: userID, keyID: keyID)
    }

    public func setSignupOpen(_ open: Bool) async throws {
        try await repository.setSignupOpen(open)
    }
}
