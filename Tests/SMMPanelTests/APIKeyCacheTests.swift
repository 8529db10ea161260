import Foundation
@testable import SMMAPI
import SMMDomain
@testable import SMMStorage
import SQLKit
import Synchronization
import Testing

/// Key lookups are kept for at most a second: a key revoked or a user disabled by this process
/// is refused on the next call, by another process within the second; unknown keys are never
/// kept; `balance` is always current.
@Suite struct APIKeyCacheTests {
    typealias ManualClock = CatalogCacheTests.ManualClock

    static func user(_ id: UserID) -> User {
        User(id: id, username: "u\(id)", isAdmin: false, disabled: false, balance: .zero, createdAt: 0, passwordHash: nil)
    }

    @Test func keptForMaxAgeOnlyAndOnlyWhenFound() async throws {
        let clock = ManualClock()
        let reads = Atomic(0)
        let known = Mutex<[String: User]>([APIKeys.hash("good"): Self.user(1)])
        let cache = APIKeyCache(now: { clock.now() }, generation: { 0 })
        let load: (String) async throws -> User? = { hash in
            reads.add(1, ordering: .relaxed)
            return known.withLock { $0[hash] }
        }
        #expect(try await cache.user(forKey: "good", load: load)?.isCurrent == true)
        #expect(try await cache.user(forKey: "good", load: load)?.isCurrent == false)
        #expect(reads.load(ordering: .relaxed) == 1)
        for _ in 0..<3 { #expect(try await cache.user(forKey: "bad", load: load) == nil) }
        #expect(reads.load(ordering: .relaxed) == 4)   // unknown keys are read every time
        #expect(cache.count == 1)

        known.withLock { $0 = [:] }                      // revoked elsewhere
        clock.advance(.milliseconds(999))
        #expect(try await cache.user(forKey: "good", load: load)?.user.id == 1)
        clock.advance(.milliseconds(1))
        #expect(try await cache.user(forKey: "good", load: load) == nil)
        #expect(cache.count == 0)
    }

    @Test func boundedMemory() async throws {
        let cache = APIKeyCache(maxEntries: 10, generation: { 0 })
        for index in 0..<25 { _ = try await cache.user(forKey: "k\(index)", load: { _ in Self.user(UserID(Int64(index))) }) }
        #expect(cache.count <= 10)
    }

    /// A full cache drops its stale keys first: the keys of the bots polling right now stay.
    @Test func aFullCacheDropsStaleKeysFirst() async throws {
        let clock = ManualClock()
        let generation = Atomic<UInt64>(0)
        let reads = Atomic(0)
        let cache = APIKeyCache(maxEntries: 4, now: { clock.now() }, generation: { generation.load(ordering: .relaxed) })
        func ask(_ index: Int) async throws -> Bool {
            try await cache.user(forKey: "k\(index)", load: { _ in reads.add(1, ordering: .relaxed); return Self.user(UserID(Int64(index))) })!.isCurrent
        }
        for index in 0..<2 { _ = try await ask(index) }
        clock.advance(.seconds(2))
        for index in 2..<4 { _ = try await ask(index) }
        #expect(cache.count == 4)
        // Full: the two stale keys go, the two fresh ones stay kept.
        #expect(try await ask(4))
        #expect(cache.count == 3)
        #expect(try await ask(2) == false)
        #expect(try await ask(3) == false)
        // Kept before a local change (a key revoked here): stale too.
        generation.store(1, ordering: .relaxed)
        #expect(try await ask(5))
        #expect(cache.count == 4)
        #expect(try await ask(6))
        #expect(cache.count == 2)
        // All fresh and full: all are dropped, as before.
        for index in 7...8 { #expect(try await ask(index)) }
        #expect(cache.count == 4)
        #expect(try await ask(9))
        #expect(cache.count == 1)
        #expect(reads.load(ordering: .relaxed) == 10)
    }

    /// Through the API on a real database.
    @Test(arguments: TestEngine.available)
    func revocationAndBalanceThroughTheAPI(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let clock = ManualClock()
            let changes = panel.store.changes
            let api = APIv2(store: panel.store, keyCache: APIKeyCache(now: { clock.now() }, generation: { changes.access.generation }))
            let (alice, key) = try await panel.customer("alice", balance: "10")
            func call(_ action: String) async throws -> String {
                try await api.respond(to: ["key": key, "action": action]).serialized()
            }
            #expect(try await call("balance") == #"{"balance":"10.00000","currency":"USD"}"#)
            // The balance is current even when the key was kept.
            _ = try await panel.store.addFunds(userID: alice.id, amount: Money(parsing: "5")!, memo: "test")
            #expect(try await call("balance") == #"{"balance":"15.00000","currency":"USD"}"#)

            // Disabled by this process: refused at once, and back at once when enabled.
            try await panel.store.setUserDisabled(userID: alice.id, true)
            #expect(try await call("balance") == #"{"error":"Invalid API key"}"#)
            try await panel.store.setUserDisabled(userID: alice.id, false)
            #expect(try await call("balance").contains("15.00000"))

            // Revoked behind this process's back (another node): refused once the second is over.
            try await panel.store.backend.transaction { db in
                try await db.raw("UPDATE api_keys SET revoked_at = 1 WHERE user_id = \(bind: alice.id)").run()
            }
            clock.advance(.seconds(1))
            #expect(try await call("balance") == #"{"error":"Invalid API key"}"#)
            #expect(try await call("services") == #"{"error":"Invalid API key"}"#)
        }
    }
}
