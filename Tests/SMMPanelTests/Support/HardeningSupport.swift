import Foundation
import HummingbirdTesting
import SMMApp
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

    /// What a customer owns, to show that a refused call changed none of it.
    func footprint(of userID: Int64) async throws -> Footprint {
        try await store.backend.read { db in
            func count(_ sql: String) async throws -> Int64 {
                try await db.raw("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM \(unsafeRaw: sql) = \(bind: userID)").first()!
                    .decode(column: "n", as: Int64.self)
            }
            let balance = try await db.raw("SELECT balance FROM users WHERE id = \(bind: userID)").first()!.decode(column: "balance", as: Int64.self)
            let statuses = try await db.raw("""
                SELECT CAST(COALESCE(SUM(LENGTH(status) * id + remains), 0) AS BIGINT) AS h FROM orders WHERE user_id = \(bind: userID)
                """).first()!.decode(column: "h", as: Int64.self)
            return Footprint(balance: balance, orders: try await count("orders WHERE user_id"),
                             refills: try await count("refills WHERE user_id"), ledger: try await count("ledger WHERE user_id"),
                             statusDigest: statuses)
        }
    }
}

/// A customer's balance, rows and order statuses at one moment.
struct Footprint: Sendable, Equatable, CustomStringConvertible {
    var balance: Int64
    var orders: Int64
    var refills: Int64
    var ledger: Int64
    /// Changes when any order's status or remains changes.
    var statusDigest: Int64

    var description: String { "balance \(balance), \(orders) orders, \(refills) refills, \(ledger) ledger rows, digest \(statusDigest)" }
}

/// Parses an answer as JSON, or nil.
func parseJSON(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
