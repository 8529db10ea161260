import SMMDomain
import SMMStorage
import Testing

/// Storage's bulk import: every row lands, across the many-rows-per-statement boundary, and a
/// bad row takes its whole call with it.
@Suite struct ImportTests {
    @Test(arguments: TestEngine.available)
    func importedRowsAreAllThere(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let store = panel.store
            let (user, _) = try await store.createUser(username: "owner")
            let draft = ServiceDraft(name: "Followers", categoryName: "Imported", type: .default, rate: Money(parsing: "0.5")!,
                                     min: 10, max: 1_000, refill: false, refillDays: 30, cancel: false, dripFeed: false, description: "")
            try await store.importServices((1...3).map { n in var copy = draft; copy.name = "Followers \(n)"; return copy })
            let services = try await store.services()
            #expect(services.map(\.name) == ["Followers 1", "Followers 2", "Followers 3"])
            // One bad draft: none of the call's services is kept.
            var nameless = draft
            nameless.name = " "
            await #expect(throws: PanelError.self) { try await store.importServices([draft, nameless]) }
            #expect(try await store.services().count == 3)

            try await store.importUsers(usernames: (1...501).map { "customer\($0)" })
            #expect(try await store.user(named: "customer1") != nil)
            #expect(try await store.user(named: "customer501")?.balance == .zero)

            let service = services[0]
            let orders = (1...1_001).map { n in
                ImportedOrder(userID: user.id, serviceID: service.id, type: .default, link: "https://example.test/\(n)", quantity: 100,
                              charge: Money(minorUnits: 50), startCount: 0, remains: 0, status: n == 1_001 ? .partial : .completed)
            }
            try await store.importOrders(orders)
            #expect(try await store.orderCount() == 1_001)
            let newest = try #require(try await store.listOrders(.init(userID: user.id, limit: 1)).first)
            #expect(newest.link == "https://example.test/1001" && newest.status == .partial && newest.charge == Money(minorUnits: 50))

            let provider = try await store.createProvider(name: "upstream", url: "https://upstream.example/api/v2", apiKey: "k",
                                                          honorsRequestID: true, allowHTTP: false, allowPrivateAddress: false)
            let upstream = (1...3).map { n in
                ImportedOrder(userID: user.id, serviceID: service.id, type: .default, link: "https://example.test/up/\(n)", quantity: 100,
                              charge: Money(minorUnits: 50), startCount: 0, remains: 100, status: n == 1 ? .pending : .inProgress,
                              upstream: .init(providerID: provider.id, upstreamService: "7", state: n == 1 ? .queued : .sent,
                                              upstreamOrderID: n == 1 ? nil : "u\(n)"))
            }
            try await store.importOrders(upstream)
            #expect(try await store.orderCount() == 1_004)
            let counts = try await store.upstreamCounts()
            #expect(counts[.queued] == 1 && counts[.sent] == 2)
        }
    }
}
