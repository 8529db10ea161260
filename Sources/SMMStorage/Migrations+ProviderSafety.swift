extension Migrations {
    /// Issue 19/20: what the operator allows per provider. Calls go over https to public
    /// addresses only unless `allow_http` / `allow_private_address` say otherwise (a test
    /// upstream on the loopback, a provider on the private network); `concurrency` is the
    /// number of calls in flight at once, NULL for the default by `honors_request_id`.
    static let providerSafety = Migration(version: 7, name: "provider-safety", statements: [
        "ALTER TABLE providers ADD COLUMN allow_http BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE providers ADD COLUMN allow_private_address BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE providers ADD COLUMN concurrency BIGINT",
    ])
}
