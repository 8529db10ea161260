extension Migrations {
    /// Issue 19: usernames unique whatever their case, the attempts behind the web's login and
    /// sign-up limits, and the panel's own settings (sign-up open or closed, the key that signs
    /// guests' cookies).
    ///
    /// A database may already hold names that differ only in case (the old index compared them
    /// exactly). The oldest of each group (lowest id) keeps its name; every later one becomes
    /// `name~id` (`~` cannot appear in a name made on the web, and the id makes it unique), with
    /// an audit row `user.rename` (actor `system`, before and after the names) that `openStore`
    /// logs. Their keys, balances and orders are untouched; the operator tells the customer.
    static let accounts = Migration(version: 6, name: "accounts", statements: [
        """
        INSERT INTO audit_log (created_at, actor, action, target, before_state, after_state)
        SELECT {{now}}, 'system', 'user.rename', 'user:' || CAST(u.id AS TEXT), u.username, u.username || '~' || CAST(u.id AS TEXT)
        FROM users u
        WHERE EXISTS (SELECT 1 FROM users e WHERE {{lower:e.username}} = {{lower:u.username}} AND e.id < u.id)
        ORDER BY u.id
        """,
        """
        UPDATE users SET username = username || '~' || CAST(id AS TEXT)
        WHERE EXISTS (SELECT 1 FROM users e WHERE {{lower:e.username}} = {{lower:users.username}} AND e.id < users.id)
        """,
        // `Admin` and `admin` are one name, on every path that creates or renames a user.
        "CREATE UNIQUE INDEX users_username_ci ON users ({{lower:username}})",
        // One row per attempt under each limit's key (`login:…`, `login-ip:…`, `signup:…`),
        // written before the attempt is judged; `login_failures` stays for nodes of the previous
        // version during a rolling upgrade.
        """
        CREATE TABLE web_attempts (
            id {{pk}},
            attempt_key TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX web_attempts_key ON web_attempts (attempt_key, created_at)",
        "CREATE INDEX web_attempts_expiry ON web_attempts (expires_at)",
        "CREATE TABLE panel_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ])
}
