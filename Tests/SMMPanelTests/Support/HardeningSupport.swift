import Foundation
import HummingbirdTesting
import SMMApp
import SMMDatabase
import SMMDomain
import SMMStorage
import Testing

extension TestPanel {
    /// `live` with a changed configuration (limits, timeouts).
    func live<T: Sendable>(_ adjust: (inout PanelConfiguration) -> Void, _ body: @Sendable (LiveAPI) async throws -> T) async throws -> T {
        var configuration = self.configuration
        adjust(&configuration)
        let app = buildApplication(store: store, configuration: configuration, logger: quietLogger)
        return try await app.test(.live) { client in try await body(LiveAPI(client: client)) }
    }

    /// What a customer owns, to show that a refused call changed none of it. One statement, so
    /// it is one consistent read (and cheap enough to run around every fuzz request).
    func footprint(of userID: UserID) async throws -> Footprint {
        try await store.backend.read { db in
            let row = try await db.raw("""
                SELECT u.balance,
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE user_id = u.id) AS orders,
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM refills WHERE user_id = u.id) AS refills,
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM ledger WHERE user_id = u.id) AS ledger,
                    (SELECT CAST(COALESCE(SUM(LENGTH(status) * id + remains), 0) AS BIGINT) FROM orders WHERE user_id = u.id) AS digest,
                    (SELECT CAST(COALESCE(SUM(LENGTH(status) * id), 0) AS BIGINT) FROM refills WHERE user_id = u.id) AS refill_digest
                FROM users u WHERE u.id = \(bind: userID)
                """).first()!
            return Footprint(balance: try row.decode(column: "balance", as: Int64.self), orders: try row.decode(column: "orders", as: Int64.self),
                             refills: try row.decode(column: "refills", as: Int64.self), ledger: try row.decode(column: "ledger", as: Int64.self),
                             statusDigest: try row.decode(column: "digest", as: Int64.self) &+ 7 &* (try row.decode(column: "refill_digest", as: Int64.self)))
        }
    }
}

/// A customer's balance, rows and order statuses at one moment.
struct Footprint: Sendable, Equatable, CustomStringConvertible {
    var balance: Int64
    var orders: Int64
    var refills: Int64
    var ledger: Int64
    /// Changes when any order's status or remains, or any refill's status, changes.
    var statusDigest: Int64

    var description: String { "balance \(balance), \(orders) orders, \(refills) refills, \(ledger) ledger rows, digest \(statusDigest)" }
}

/// A migrated panel on `location` with one customer holding 1000.00 and one Default service
/// at 1.00 per 1000 (10…1000), closed again so a `smmpanel serve` process can take it over.
func seedServerPanel(_ location: DatabaseLocation, username: String) async throws -> (user: User, key: String, service: Service) {
    let backend = try await location.open(logger: quietLogger)
    do {
        let store = PanelStore(backend: backend)
        try await store.migrate()
        let (user, key) = try await store.createUser(username: username)
        _ = try await store.addFunds(userID: user.id, amount: Money(parsing: "1000")!, memo: "funds")
        let service = try await store.createService(ServiceDraft(name: "s", categoryName: "c", type: .default,
                                                                  rate: Money(parsing: "1")!, min: 10, max: 1000))
        try await backend.shutdown()
        return (user, key, service)
    } catch {
        try? await backend.shutdown()
        throw error
    }
}

/// Parses an answer as JSON, or nil.
func parseJSON(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
