import Foundation
import HummingbirdTesting
import SMMApp
import SMMDomain
import SMMStorage
import Testing

/// Orders and money end to end over live HTTP: charges, refunds once, drip-feed, refills,
/// idempotent retries, and the balance race.
@Suite struct OrderMoneyTests {
    @Test(arguments: TestEngine.available)
    func chargeStatusAndExactShapes(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "0.90")
            try await panel.live { api in
                let add = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                              ("link", "https://instagram.com/p/1"), ("quantity", "157")])
                #expect(add == #"{"order":1}"#)
                // 0.90 per 1000 × 157 = 0.1413 exactly.
                let status = try await api.call([("key", key), ("action", "status"), ("order", "1")])
                #expect(status == #"{"charge":"0.14130","start_count":"0","status":"Pending","remains":"157","currency":"USD"}"#)
                let balance = try await api.call([("key", key), ("action", "balance")])
                #expect(balance == #"{"balance":"9.85870","currency":"USD"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "9.8587")!)
            try await panel.expectLedgerClean()
        }
    }

    /// `add` charges the customer's own rate where the operator set one, everyone else the
    /// catalog's; the rate is read when the order is placed.
    @Test(arguments: TestEngine.available)
    func chargedAtTheCustomersOwnRate(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, aliceKey) = try await panel.customer("alice", balance: "10")
            let (bob, bobKey) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "0.90")
            try await panel.store.setCustomRate(userID: alice.id, serviceID: service.id, rate: Money(parsing: "0.5")!)
            try await panel.live { api in
                for (key, link) in [(aliceKey, "https://x.test/a"), (bobKey, "https://x.test/b")] {
                    _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "1000")])
                }
                try await panel.store.setCustomRate(userID: alice.id, serviceID: service.id, rate: nil)
                _ = try await api.call([("key", aliceKey), ("action", "add"), ("service", "\(service.id)"),
                                        ("link", "https://x.test/c"), ("quantity", "1000")])
            }
            #expect(try await panel.balance(of: alice) == Money(parsing: "8.6")!)
            #expect(try await panel.balance(of: bob) == Money(parsing: "9.1")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func partialRefundsOnceAndFinalStatesStayFinal(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "1")
            let service = try await panel.service(.default, rate: "0.90")
            try await panel.live { api in
                _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                        ("link", "https://x.test/a"), ("quantity", "157")])
            }
            try await panel.store.updateOrder(id: 1, OrderChange(status: .inProgress, startCount: 3572))
            let partial = try await panel.store.updateOrder(id: 1, OrderChange(status: .partial, remains: 57))
            // Refund = 0.14130 × 57 / 157 = 0.05130 (rounded down); the order keeps 0.09000.
            #expect(partial.charge == Money(parsing: "0.09")!)
            #expect(try await panel.balance(of: user) == Money(parsing: "0.9100")!)
            // A final order never changes again, so it is never refunded twice.
            await #expect(throws: PanelError.self) {
                try await panel.store.updateOrder(id: 1, OrderChange(status: .canceled))
            }
            await #expect(throws: PanelError.self) {
                try await panel.store.updateOrder(id: 1, OrderChange(status: .partial, remains: 100))
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "0.9100")!)
            try await panel.live { api in
                let status = try await api.call([("key", key), ("action", "status"), ("order", "1")])
                #expect(status == #"{"charge":"0.09000","start_count":"3572","status":"Partial","remains":"57","currency":"USD"}"#)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func fiftyRacingAddsForTwentyOrdersWorthOfBalance(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            // Each order costs exactly 1.00; the balance covers exactly 20 of them.
            let (user, key) = try await panel.customer(balance: "20")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 100_000)
            let answers = try await panel.live { api in
                let port = api.port
                return try await withThrowingTaskGroup(of: String.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            try await withExtraClient(port: port) { client in
                                try await client.postForm([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                           ("link", "https://race.test/\(index)"), ("quantity", "1000")])
                            }
                        }
                    }
                    var all: [String] = []
                    for try await answer in group { all.append(answer) }
                    return all
                }
            }
            let placed = answers.filter { $0.hasPrefix(#"{"order":"#) }
            let refused = answers.filter { $0 == #"{"error":"Not enough funds on balance"}"# }
            #expect(placed.count == 20, "answers: \(answers)")
            #expect(refused.count == 30)
            #expect(try await panel.balance(of: user) == .zero)
            #expect(try await panel.store.listOrders(.init(userID: user.id)).count == 20)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func cancelRefundsEverythingOnlyBeforeDeliveryStarts(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "5")
            let cancellable = try await panel.service(.default, rate: "2", cancel: true)
            let fixed = try await panel.service(.default, rate: "2", cancel: false, name: "no cancel")
            try await panel.live { api in
                for (link, service) in [("https://a.test/1", cancellable), ("https://a.test/2", cancellable), ("https://a.test/3", fixed)] {
                    _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "500")])
                }
                try await panel.store.updateOrder(id: 2, OrderChange(status: .inProgress))
                let answer = try await api.call([("key", key), ("action", "cancel"), ("orders", "1,2,3,77,abc")])
                #expect(answer == #"[{"order":1,"cancel":1},{"order":2,"cancel":{"error":"Cancel is not available for this order"}},{"order":3,"cancel":{"error":"Cancel is not available for this order"}},{"order":77,"cancel":{"error":"Incorrect order ID"}},{"order":"abc","cancel":{"error":"Incorrect order ID"}}]"#)
                // Canceling again changes nothing.
                let again = try await api.call([("key", key), ("action", "cancel"), ("order", "1")])
                #expect(again == #"[{"order":1,"cancel":{"error":"Cancel is not available for this order"}}]"#)
                let status = try await api.call([("key", key), ("action", "status"), ("order", "1")])
                #expect(status == #"{"charge":"0.00000","start_count":"0","status":"Canceled","remains":"500","currency":"USD"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "3")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func dripFeedChargesAllRunsAndSettlesFromItsChildren(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1", min: 100, max: 1000, dripFeed: true)
            let worker = panel.worker()
            try await panel.live { api in
                let add = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://drip.test"),
                                              ("quantity", "500"), ("runs", "3"), ("interval", "10")])
                #expect(add == #"{"order":1}"#)
                // 3 runs × 500 at 1.00 per 1000 = 1.50, charged up front.
                #expect(try await panel.balance(of: user) == Money(parsing: "8.5")!)
                await worker.runOnce()
                await worker.runOnce() // nothing due yet: still one run
                var status = try await api.call([("key", key), ("action", "status"), ("order", "1")])
                #expect(status == #"{"charge":"1.50000","start_count":"0","status":"In progress","remains":"1500","currency":"USD","runs":"3","orders":[2]}"#)
                panel.clock.advance(seconds: 600)
                await worker.runOnce()
                panel.clock.advance(seconds: 600)
                await worker.runOnce()
                panel.clock.advance(seconds: 600)
                await worker.runOnce() // all three runs started; no fourth
                status = try await api.call([("key", key), ("action", "status"), ("order", "1")])
                #expect(status.hasSuffix(#""runs":"3","orders":[2,3,4]}"#))
                // Runs 1 and 2 deliver fully, run 3 delivers 200 of 500.
                try await panel.store.updateOrder(id: 2, OrderChange(status: .completed))
                try await panel.store.updateOrder(id: 3, OrderChange(status: .completed))
                try await panel.store.updateOrder(id: 4, OrderChange(status: .partial, remains: 300))
                status = try await api.call([("key", key), ("action", "status"), ("order", "1")])
                // 300 of 1500 undelivered: refund 1.50 × 300 / 1500 = 0.30.
                #expect(status == #"{"charge":"1.20000","start_count":"0","status":"Partial","remains":"300","currency":"USD","runs":"3","orders":[2,3,4]}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "8.8")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func refillRulesWindowAndOnePending(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let refillable = try await panel.service(.default, rate: "1", refill: true)
            let plain = try await panel.service(.default, rate: "1", refill: false, name: "no refill")
            try await panel.live { api in
                for (link, service) in [("https://r.test/1", refillable), ("https://r.test/2", plain), ("https://r.test/3", refillable)] {
                    _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "100")])
                }
                // Not completed yet: no refill.
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "1")]) == #"{"error":"Refill is not available for this order"}"#)
                try await panel.store.updateOrder(id: 1, OrderChange(status: .completed))
                try await panel.store.updateOrder(id: 2, OrderChange(status: .completed))
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "1")]) == #"{"refill":"1"}"#)
                // One open refill per order.
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "1")]) == #"{"error":"Refill is not available for this order"}"#)
                let multi = try await api.call([("key", key), ("action", "refill"), ("orders", "1,2,3,999")])
                #expect(multi == #"[{"order":1,"refill":{"error":"Refill is not available for this order"}},{"order":2,"refill":{"error":"Refill is not available for this order"}},{"order":3,"refill":{"error":"Refill is not available for this order"}},{"order":999,"refill":{"error":"Incorrect order ID"}}]"#)
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "1")]) == #"{"status":"Pending"}"#)
                try await panel.store.updateRefill(id: 1, status: .completed)
                let statuses = try await api.call([("key", key), ("action", "refill_status"), ("refills", "1,2")])
                #expect(statuses == #"[{"refill":1,"status":"Completed"},{"refill":2,"status":{"error":"Refill not found"}}]"#)
                // After the 30-day window, no more refills.
                panel.clock.advance(seconds: 31 * 86_400)
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "1")]) == #"{"error":"Refill is not available for this order"}"#)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func requestIDMakesRetriesSafe(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let fields = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://idem.test"),
                              ("quantity", "1000"), ("request_id", "retry-42")]
                let first = try await api.call(fields)
                let second = try await api.call(fields)
                #expect(first == #"{"order":1}"#)
                #expect(second == first)
                let other = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                ("link", "https://idem.test/2"), ("quantity", "1000"), ("request_id", "retry-43")])
                #expect(other == #"{"order":2}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "8")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func anotherAccountsIDsLookUnknown(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, alice) = try await panel.customer("alice", balance: "10")
            let (_, bob) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                _ = try await api.call([("key", alice), ("action", "add"), ("service", "\(service.id)"), ("link", "https://mine.test"), ("quantity", "100")])
                try await panel.store.updateOrder(id: 1, OrderChange(status: .completed))
                _ = try await api.call([("key", alice), ("action", "refill"), ("order", "1")])
                #expect(try await api.call([("key", bob), ("action", "status"), ("order", "1")]) == #"{"error":"Incorrect order ID"}"#)
                #expect(try await api.call([("key", bob), ("action", "status"), ("orders", "1")]) == #"{"1":{"error":"Incorrect order ID"}}"#)
                #expect(try await api.call([("key", bob), ("action", "refill"), ("order", "1")]) == #"{"error":"Incorrect order ID"}"#)
                #expect(try await api.call([("key", bob), ("action", "refill_status"), ("refill", "1")]) == #"{"error":"Refill not found"}"#)
                #expect(try await api.call([("key", bob), ("action", "cancel"), ("orders", "1")]) == #"[{"order":1,"cancel":{"error":"Incorrect order ID"}}]"#)
            }
        }
    }
}
