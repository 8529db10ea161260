@testable import SMMStorage
import Foundation
import SMMDomain
import SQLKit
import Testing

/// A panel that ran before the audit log existed upgrades cleanly: its ledger rows get their
/// audit rows, its keys keep working, and the books still balance.
@Suite struct MigrationHardeningTests {
    @Test(arguments: TestEngine.available)
    func aVersionOnePanelUpgradesWithItsLedgerAudited(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { location in
            let backend = try await location.open(logger: quietLogger)
            do {
                // The schema as version 1 left it, with a customer, a deposit and a charge.
                let key = "0123456789abcdef0123456789abcdef"
                try await backend.transaction { db in
                    try await db.raw("CREATE TABLE smm_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").run()
                    for statement in Migrations.all[0].statements {
                        try await db.raw(SQLQueryString(Migrations.render(statement, for: backend.engine))).run()
                    }
                    try await db.raw("INSERT INTO smm_schema (version, name, applied_at) VALUES (1, 'core', 1)").run()
                    try await db.raw("INSERT INTO users (username, balance, created_at) VALUES ('old', 700000, 1)").run()
                    try await db.raw("""
                        INSERT INTO api_keys (user_id, key_hash, name, created_at) VALUES (1, \(bind: APIKeys.hash(key)), 'default', 1)
                        """).run()
                    try await db.raw("""
                        INSERT INTO ledger (user_id, amount, balance_after, kind, memo, created_at) VALUES
                            (1, 1000000, 1000000, 'deposit', 'bank', 1), (1, -300000, 700000, 'deduction', 'fee', 2)
                        """).run()
                }
                let store = PanelStore(backend: backend)
                try await store.migrate()
                let audit = try await store.auditLog().reversed().map { [$0.actor, $0.action, $0.target, $0.before ?? "-", $0.after ?? "-"] }
                #expect(audit == [["system", "balance.deposit", "user:1", "0", "1000000"],
                                  ["system", "balance.deduction", "user:1", "1000000", "700000"]])
                #expect(try await store.ledgerProblems().isEmpty)
                #expect(try await store.user(apiKey: key)?.username == "old")
                #expect(try await store.keys(userID: 1).map(\.hint) == [""])
                // New money moves are audited from now on, and the books stay clean.
                _ = try await store.addFunds(userID: 1, amount: Money(parsing: "1")!, memo: "more")
                #expect(try await store.ledgerProblems().isEmpty)
                #expect(try await store.auditLog(target: "user:1").count == 3)
                try await backend.shutdown()
            } catch {
                try? await backend.shutdown()
                throw error
            }
        }
    }
}
