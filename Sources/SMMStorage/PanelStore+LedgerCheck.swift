import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    /// Audits the books: every balance equals the sum of its ledger rows, every top-level
    /// order's charge equals what its ledger rows took, no order was refunded twice, no
    /// balance is negative, every ledger row has its audit row. Returns one line per problem; empty means clean.
    public func ledgerProblems() async throws -> [String] {
        try await backend.scan { db in
            var problems: [String] = []
            for row in try await db.raw("""
                SELECT u.id, u.username, u.balance, CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) AS total
                FROM users u LEFT JOIN ledger l ON l.user_id = u.id
                GROUP BY u.id, u.username, u.balance
                HAVING u.balance <> CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) OR u.balance < 0
                """).all() {
                let name = try row.decode(column: "username", as: String.self)
                let balance = Money(minorUnits: try row.decode(column: "balance", as: Int64.self))
                let total = Money(minorUnits: try row.decode(column: "total", as: Int64.self))
                problems.append("user \(name): balance \(balance) but ledger rows add up to \(total)")
            }
            for row in try await db.raw("""
                SELECT order_id, CAST(COUNT(*) AS BIGINT) AS refunds FROM ledger WHERE kind = \(state: LedgerKind.refund)
                GROUP BY order_id HAVING COUNT(*) > 1
                """).all() {
                let order: OrderID = try row.id("order_id")
                let count = try row.decode(column: "refunds", as: Int64.self)
                problems.append("order \(order): refunded \(count) times")
            }
            for row in try await db.raw("""
                SELECT o.id, o.charge, CAST(COALESCE(-SUM(l.amount), 0) AS BIGINT) AS taken
                FROM orders o LEFT JOIN ledger l ON l.order_id = o.id
                WHERE o.parent_id IS NULL
                GROUP BY o.id, o.charge
                HAVING o.charge <> CAST(COALESCE(-SUM(l.amount), 0) AS BIGINT)
                """).all() {
                let order = try row.decode(column: "id", as: Int64.self)
                let charge = Money(minorUnits: try row.decode(column: "charge", as: Int64.self))
                let taken = Money(minorUnits: try row.decode(column: "taken", as: Int64.self))
                problems.append("order \(order): charge \(charge) but the ledger took \(taken)")
            }
            // Every ledger row has its audit row, telling the same balances.
            for row in try await db.raw("""
                SELECT l.id FROM ledger l LEFT JOIN audit_log a ON a.ledger_id = l.id
                WHERE a.id IS NULL OR a.after_state <> CAST(l.balance_after AS TEXT)
                   OR a.before_state <> CAST(l.balance_after - l.amount AS TEXT) OR a.target <> 'user:' || CAST(l.user_id AS TEXT)
                """).all() {
                problems.append("ledger row \(try row.decode(column: "id", as: Int64.self)): no audit row telling the same change")
            }
            return problems
        }
    }
}
