import SQLKit

extension Migrations {
    /// Issue 7: the audit log, and the hint that lets a customer tell named keys apart.
    ///
    /// Existing ledger rows get their audit rows here (actor `system`), so from this version on
    /// every ledger row has exactly one audit row and `ledgerProblems` can insist on it.
    static let hardening = Migration(version: 4, name: "hardening", statements: [
        // The last four characters of a key, shown in key lists; never enough to use it.
        "ALTER TABLE api_keys ADD COLUMN hint TEXT NOT NULL DEFAULT ''",
        """
        CREATE TABLE audit_log (
            id {{pk}},
            created_at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            before_state TEXT,
            after_state TEXT,
            ledger_id BIGINT REFERENCES ledger (id)
        )
        """,
        // One audit row per ledger row, enforced by the database.
        "CREATE UNIQUE INDEX audit_log_ledger ON audit_log (ledger_id) WHERE ledger_id IS NOT NULL",
        "CREATE INDEX audit_log_target ON audit_log (target, id)",
        """
        INSERT INTO audit_log (created_at, actor, action, target, before_state, after_state, ledger_id)
        SELECT l.created_at, 'system', 'balance.' || l.kind, 'user:' || CAST(l.user_id AS TEXT),
               CAST(l.balance_after - l.amount AS TEXT), CAST(l.balance_after AS TEXT), l.id
        FROM ledger l ORDER BY l.id
        """,
    ])
}
