import Logging
import NIOCore
import SMMDatabase
import SMMDomain
import SMMStorage
import SQLKit
import Synchronization
import Testing

/// A database that fails the first statement matching a pattern, as a crash or a lost
/// connection would in the middle of a transaction.
final class FaultyBackend: DatabaseBackend {
    let inner: any DatabaseBackend
    let failures: Mutex<[String]>

    init(_ inner: any DatabaseBackend) {
        self.inner = inner
        self.failures = Mutex([])
    }

    /// The next statement containing `pattern` fails (once).
    func failNext(_ pattern: String) { failures.withLock { $0.append(pattern) } }

    var engine: SQLEngine { inner.engine }

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.read { try await body(FaultyDatabase(inner: $0, backend: self)) }
    }

    func scan<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.scan { try await body(FaultyDatabase(inner: $0, backend: self)) }
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await inner.transaction { try await body(FaultyDatabase(inner: $0, backend: self)) }
    }

    func uniqueViolation(in error: any Error) -> String? { inner.uniqueViolation(in: error) }
    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await inner.exclusively(key, body)
    }
    func shutdown() async throws { try await inner.shutdown() }

    func shouldFail(_ sql: String) -> Bool {
        failures.withLock { patterns in
            guard let index = patterns.firstIndex(where: { sql.contains($0) }) else { return false }
            patterns.remove(at: index)
            return true
        }
    }
}

struct InjectedFault: Error {}

struct FaultyDatabase: SQLDatabase {
    let inner: any SQLDatabase
    let backend: FaultyBackend

    var logger: Logger { inner.logger }
    var eventLoop: any EventLoop { inner.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { inner.version }
    var dialect: any SQLDialect { inner.dialect }
    var queryLogLevel: Logger.Level? { inner.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        if backend.shouldFail(serializer.sql) { return eventLoop.makeFailedFuture(InjectedFault()) }
        return inner.execute(sql: query, onRow)
    }
}

/// A failure at any point of a money-moving transaction leaves no trace: no order without its
/// charge, no charge without its order, no refund without its status.
@Suite struct FaultInjectionTests {
    @Test(arguments: TestEngine.available)
    func failedLedgerWriteLeavesNoOrderAndNoCharge(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, _) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            let faulty = FaultyBackend(panel.store.backend)
            let store = PanelStore(backend: faulty, clock: panel.clock)
            let fields = ["link": "https://fault.test", "quantity": "1000"]

            for statement in ["INSERT INTO orders", "UPDATE users", "INSERT INTO ledger"] {
                faulty.failNext(statement)
                await #expect(throws: InjectedFault.self) {
                    _ = try await store.placeOrder(user: user, service: service, fields: fields)
                }
                #expect(try await panel.balance(of: user) == Money(parsing: "10")!, "after a fault at \(statement)")
                #expect(try await panel.store.listOrders(.init()).isEmpty, "after a fault at \(statement)")
                try await panel.expectLedgerClean()
            }
            // The same request then succeeds exactly once; the link is not left blocked.
            let order = try await store.placeOrder(user: user, service: service, fields: fields)
            #expect(order.charge == Money(parsing: "1")!)
            #expect(try await panel.balance(of: user) == Money(parsing: "9")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func failedRefundLeavesTheOrderOpenAndRetryRefundsOnce(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, _) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "2")
            let faulty = FaultyBackend(panel.store.backend)
            let store = PanelStore(backend: faulty, clock: panel.clock)
            let order = try await store.placeOrder(user: user, service: service, fields: ["link": "https://f.test", "quantity": "1000"])
            try await store.updateOrder(id: order.id, OrderChange(status: .inProgress))

            faulty.failNext("INSERT INTO ledger")
            await #expect(throws: InjectedFault.self) {
                try await store.updateOrder(id: order.id, OrderChange(status: .partial, remains: 250))
            }
            #expect(try await panel.store.order(id: order.id)?.status == .inProgress)
            #expect(try await panel.balance(of: user) == Money(parsing: "8")!)

            let settled = try await store.updateOrder(id: order.id, OrderChange(status: .partial, remains: 250))
            #expect(settled.charge == Money(parsing: "1.5")!)
            #expect(try await panel.balance(of: user) == Money(parsing: "8.5")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func ledgerCheckFindsTamperedBooks(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, _) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            _ = try await panel.store.placeOrder(user: user, service: service, fields: ["link": "https://t.test", "quantity": "1000"])
            try await panel.expectLedgerClean()
            // Money that appears without a ledger row (5 minor units), and an order whose charge was edited.
            try await panel.store.backend.transaction { db in
                try await db.raw("UPDATE users SET balance = balance + 5 WHERE id = \(bind: user.id)").run()
                try await db.raw("UPDATE orders SET charge = 1 WHERE id = 1").run()
            }
            let problems = try await panel.store.ledgerProblems()
            #expect(problems == [
                "user alice: balance 9.00005 but ledger rows add up to 9.00000",
                "order 1: charge 0.00001 but the ledger took 1.00000",
            ])
        }
    }

    @Test(arguments: TestEngine.available)
    func databaseRefusesNegativeBalancesAndDoubleRefunds(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, _) = try await panel.customer(balance: "1")
            await #expect(throws: (any Error).self) {
                try await panel.store.backend.transaction { db in
                    try await db.raw("UPDATE users SET balance = -1 WHERE id = \(bind: user.id)").run()
                }
            }
            let service = try await panel.service(.default, rate: "1")
            _ = try await panel.store.placeOrder(user: user, service: service, fields: ["link": "https://d.test", "quantity": "100"])
            try await panel.store.updateOrder(id: 1, OrderChange(status: .canceled))
            await #expect(throws: (any Error).self) {
                try await panel.store.backend.transaction { db in
                    try await db.raw("""
                        INSERT INTO ledger (user_id, amount, balance_after, kind, order_id, memo, created_at)
                        VALUES (\(bind: user.id), 100, 0, 'refund', 1, 'again', 0)
                        """).run()
                }
            }
            try await panel.expectLedgerClean()
        }
    }
}
