import SMMDomain
import SMMStorage

/// The bench's databases: a catalog, customers and orders, loaded through storage's import
/// (many rows per statement, 100,000 orders per transaction) so that a million orders are
/// ready in seconds.
enum BenchData {
    /// What the bench drives: one customer with a key and funds, and some of its order ids.
    struct Seeded: Sendable {
        let apiKey: String
        let userID: UserID
        /// A Default service accepting quantity 100 (for `add`).
        let serviceID: ServiceID
        /// Up to 100 ids of the bench customer's orders (for `status`).
        let orderIDs: [OrderID]
    }

    static let chunk = 100_000

    /// `services` services; `customers` customers in all (the bench customer is the first);
    /// `orders` orders spread evenly over the customers, most of them finished.
    static func seed(_ store: PanelStore, services: Int, customers: Int, orders: Int) async throws -> Seeded {
        try await store.migrate()
        let (user, key) = try await store.createUser(username: "bench")
        _ = try await store.addFunds(userID: user.id, amount: Money(minorUnits: 1_000_000_000 * Money.unitsPerWhole), memo: "bench funds")
        let rate = Money(parsing: "0.5")!
        let service = try await store.createService(NewService(
            name: "Bench followers", categoryName: "Bench", type: .default, rate: rate,
            min: 10, max: 100_000, refill: false, refillDays: 30, cancel: false, dripFeed: false, description: "bench", sort: 0))
        if services > 1 {
            // Random parts make the names and descriptions as long, and as poorly compressible,
            // as a real catalog's.
            try await store.importServices((1..<services).map { n in
                NewService(name: "Bench service \(n) #\(randomHex())", categoryName: "Bench", type: .default,
                           rate: Money(minorUnits: rate.minorUnits + Int64(n)), min: 10, max: 100_000, refill: false,
                           refillDays: 30, cancel: false, dripFeed: false,
                           description: "A service of the bench catalog, batch \(randomHex())", sort: Int64(n))
            })
        }
        if customers > 1 {
            try await store.importUsers(usernames: (1..<customers).map { "customer\($0)" })
        }
        // Customer k gets every k-th order.
        let firstUser = user.id
        var done = 0
        while done < orders {
            let range = (done + 1)...(done + min(chunk, orders - done))
            try await store.importOrders(range.map { n in
                ImportedOrder(userID: UserID(firstUser.rawValue + Int64((n - 1) % max(1, customers))), serviceID: service.id, type: .default,
                              link: "https://bench.test/seed/\(n)", quantity: 1000, charge: Money(minorUnits: 500_000), startCount: 0,
                              remains: n % 10 == 0 ? 1000 : 0,
                              status: n % 10 == 0 ? .inProgress : n % 10 == 1 ? .partial : .completed)
            })
            done = range.upperBound
        }
        let ids = try await store.listOrders(.init(userID: firstUser, limit: 100)).map(\.id)
        return Seeded(apiKey: key, userID: user.id, serviceID: service.id, orderIDs: ids.reversed())
    }

    /// Orders placed with provider `providerID` through a service sold from its upstream service
    /// "1": `queued` waiting to be sent, `sent` waiting for a status check. Returns nothing; the
    /// engine finds them by their state.
    static func seedUpstream(_ store: PanelStore, userID: UserID, providerID: ProviderID, queued: Int, sent: Int) async throws {
        let entry = UpstreamCatalogEntry(id: "1", name: "Bench upstream followers", typeLabel: "Default", category: "Bench",
                                         rate: Money(parsing: "0.5")!, min: 10, max: 100_000, refill: false, cancel: false,
                                         dripFeed: false, description: "bench")
        let new = try CatalogRules.importedService(entry, type: .default, categoryName: "Bench", markup: .zero)
        guard let service = try await store.importUpstreamService(providerID: providerID, entry: entry, as: new, markup: .zero) else { return }
        for (state, count) in [(UpstreamState.queued, queued), (.sent, sent)] where count > 0 {
            var done = 0
            while done < count {
                let range = (done + 1)...(done + min(chunk, count - done))
                try await store.importOrders(range.map { n in
                    ImportedOrder(userID: userID, serviceID: service.id, type: .default, link: "https://bench.test/\(state.rawValue)/\(n)",
                                  quantity: 1000, charge: Money(minorUnits: 500_000), startCount: 0, remains: 1000,
                                  status: state == .sent ? .inProgress : .pending,
                                  upstream: .init(providerID: providerID, upstreamService: "1", state: state,
                                                  upstreamOrderID: state == .sent ? "\(n)" : nil))
                })
                done = range.upperBound
            }
        }
    }

    static func randomHex() -> String {
        let hex = String(UInt32.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
