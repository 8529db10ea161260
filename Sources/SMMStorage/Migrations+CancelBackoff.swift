extension Migrations {
    /// Issue 20: a cancel forwarded to a provider that could not take it is asked again with
    /// backoff (`cancel_after`, doubling with `cancel_attempts`), not every round; the dispatch
    /// columns `attempts`/`next_attempt_at` count sends and stay theirs.
    static let cancelBackoff = Migration(version: 8, name: "cancel-backoff", statements: [
        "ALTER TABLE upstream_orders ADD COLUMN cancel_attempts BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE upstream_orders ADD COLUMN cancel_after BIGINT NOT NULL DEFAULT 0",
    ])
}
