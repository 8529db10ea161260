import Foundation
import SMMAPI
import SMMDomain
@testable import SMMStorage
import SQLKit
import Synchronization
import Testing

/// The `services` answer is kept for at most a second: changes made by this process show at
/// once, changes made elsewhere (another node, the CLI) within the second, one read at a time.
@Suite struct CatalogCacheTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        func now() -> ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    /// Counts reads; answers with `names` as services, or fails while `failing` is set.
    final class Loader: Sendable {
        let reads = Atomic(0)
        let names = Mutex(["a"])
        let failing = Atomic(false)
        struct Down: Error {}

        func load() async throws -> [Service] {
            reads.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(20))
            if failing.load(ordering: .relaxed) { throw Down() }
            return names.withLock { $0 }.enumerated().map { index, name in
                Service(id: ServiceID(Int64(index + 1)), name: name, categoryID: 1, categoryName: "c", type: .default,
                        rate: Money(minorUnits: 100), min: 1, max: 10, refill: false, refillDays: 30, cancel: false,
                        dripFeed: false, description: "", enabled: true, sort: 0)
            }
        }
    }

    static func encode(_ services: [Service]) -> [UInt8] { Array(services.map(\.name).joined(separator: ",").utf8) }

    @Test func reusedWithinMaxAgeAndReadAgainAfter() async throws {
        let clock = ManualClock()
        let loader = Loader()
        let cache = CatalogCache(maxAge: .seconds(1), now: { clock.now() }, generation: { 0 })
        #expect(try await cache.current(load: loader.load, encode: Self.encode).bytes == Array("a".utf8))
        loader.names.withLock { $0 = ["a", "b"] }   // changed elsewhere: no generation change here
        clock.advance(.milliseconds(999))
        #expect(try await cache.current(load: loader.load, encode: Self.encode).bytes == Array("a".utf8))
        #expect(loader.reads.load(ordering: .relaxed) == 1)
        clock.advance(.milliseconds(1))
        #expect(try await cache.current(load: loader.load, encode: Self.encode).bytes == Array("a,b".utf8))
        #expect(loader.reads.load(ordering: .relaxed) == 2)
    }

    @Test func concurrentCallersShareOneRead() async throws {
        let loader = Loader()
        let cache = CatalogCache(generation: { 0 })
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<50 { group.addTask { try await cache.current(load: loader.load, encode: Self.encode).bytes } }
            for try await answer in group { #expect(answer == Array("a".utf8)) }
        }
        #expect(loader.reads.load(ordering: .relaxed) == 1)
    }

    @Test func aFailedReadIsNotKept() async throws {
        let loader = Loader()
        let cache = CatalogCache(generation: { 0 })
        loader.failing.store(true, ordering: .relaxed)
        await #expect(throws: Loader.Down.self) { try await cache.current(load: loader.load, encode: Self.encode) }
        loader.failing.store(false, ordering: .relaxed)
        #expect(try await cache.current(load: loader.load, encode: Self.encode).bytes == Array("a".utf8))
        #expect(loader.reads.load(ordering: .relaxed) == 2)
    }

    @Test func aChangeByThisProcessIsSeenAtOnce() async throws {
        let loader = Loader()
        let generation = Atomic<UInt64>(0)
        let cache = CatalogCache(maxAge: .seconds(60), generation: { generation.load(ordering: .relaxed) })
        #expect(try await cache.current(load: loader.load, encode: Self.encode).bytes == Array("a".utf8))
        loader.names.withLock { $0 = ["b"] }
        generation.store(1, ordering: .relaxed)
        #expect(try await cache.current(load: loader.load, encode: Self.encode).bytes == Array("b".utf8))
    }

    @Test func maxAgeZeroReadsEveryTime() async throws {
        let loader = Loader()
        let cache = CatalogCache(maxAge: .zero, generation: { 0 })
        for _ in 0..<3 { _ = try await cache.current(load: loader.load, encode: Self.encode) }
        #expect(loader.reads.load(ordering: .relaxed) == 3)
    }

    /// Through the API on a real database: a change by this process's store shows on the next
    /// call; one written behind its back (as another node would) shows once the second is over;
    /// a customer with rates of their own gets them at once.
    @Test(arguments: TestEngine.available)
    func apiAnswersFollowChanges(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let clock = ManualClock()
            let changes = panel.store.changes
            let api = APIv2(store: panel.store, catalogCache: CatalogCache(now: { clock.now() }, generation: { changes.catalog.generation }))
            let (alice, aliceKey) = try await panel.customer("alice")
            let (_, bobKey) = try await panel.customer("bob")
            let service = try await panel.service(.default, rate: "1.00", name: "Likes", category: "IG")
            func rate(_ key: String) async throws -> String? {
                let answer = try await api.respond(to: ["key": key, "action": "services"]).serialized()
                return answer.split(separator: ",").first { $0.hasPrefix(#""rate":"#) }.map(String.init)
            }
            #expect(try await rate(aliceKey) == #""rate":"1.00""#)

            // This process changes the price: seen at once, no time passes.
            var draft = ServiceDraft()
            draft.rate = Money(parsing: "2")!
            _ = try await panel.store.updateService(id: service.id, draft)
            #expect(try await rate(aliceKey) == #""rate":"2.00""#)

            // Another node changes it: the answer may lag by up to a second, never more.
            try await panel.store.backend.transaction { db in
                try await db.raw("UPDATE services SET rate = 300000 WHERE id = \(bind: service.id)").run()
            }
            // (Not asserted stale here: staleness is bounded, not promised.)
            clock.advance(.seconds(1))
            #expect(try await rate(aliceKey) == #""rate":"3.00""#)

            // A customer's own rate is read on every call.
            try await panel.store.setCustomRate(userID: alice.id, serviceID: service.id, rate: Money(parsing: "0.5")!)
            #expect(try await rate(aliceKey) == #""rate":"0.50""#)
            #expect(try await rate(bobKey) == #""rate":"3.00""#)
        }
    }
}

extension CatalogCache.Entry {
    var bytes: [UInt8] { Array(encoded.readableBytesView) }
}
