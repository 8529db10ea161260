import Foundation
import SMMDomain
import SMMStorage
import Testing

/// Named API keys (hashes only, revocable one by one) and the audit log of money and admin
/// actions.
@Suite struct KeysAndAuditTests {
    @Test(arguments: TestEngine.available)
    func namedKeysWorkUntilRevokedAndListsNeverShowThem(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, first) = try await panel.customer("alice", balance: "5")
            let (bob, _) = try await panel.customer("bob")
            let (botInfo, bot) = try await panel.store.createKey(userID: alice.id, name: "trading bot")
            let (_, backup) = try await panel.store.createKey(userID: alice.id, name: "backup server")
            #expect(Set([first, bot, backup]).count == 3)
            #expect(botInfo.hint == String(bot.suffix(4)))

            let keys = try await panel.store.keys(userID: alice.id)
            #expect(keys.map(\.name) == ["default", "trading bot", "backup server"])
            #expect(keys.allSatisfy { $0.isLive && $0.hint.count == 4 })
            // The database holds hashes only.
            let stored = try await panel.store.backend.read { db in
                try await db.raw("SELECT key_hash FROM api_keys").all().map { try $0.decode(column: "key_hash", as: String.self) }
            }
            #expect(stored.allSatisfy { $0.count == 64 } && !stored.contains(where: { [first, bot, backup].contains($0) }))
            #expect(Set(stored).isSuperset(of: [APIKeys.hash(first), APIKeys.hash(bot), APIKeys.hash(backup)]))

            try await panel.live { api in
                for key in [first, bot, backup] {
                    #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"5.00000","currency":"USD"}"#)
                }
                // Bob cannot revoke Alice's key; it is "not found" like a key that never was.
                await #expect(throws: PanelError.self) { try await panel.store.revokeKey(userID: bob.id, keyID: botInfo.id) }
                try await panel.store.revokeKey(userID: alice.id, keyID: botInfo.id)
                #expect(try await api.call([("key", bot), ("action", "balance")]) == #"{"error":"Invalid API key"}"#)
                #expect(try await api.call([("key", backup), ("action", "balance")]) == #"{"balance":"5.00000","currency":"USD"}"#)
                // Revoking twice is refused and changes nothing.
                await #expect(throws: PanelError.self) { try await panel.store.revokeKey(userID: alice.id, keyID: botInfo.id) }
                // rotate-key still revokes every key and issues one new one.
                let rotated = try await panel.store.rotateKey(userID: alice.id)
                for key in [first, backup] {
                    #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"error":"Invalid API key"}"#)
                }
                #expect(try await api.call([("key", rotated), ("action", "balance")]).contains("5.00000"))
            }
            #expect(try await panel.store.keys(userID: alice.id).filter(\.isLive).count == 1)
            let audit = try await panel.store.auditLog(limit: 100)
            #expect(audit.contains { $0.action == "key.revoke" && $0.target == "key:\(botInfo.id)" })
            #expect(audit.filter { $0.action == "key.create" }.count == 5)
            // rotate-key recorded the revocation of each key it revoked.
            #expect(audit.filter { $0.action == "key.revoke" }.count == 3)
        }
    }

    @Test(arguments: TestEngine.available)
    func keyNamesAndCountsAreBounded(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, _) = try await panel.customer("alice")
            for bad in ["", "   ", String(repeating: "n", count: 65), "line\nbreak"] {
                await #expect(throws: PanelError.self) { try await panel.store.createKey(userID: alice.id, name: bad) }
            }
            for index in 1..<APIKeyLimits.maxLiveKeys { _ = try await panel.store.createKey(userID: alice.id, name: "k\(index)") }
            await #expect(throws: PanelError.self) { try await panel.store.createKey(userID: alice.id, name: "one too many") }
            #expect(try await panel.store.keys(userID: alice.id).count == APIKeyLimits.maxLiveKeys)
        }
    }

    @Test(arguments: TestEngine.available)
    func everyBalanceChangeHasItsAuditRowWithItsActor(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, key) = try await panel.customer("alice", balance: "0")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 10_000)
            _ = try await AuditActor.$current.withValue(.admin(99)) {
                try await panel.store.addFunds(userID: alice.id, amount: Money(parsing: "10")!, memo: "bank")
            }
            try await panel.live { api async throws in
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://a.test/1"), ("quantity", "1000")]) == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "cancel"), ("orders", "1")]) == #"[{"order":1,"cancel":1}]"#)
            }
            let rows = try await panel.store.auditLog(target: "user:\(alice.id)").reversed().map { ($0.actor, $0.action, $0.before, $0.after) }
            #expect(rows.count == 3)
            #expect(rows.map(\.0) == ["admin:99", "api:\(alice.id)", "api:\(alice.id)"])
            #expect(rows.map(\.1) == ["balance.deposit", "balance.charge", "balance.refund"])
            #expect(rows.map(\.2) == ["0", "1000000", "900000"])
            #expect(rows.map(\.3) == ["1000000", "900000", "1000000"])
            try await panel.expectLedgerClean()

            // The ledger check insists on the audit: a lost or altered audit row is a problem.
            try await panel.store.backend.transaction { db in
                try await db.raw("UPDATE audit_log SET after_state = '1' WHERE action = 'balance.charge'").run()
            }
            #expect(try await panel.store.ledgerProblems().count == 1)
            try await panel.store.backend.transaction { db in
                try await db.raw("DELETE FROM audit_log WHERE action = 'balance.charge'").run()
            }
            #expect(try await panel.store.ledgerProblems() == ["ledger row 2: no audit row telling the same change"])
        }
    }

    @Test(arguments: TestEngine.available)
    func adminActionsRecordWhoAndTheRowBeforeAndAfter(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "1", name: "Likes")
            let target = AuditTarget(.services, service.id)
            _ = try await panel.store.audited("service.update", target: target, actor: .admin(7)) {
                try await panel.store.updateService(id: service.id, ServiceDraft(rate: Money(parsing: "2.5")!))
            }
            // A refused change leaves no record: it changed nothing.
            await #expect(throws: (any Error).self) {
                try await panel.store.audited("service.update", target: target, actor: .admin(7)) {
                    try await panel.store.updateService(id: service.id, ServiceDraft(min: 5000, max: 10))
                }
            }
            let created = try await panel.store.audited("user.create", target: nil, actor: .cli, created: { AuditTarget(.users, $0.0.id) }) {
                try await panel.store.createUser(username: "carol", passwordHash: "$2b$12$secret")
            }
            let log = try await panel.store.auditLog()
            let update = try #require(log.first { $0.action == "service.update" })
            #expect(log.filter { $0.action == "service.update" }.count == 1)
            #expect(update.actor == "admin:7" && update.target == "service:\(service.id)")
            #expect(update.before?.contains(#""rate":100000"#) == true)
            #expect(update.after?.contains(#""rate":250000"#) == true)
            let creation = try #require(log.first { $0.action == "user.create" })
            #expect(creation.target == "user:\(created.0.id)" && creation.before == nil)
            #expect(creation.after?.contains(#""username":"carol""#) == true)
            // Secrets never reach the log.
            #expect(!log.contains { ($0.after ?? "").contains("secret") || ($0.after ?? "").contains("password_hash") })
        }
    }
}
