import Hummingbird
import HummingbirdTesting
import Prometheus
import SMMApp
import SMMDomain
import SMMStorage
import Testing

/// `/metrics` shows the SQLite writer's group commit — COMMITs and the write transactions they
/// covered — as counters brought up to date at each scrape; PostgreSQL has no such writer.
@Suite struct CommitMetricsTests {
    @Test(arguments: TestEngine.available)
    func groupCommitCountersFollowTheWriter(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, _) = try await panel.customer(balance: "100")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000)
            let customer = try #require(try await panel.store.user(id: user.id))
            @Sendable func place(_ index: Int) async throws {
                _ = try await panel.store.placeOrder(user: customer, service: service,
                                                     fields: ["link": "https://metrics.test/\(index)", "quantity": "10"])
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<30 { group.addTask { try await place(index) } }
                try await group.waitForAll()
            }
            // What `serve --metrics-port` serves.
            let app = Application(router: buildMetricsRouter(store: panel.store))
            func scrape() async throws -> [String: Double] {
                let text = try await app.test(.router) { client in
                    try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                }
                var values: [String: Double] = [:]
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    let parts = line.split(separator: " ")
                    if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
                }
                return values
            }
            let first = try await scrape()
            guard let counts = panel.store.commitCounts else {
                #expect(first["smmpanel_sqlite_commits_total"] == nil && first["smmpanel_sqlite_transactions_total"] == nil)
                return
            }
            #expect(first["smmpanel_sqlite_commits_total"] == Double(counts.commits))
            #expect(first["smmpanel_sqlite_transactions_total"] == Double(counts.transactions))
            #expect(counts.transactions >= 30 && counts.commits >= 1 && counts.commits <= counts.transactions)

            // Each scrape adds what happened since the last one, once.
            for index in 30..<35 { try await place(index) }
            let second = try await scrape()
            let now = try #require(panel.store.commitCounts)
            #expect(second["smmpanel_sqlite_commits_total"] == Double(now.commits))
            #expect(second["smmpanel_sqlite_transactions_total"] == Double(now.transactions))
            #expect(now.transactions - counts.transactions == 5 && now.commits - counts.commits == 5)
        }
    }
}
