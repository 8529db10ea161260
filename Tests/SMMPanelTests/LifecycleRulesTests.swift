import Foundation
import SMMDomain
@testable import SMMStorage
import SQLKit
import Testing

/// Rules an operator's hand could otherwise break: drip-feeds settle from their runs, orders
/// move forward only, one live subscription per account, retries answer as the first call.
@Suite struct LifecycleRulesTests {
    @Test(arguments: TestEngine.available)
    func aStartedDripFeedCanOnlyBeStoppedAndRefundsWhatWasNotDelivered(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1", min: 100, max: 1000, dripFeed: true)
            let worker = panel.worker()
            try await panel.live { api in
                _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://stop.test"),
                                        ("quantity", "100"), ("runs", "4"), ("interval", "5")])
                await worker.runOnce()
                panel.clock.advance(seconds: 300)
                await worker.runOnce() // runs 1 (order 2) and 2 (order 3) started
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "9.6")!)
            for decree in [OrderStatus.completed, .partial] {
                await #expect(throws: PanelError.self) { try await panel.store.updateOrder(id: 1, OrderChange(status: decree, remains: 10)) }
            }
            try await panel.store.updateOrder(id: 2, OrderChange(status: .completed))
            // Run 2 is still open; stopping cancels it and the two runs never started.
            let stopped = try await panel.store.updateOrder(id: 1, OrderChange(status: .canceled))
            #expect(stopped.status == .partial)
            #expect(stopped.remains == 300)
            #expect(stopped.charge == Money(parsing: "0.1")!)
            #expect(try await panel.store.order(id: 3)?.status == .canceled)
            #expect(try await panel.balance(of: user) == Money(parsing: "9.9")!)
            // No more runs, and the finished order stays as it is.
            panel.clock.advance(seconds: 3600)
            await worker.runOnce()
            #expect(try await panel.store.childOrderIDs(parentIDs: [1])[1] == [2, 3])
            await #expect(throws: PanelError.self) { try await panel.store.updateOrder(id: 3, OrderChange(status: .completed)) }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func anOrderBeingDeliveredCannotBeReopenedForACancel(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1", cancel: true)
            try await panel.live { api in
                _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://fwd.test"), ("quantity", "1000")])
                try await panel.store.updateOrder(id: 1, OrderChange(status: .inProgress, startCount: 10))
                let backwards = await #expect(throws: PanelError.self) {
                    try await panel.store.updateOrder(id: 1, OrderChange(status: .pending))
                }
                #expect(backwards?.message == "an order moves forward only: In progress cannot go back to Pending")
                #expect(try await api.call([("key", key), ("action", "cancel"), ("order", "1")])
                        == #"[{"order":1,"cancel":{"error":"Cancel is not available for this order"}}]"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "9")!)
        }
    }

    /// The busy-link rule is checked before the charge: a second order on a busy link answers
    /// the active-order message even when the balance could not pay it (the unique index alone
    /// would let the charge refuse first, with "Not enough funds").
    @Test(arguments: TestEngine.available)
    func aBusyLinkIsReportedBeforeTheBalanceIsCharged(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "1.5")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 10_000)
            try await panel.live { api in
                let add = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://busy.test/p"), ("quantity", "1000")]
                #expect(try await api.call(add) == #"{"order":1}"#)
                let before = try await panel.footprint(of: user.id)
                #expect(try await api.call(add) == #"{"error":"You have active order with this link. Please wait until order being completed."}"#)
                #expect(try await panel.footprint(of: user.id) == before)
                // Another link with the same too-small balance is refused for the money.
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://free.test/p"),
                                            ("quantity", "1000")]) == #"{"error":"Not enough funds on balance"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "0.5")!)
        }
    }

    @Test(arguments: TestEngine.available)
    func oneLiveSubscriptionPerAccountAndService(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.subscriptions, rate: "1", min: 50, max: 500)
            try await panel.live { api in
                let add = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("username", "natgeo"), ("min", "50"), ("max", "100")]
                #expect(try await api.call(add) == #"{"order":1}"#)
                #expect(try await api.call(add) == #"{"error":"You have active order with this link. Please wait until order being completed."}"#)
                try await panel.store.updateOrder(id: 1, OrderChange(status: .paused))
                #expect(try await api.call(add).contains("You have active order with this link"))
                try await panel.store.updateOrder(id: 1, OrderChange(status: .canceled))
                #expect(try await api.call(add) == #"{"order":2}"#)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func aRetryAnswersAsTheFirstCallEvenAfterTheServiceChanged(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let add = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://again.test"),
                           ("quantity", "1000"), ("request_id", "r-1")]
                #expect(try await api.call(add) == #"{"order":1}"#)
                try await panel.store.setServiceEnabled(id: service.id, false)
                #expect(try await api.call(add) == #"{"order":1}"#)
                #expect(try await api.call(add.dropLast() + [("request_id", "r-2")]) == #"{"error":"Incorrect service ID"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "9")!)
        }
    }

    @Test func theActiveLinkIndexCoversExactlyTheActiveStatuses() throws {
        let index = try #require(Migrations.all.flatMap(\.statements).first { $0.contains("orders_active_link") })
        let listed = index.split(separator: "(").last!.split(separator: ")").first!
            .split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '")) }
        #expect(listed == OrderStatus.activeStatuses.map(\.rawValue))
    }

    @Test(arguments: TestEngine.available)
    func balancesStayFarFromOverflow(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, _) = try await panel.customer(balance: "0")
            _ = try await panel.store.addFunds(userID: user.id, amount: Money.maximumBalance, memo: "max")
            let over = await #expect(throws: PanelError.self) {
                _ = try await panel.store.addFunds(userID: user.id, amount: Money(minorUnits: 1), memo: "one more")
            }
            #expect(over?.message == "the balance would exceed 10000000000000.00000")
            await #expect(throws: PanelError.self) {
                _ = try await panel.store.addFunds(userID: user.id, amount: Money(minorUnits: .max), memo: "absurd")
            }
            #expect(try await panel.balance(of: user) == Money.maximumBalance)
            try await panel.expectLedgerClean()
        }
    }
}

/// The one-active-order-per-link check runs on every `add`: it must find its answer through the
/// partial index, whatever the number of orders (with the statuses bound as parameters SQLite
/// walked every pending order instead).
@Suite struct ActiveLinkQueryPlanTests {
    @Test func theLinkCheckSearchesTheActiveLinkIndex() async throws {
        try await TestPanel.with(.sqlite) { panel in
            let plan = try await panel.store.backend.read { db in
                try await db.raw("""
                    EXPLAIN QUERY PLAN SELECT id FROM orders WHERE service_id = \(bind: Int64(1)) AND link = \(bind: "https://a.test")
                    AND \(unsafeRaw: PanelStore.activeLinkCondition) LIMIT 1
                    """).all().map { try $0.decode(column: "detail", as: String.self) }
            }
            #expect(plan == ["SEARCH orders USING INDEX orders_active_link (service_id=? AND link=?)"])
        }
    }

    /// A status-sync claim walks the sync index in its own order: no sort of every order
    /// checked at the same second (all unchecked orders share 0), which made syncing 100,000
    /// orders quadratic.
    @Test func theSyncClaimReadsTheSyncIndexInOrder() async throws {
        try await TestPanel.with(.sqlite) { panel in
            let plan = try await panel.store.backend.read { db in
                var query: SQLQueryString = "EXPLAIN QUERY PLAN "
                query += PanelStore.syncClaim(providerID: 1, checkedBefore: 10, now: 11, limit: 100, skipLocked: "")
                return try await db.raw(query).all().map { try $0.decode(column: "detail", as: String.self) }
            }
            // (A covering index or not depends on the table's statistics.)
            #expect(plan.contains { $0.hasPrefix("SEARCH upstream_orders USING") && $0.hasSuffix("INDEX upstream_orders_sync_order (provider_id=? AND checked_at<?)") },
                    "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
    }
}
