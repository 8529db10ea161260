import SMMDomain
import SMMStorage
import SQLKit
import Testing

/// Schema management and repository behaviour that the API does not show directly.
@Suite struct StorageTests {
    @Test(arguments: TestEngine.available)
    func migrationsApplyOnceEvenWhenNodesStartTogether(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { location in
            let backends = [try await location.open(logger: quietLogger), try await location.open(logger: quietLogger)]
            do {
                // Two processes migrating the same empty database at the same moment.
                let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                    for backend in backends {
                        group.addTask { try await Migrations.migrate(backend, now: 0).count }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(applied == Migrations.all.count)
                #expect(try await Migrations.migrate(backends[0], now: 0).isEmpty)
                let versions = try await backends[0].read { db in
                    try await db.raw("SELECT version FROM smm_schema ORDER BY version").all().map { try $0.decode(column: "version", as: Int64.self) }
                }
                #expect(versions == Migrations.all.map(\.version))
            } catch {
                for backend in backends { try? await backend.shutdown() }
                throw error
            }
            for backend in backends { try await backend.shutdown() }
        }
    }

    @Test(arguments: TestEngine.available)
    func refusesASchemaNewerThanItKnows(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.store.backend.transaction { db in
                try await db.raw("INSERT INTO smm_schema (version, name, applied_at) VALUES (9999, 'from the future', 0)").run()
            }
            await #expect(throws: StorageError.self) { try await panel.store.migrate() }
        }
    }

    /// Stored key hashes are lowercase hex SHA-256: keys issued before any change to `hash`
    /// must still be found (FIPS 180-2 test vectors).
    @Test func keyHashIsLowercaseHexSHA256() {
        #expect(APIKeys.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeys.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(APIKeys.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test(arguments: TestEngine.available)
    func keysAreStoredOnlyAsHashesAndRotationRevokes(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "0")
            let stored = try await panel.store.backend.read { db in
                try await db.raw("SELECT key_hash FROM api_keys").all().map { try $0.decode(column: "key_hash", as: String.self) }
            }
            #expect(stored == [APIKeys.hash(key)])
            #expect(!stored.contains(key))
            #expect(try await panel.store.user(apiKey: key)?.id == user.id)
            let rotated = try await panel.store.rotateKey(userID: user.id)
            #expect(try await panel.store.user(apiKey: key) == nil)
            #expect(try await panel.store.user(apiKey: rotated)?.id == user.id)
            try await panel.store.setUserDisabled(userID: user.id, true)
            #expect(try await panel.store.user(apiKey: rotated) == nil)
            let taken = await #expect(throws: PanelError.self) {
                _ = try await panel.store.createUser(username: "alice")
            }
            #expect(taken?.message == "a user named alice exists already")
        }
    }

    @Test(arguments: TestEngine.available)
    func catalogKeepsDisabledServicesOutOfSale(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let first = try await panel.service(.default, name: "first", category: "B")
            let second = try await panel.service(.package, rate: "3", min: 1, max: 1, name: "second", category: "A")
            #expect(try await panel.store.services().map(\.id) == [first.id, second.id])
            try await panel.store.setServiceEnabled(id: first.id, false)
            #expect(try await panel.store.services().map(\.id) == [second.id])
            #expect(try await panel.store.services(includeDisabled: true).count == 2)
            let (user, _) = try await panel.customer(balance: "10")
            let disabled = try await panel.store.service(id: first.id)!
            await #expect(throws: PanelError.incorrectServiceID) {
                _ = try await panel.store.placeOrder(user: user, service: disabled, fields: ["link": "https://x.test", "quantity": "100"])
            }
            let updated = try await panel.store.updateService(id: second.id, ServiceDraft(categoryName: "C", rate: Money(parsing: "4.5")))
            #expect(updated.rate == Money(parsing: "4.5")! && updated.categoryName == "C" && updated.name == "second")
            await #expect(throws: PanelError.self) {
                _ = try await panel.store.updateService(id: second.id, ServiceDraft(min: 10, max: 5))
            }
        }
    }
}
