extension Migrations {
    /// The web panel: browser sessions, failed logins (for the login rate limit), manual
    /// payment requests, per-user service rates and each user's language.
    static let web = Migration(version: 3, name: "web", statements: [
        // The session cookie holds a random token; only its SHA-256 is stored, so a leaked
        // database holds no usable session. `user_id` may be NULL, a session of no user; guests'
        // forms carry the token of a signed cookie instead (`GuestToken`), nothing stored.
        """
        CREATE TABLE web_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id BIGINT REFERENCES users (id),
            csrf_token TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX web_sessions_user ON web_sessions (user_id)",
        "CREATE INDEX web_sessions_expiry ON web_sessions (expires_at)",
        // One row per failed login; the limit counts recent rows per IP and username.
        """
        CREATE TABLE login_failures (
            id {{pk}},
            attempt_key TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX login_failures_key ON login_failures (attempt_key, created_at)",
        """
        CREATE TABLE payment_requests (
            id {{pk}},
            user_id BIGINT NOT NULL REFERENCES users (id),
            method TEXT NOT NULL,
            amount BIGINT NOT NULL CHECK (amount > 0),
            reference TEXT NOT NULL,
            status TEXT NOT NULL,
            admin_note TEXT NOT NULL DEFAULT '',
            decided_by BIGINT REFERENCES users (id),
            created_at BIGINT NOT NULL,
            decided_at BIGINT
        )
        """,
        "CREATE INDEX payment_requests_user ON payment_requests (user_id, id)",
        "CREATE INDEX payment_requests_status ON payment_requests (status, id)",
        // A deposit credited for a payment request names it, and the database refuses a
        // second credit of the same request even if the status guard were bypassed.
        "ALTER TABLE ledger ADD COLUMN payment_request_id BIGINT REFERENCES payment_requests (id)",
        "CREATE UNIQUE INDEX ledger_one_payment ON ledger (payment_request_id) WHERE payment_request_id IS NOT NULL",
        """
        CREATE TABLE user_service_rates (
            user_id BIGINT NOT NULL REFERENCES users (id),
            service_id BIGINT NOT NULL REFERENCES services (id),
            rate BIGINT NOT NULL CHECK (rate >= 0),
            PRIMARY KEY (user_id, service_id)
        )
        """,
        "ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",
    ])
}
