import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import NIOCore
import Prometheus
import SMMApp
import SMMDomain
@testable import SMMProviders
import SMMStorage
import Testing

/// Following provider-backed orders: status sync in every dialect, refunds exactly once,
/// batching without starvation, forwarded cancels and refills, mirrored drip-feed runs, and
/// the metrics of it all.
@Suite struct ProviderEngineSyncTests {
    struct Case: Sendable {
        var status: FakeJSON
        var remains: FakeJSON? = nil
        var startCount: FakeJSON? = nil
        var charge: FakeJSON? = nil
        var error: String? = nil
        var expected: OrderStatus
        var expectedRemains: Int64 = 1000
        var expectedStart: Int64 = 0
        var review: String? = nil
        var refund = "0"
        var cost: String? = nil
    }

    static let dialectCases: [Case] = [
        Case(status: .string("completed"), remains: .string("0"), charge: .string("0.27819"), expected: .completed, expectedRemains: 0,
             cost: "0.27819"),
        Case(status: .string("COMPLETED"), remains: .number("-20"), charge: .number("0.5"), expected: .completed, expectedRemains: -20,
             cost: "0.5"),
        Case(status: .string("Cancelled"), expected: .canceled, refund: "1"),
        Case(status: .string("Refunded"), remains: .string("0"), expected: .canceled, refund: "1"),
        Case(status: .string("inprogress"), remains: .string("400"), startCount: .number("3572"), charge: .string("0.123456"),
             expected: .inProgress, expectedRemains: 400, expectedStart: 3572, cost: "0.12346"),
        Case(status: .string("in_progress"), remains: .string("Unknown"), startCount: .string("12"), expected: .inProgress, expectedStart: 12),
        Case(status: .string("In progress"), remains: .string("1500"), expected: .inProgress),
        // Not started: remains are the panel's column default, not news (issue 20).
        Case(status: .string("Processing"), remains: .number("999"), expected: .processing),
        Case(status: .string("Partial"), remains: .string("250"), expected: .partial, expectedRemains: 250, refund: "0.25"),
        Case(status: .string("partial"), remains: .number("1000"), expected: .canceled, refund: "1"),
        Case(status: .string("Partial"), remains: .string("1500"), expected: .canceled, refund: "1"),
        Case(status: .string("Partial"), remains: .string("-5"), expected: .completed, expectedRemains: -5),
        Case(status: .string("Partial"), remains: .string("Unknown"), expected: .pending, review: "Partial without a usable remains"),
        Case(status: .string("Partial"), remains: .string(""), expected: .pending, review: "Partial without a usable remains"),
        Case(status: .number("2"), expected: .pending, review: #"unknown upstream status "2""#),
        Case(status: .string("Awaiting moderation"), expected: .pending, review: #"unknown upstream status "Awaiting moderation""#),
        Case(status: .string("Pending"), error: "Incorrect order ID", expected: .pending,
             review: "the provider answers for this order: Incorrect order ID"),
    ]

    @Test(arguments: TestEngine.available)
    func statusSyncReadsEveryDialectAndRefundsOnce(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "100")
                let cases = Self.dialectCases
                var orders: [Order] = []
                for index in cases.indices {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                }
                #expect(try await up.engine.dispatchRound() == cases.count)
                for (order, item) in zip(orders, cases) {
                    let remote = try await up.remote(order.id)
                    up.fake.report(remote, status: item.status, startCount: item.startCount, remains: item.remains, charge: item.charge)
                    if let error = item.error { up.fake.update(remote) { $0.error = error } }
                }
                #expect(try await up.engine.statusRound() == 1)
                #expect(up.fake.statusCallSizes == [cases.count])

                var refunds = Money.zero
                for (index, (order, item)) in zip(orders, cases).enumerated() {
                    let local = try await up.order(order.id)
                    let info = try await up.info(order.id)
                    #expect(local.status == item.expected, "case \(index)")
                    if item.expected != .canceled { #expect(local.remains == item.expectedRemains, "case \(index)") }
                    #expect(local.startCount == item.expectedStart, "case \(index)")
                    #expect(local.charge == money("1") - money(item.refund), "case \(index)")
                    if let review = item.review {
                        #expect(info.reason.contains(review), "case \(index): \(info.reason)")
                    } else {
                        #expect(info.reason.isEmpty, "case \(index): \(info.reason)")
                    }
                    // The fake reports a charge of 0.00000 unless told otherwise; an error reports none.
                    #expect(info.cost == (item.error == nil ? money(item.cost ?? "0") : nil), "case \(index)")
                    #expect(info.state == (local.status.isFinal ? .closed : .sent), "case \(index)")
                    refunds = refunds + money(item.refund)
                }
                #expect(refunds == money("4.25"))
                let expectedBalance = money("100") - Money(minorUnits: money("1").minorUnits * Int64(cases.count)) + refunds
                #expect(try await panel.balance(of: user) == expectedBalance)
                let reviewed = cases.indices.filter { cases[$0].review != nil }.map { orders[$0].id }
                let attention = try await up.store.attentionItems()
                #expect(Set(attention.map(\.orderID)) == Set(reviewed))
                #expect(attention.allSatisfy { $0.review && $0.state == .sent })

                // Profit is visible: what the customer paid minus what the provider charged.
                let first = try await up.order(orders[0].id)
                #expect(first.charge - (try await up.info(orders[0].id).cost!) == money("0.72181"))

                // Again, with the same answers: only open orders are asked, nothing is refunded twice.
                let open = orders.indices.filter { !cases[$0].expected.isFinal }.count
                #expect(try await up.syncAgain() == 1)
                #expect(up.fake.statusCallSizes.last == open)
                #expect(try await panel.balance(of: user) == expectedBalance)

                // A closed order's later report changes nothing (no second refund).
                let partial = try await up.order(orders[8].id)
                let replay = try await up.store.applyUpstreamReport(
                    orderID: partial.id,
                    UpstreamReport(.status(.known(.canceled), label: "Canceled", startCount: nil, remains: nil, charge: nil, children: [])),
                    raw: "")
                #expect(replay?.status == .partial)
                #expect(try await panel.balance(of: user) == expectedBalance)

                // A reviewed order that reports a readable status again leaves review.
                let awaiting = orders[15]
                up.fake.report(try await up.remote(awaiting.id), status: .string("Completed"), remains: .string("0"))
                try await up.syncAgain()
                #expect(try await up.order(awaiting.id).status == .completed)
                #expect(try await up.info(awaiting.id).reason.isEmpty)
                #expect(try await panel.balance(of: user) == expectedBalance)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func numericStatusCodesReadThroughTheProvidersTable(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let codes: [Int: OrderStatus] = [0: .pending, 1: .inProgress, 2: .completed, 3: .partial, 4: .canceled]
            try await panel.withUpstream(statusCodes: codes) { up in
                #expect(up.provider.statusCodes == codes)
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                var orders: [Order] = []
                for index in 0..<5 {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                }
                #expect(try await up.engine.dispatchRound() == 5)
                let reports: [(FakeJSON, FakeJSON)] = [(.number("1"), .string("100")), (.string("2"), .string("0")), (.number("4"), .string("0")),
                                                       (.number("3"), .number("600")), (.number("9"), .string("0"))]
                for (order, (status, remains)) in zip(orders, reports) {
                    up.fake.report(try await up.remote(order.id), status: status, remains: remains)
                }
                try await up.engine.statusRound()
                #expect(try await up.order(orders[0].id).status == .inProgress)
                #expect(try await up.order(orders[0].id).remains == 100)
                #expect(try await up.order(orders[1].id).status == .completed)
                #expect(try await up.order(orders[2].id).status == .canceled)
                #expect(try await up.order(orders[3].id).status == .partial)
                #expect(try await up.order(orders[4].id).status == .pending)
                #expect(try await up.info(orders[4].id).reason == #"unknown upstream status "9""#)
                // 10 − 5 + 1 (canceled) + 0.6 (partial, 600 of 1000 undelivered)
                #expect(try await panel.balance(of: user) == money("6.6"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func twoHundredFiftyOrdersSyncInThreeCallsLeastRecentlyCheckedFirst(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(settings: { $0.dispatchBatch = 250; $0.dispatchConcurrency = 16 }) { up in
                let service = try await up.importService(1, rate: "0.01")
                let (user, _) = try await panel.customer(balance: "100")
                var ids: [OrderID] = []
                for index in 0..<250 {
                    ids.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "100"]).id)
                }
                #expect(try await up.engine.dispatchRound() == 250)
                #expect(up.fake.orders.count == 250)
                let remote = try await up.store.upstreamInfo(orderIDs: ids).mapValues { $0.upstreamOrderID! }
                let byRemote = Dictionary(uniqueKeysWithValues: remote.map { ($1, $0) })

                #expect(try await up.engine.statusRound() == 3)
                #expect(up.fake.statusCallSizes == [100, 100, 50])
                #expect(Set(up.fake.statusCallIDs.flatMap { $0 }) == Set(remote.values))
                // Checked just now: nothing is due yet.
                #expect(try await up.engine.statusRound() == 0)

                // The second call of the next round fails: its 100 count as checked, the last
                // 50 are not reached.
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                up.fake.configure { state in
                    // Fail the second call, not the first: move the fault behind a clean one.
                    state.faults[.status] = [FakeUpstream.PlannedFault(fault: .slow, afterActing: true),
                                             FakeUpstream.PlannedFault(fault: .http(502), afterActing: false)]
                }
                #expect(try await up.engine.statusRound() == 2)
                let starved = Set(remote.values).subtracting(up.fake.statusCallIDs.suffix(2).flatMap { $0 })
                #expect(starved.count == 50)

                // Next round: the 50 left out come first.
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                #expect(try await up.engine.statusRound() == 3)
                let next = up.fake.statusCallIDs.suffix(3)
                #expect(next.map(\.count) == [100, 100, 50])
                #expect(starved.isSubset(of: Set(next.first!)))
                #expect(Set(next.flatMap { $0 }).count == 250)
                // The starved ones are the last 50 orders, which the first round reached last.
                #expect(starved.map { byRemote[$0]! }.sorted() == Array(ids.suffix(50)))
                #expect(try await panel.balance(of: user) == money("99.75"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func customerCancelIsForwardedAndRefundedOnceWhenTheProviderCancels(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let sent = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                let refused = try await up.place(user, service, ["link": "https://x.test/2", "quantity": "1000"])
                #expect(try await up.engine.dispatchRound() == 2)
                let queued = try await up.place(user, service, ["link": "https://x.test/3", "quantity": "1000"])
                #expect(try await panel.balance(of: user) == money("7"))

                // A queued order is canceled here and now, and never sent.
                let canceled = try await up.store.cancelOrder(id: queued.id, userID: user.id)
                #expect(canceled.status == .canceled)
                #expect(try await up.info(queued.id).state == .closed)
                #expect(try await up.engine.dispatchRound() == 0)
                #expect(up.fake.calls(.add) == 2)
                #expect(try await panel.balance(of: user) == money("8"))

                // A sent order: the request goes to the provider; the refund waits for its Canceled.
                #expect(try await up.store.cancelOrder(id: sent.id, userID: user.id).status == .pending)
                #expect(try await up.store.cancelOrder(id: refused.id, userID: user.id).status == .pending)
                // Asking twice queues one request.
                #expect(try await up.store.cancelOrder(id: sent.id, userID: user.id).status == .pending)
                let (sentRemote, refusedRemote) = (try await up.remote(sent.id), try await up.remote(refused.id))
                up.fake.configure { $0.cancelRefusals[refusedRemote] = "Cancel is not available for this order" }
                #expect(try await panel.balance(of: user) == money("8"))
                #expect(try await up.engine.cancelRound() == 2)
                #expect(up.fake.calls(.cancel) == 1)
                #expect(up.fake.order(sentRemote)?.cancels == 1 && up.fake.order(refusedRemote)?.cancels == 1)
                #expect(try await up.engine.cancelRound() == 0)
                #expect(try await up.info(refused.id).reason == "the provider refused the cancel: Cancel is not available for this order")

                try await up.engine.statusRound()
                #expect(try await up.order(sent.id).status == .canceled)
                #expect(try await up.order(refused.id).status == .pending)
                #expect(try await panel.balance(of: user) == money("9"))
                for _ in 0..<3 { try await up.syncAgain() }
                #expect(try await panel.balance(of: user) == money("9"))
                #expect(up.fake.statusCallIDs.dropFirst().allSatisfy { $0 == [String(refusedRemote)] })

                // Refused, the cancel has ended: the customer's next try is refused as well (it
                // would end the same way); the operator's cancel refunds here and asks again.
                await #expect(throws: PanelError.cancelNotAvailable) { _ = try await up.store.cancelOrder(id: refused.id, userID: user.id) }
                up.fake.configure { $0.cancelRefusals = [:] }
                try await up.store.updateOrder(id: refused.id, OrderChange(status: .canceled))
                #expect(try await up.engine.cancelRound() == 1)
                #expect(up.fake.order(refusedRemote)?.cancels == 2)
                #expect(try await up.order(refused.id).status == .canceled)
                #expect(try await panel.balance(of: user) == money("10"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func cancelClaimAbandonedMidCallIsForwardedAgain(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                #expect(try await up.engine.dispatchRound() == 1)
                _ = try await up.store.cancelOrder(id: order.id, userID: user.id)
                // A cancel round claims the request and dies before the provider answers.
                #expect(try await up.store.claimCancels(providerID: up.provider.id, lease: 120).count == 1)
                panel.clock.advance(seconds: 119)
                #expect(try await up.engine.cancelRound() == 0)
                panel.clock.advance(seconds: 2)
                #expect(try await up.engine.cancelRound() == 1)
                #expect(up.fake.order(7001)?.cancels == 1)
                #expect(try await up.engine.cancelRound() == 0)
                try await up.syncAgain()
                #expect(try await up.order(order.id).status == .canceled)
                #expect(try await panel.balance(of: user) == money("10"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func refillsAreForwardedAndTheirStatusMirrored(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00", refill: true)
                let (user, _) = try await panel.customer(balance: "10")
                let first = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                let second = try await up.place(user, service, ["link": "https://x.test/2", "quantity": "1000"])
                #expect(try await up.engine.dispatchRound() == 2)
                let (firstRemote, secondRemote) = (try await up.remote(first.id), try await up.remote(second.id))
                up.fake.report(firstRemote, status: .string("Completed"), remains: .string("0"))
                up.fake.report(secondRemote, status: .string("Completed"), remains: .string("0"))
                try await up.engine.statusRound()
                let refill = try await up.store.createRefill(orderID: first.id, userID: user.id)
                let rejected = try await up.store.createRefill(orderID: second.id, userID: user.id)
                up.fake.configure { $0.refillRefusals[secondRemote] = "Refill is not available for this order" }

                // Forwarded, then checked in the same round.
                #expect(try await up.engine.refillRound() == 3)
                #expect(up.fake.calls(.refill) == 1 && up.fake.calls(.refillStatus) == 1)
                #expect(up.fake.refills.map(\.orderID) == [firstRemote])
                func local(_ id: RefillID) async throws -> RefillStatus { try await up.store.refills(ids: [id], userID: user.id)[id]!.status }
                #expect(try await local(refill.id) == .pending)
                #expect(try await local(rejected.id) == .rejected)

                up.fake.configure { $0.refills[901]?.status = .string("inprogress") }
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                try await up.engine.refillRound()
                #expect(try await local(refill.id) == .inProgress)
                up.fake.configure { $0.refills[901]?.status = .string("COMPLETED") }
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                try await up.engine.refillRound()
                #expect(try await local(refill.id) == .completed)
                // Final: no more checks.
                let checks = up.fake.calls(.refillStatus)
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                #expect(try await up.engine.refillRound() == 0)
                #expect(up.fake.calls(.refillStatus) == checks && up.fake.calls(.refill) == 1)
                #expect(try await panel.balance(of: user) == money("8"))
            }
            try await panel.expectLedgerClean()
        }
    }

    /// A refill the provider refuses because of us (our balance there, our key) is not the
    /// customer's fault: it stays open and is asked again, while a refusal about the order
    /// itself rejects it.
    @Test(arguments: TestEngine.available)
    func aRefillRefusedForTheProvidersOwnProblemIsAskedAgain(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00", refill: true)
                let (user, _) = try await panel.customer(balance: "10")
                var orders: [Order] = []
                for index in 1...3 { orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"])) }
                #expect(try await up.engine.dispatchRound() == 3)
                var remotes: [Int] = []
                for order in orders {
                    remotes.append(try await up.remote(order.id))
                    up.fake.report(remotes.last!, status: .string("Completed"), remains: .string("0"))
                }
                try await up.engine.statusRound()
                var refills: [RefillID] = []
                for order in orders { refills.append(try await up.store.createRefill(orderID: order.id, userID: user.id).id) }
                up.fake.configure {
                    $0.refillRefusals[remotes[0]] = "Not enough funds on balance"
                    $0.refillRefusals[remotes[1]] = "Invalid API key"
                    $0.refillRefusals[remotes[2]] = "Refill is disabled for this service"
                }
                func local(_ id: RefillID) async throws -> RefillStatus { try await up.store.refills(ids: [id], userID: user.id)[id]!.status }

                try await up.engine.refillRound()
                #expect(up.fake.calls(.refill) == 1)
                #expect(try await local(refills[0]) == .pending)
                #expect(try await local(refills[1]) == .pending)
                #expect(try await local(refills[2]) == .rejected)
                // Ours to fix: the operator is told, as when an order is held for it.
                func alert() async throws -> String { try #require(try await up.store.provider(id: up.provider.id)).alert }
                let raised = "our balance at the provider is too low (Not enough funds on balance); refills wait and are asked again "
                    + "every \(up.engine.settings.recheckAfter) seconds: top up, then `smmpanel provider resend \(up.provider.name)`"
                #expect(try await alert() == raised)

                // Not before its time; then, the operator having topped up and fixed the key, sent.
                try await up.engine.refillRound()
                #expect(up.fake.calls(.refill) == 1)
                up.fake.configure { $0.refillRefusals = [:] }
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                try await up.engine.refillRound()
                #expect(up.fake.calls(.refill) == 2)
                #expect(Set(up.fake.refills.map(\.orderID)) == [remotes[0], remotes[1]])
                #expect(try await local(refills[0]) == .pending)
                #expect(try await local(refills[1]) == .pending)

                // An alert already raised is not replaced by the next refusal.
                let next = try await up.store.createRefill(orderID: orders[2].id, userID: user.id).id
                up.fake.configure { $0.refillRefusals[remotes[2]] = "Invalid API key" }
                try await up.engine.refillRound()
                #expect(try await local(next) == .pending)
                #expect(try await alert() == raised)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func dripFeedRunsAreMirroredAndTheParentSettlesOnce(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00", dripFeed: true)
                let (user, _) = try await panel.customer(balance: "10")
                let parent = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "100", "runs": "3", "interval": "10"])
                #expect(parent.quantity == 300 && parent.charge == money("0.3"))
                #expect(try await up.engine.dispatchRound() == 1)
                let remote = try await up.remote(parent.id)
                #expect(up.fake.order(remote)?.fields["runs"] == "3")
                // No local runs for a provider-backed drip-feed: the provider runs it.
                #expect(try await up.store.startDueDripFeedRuns() == 0)

                let run1 = up.fake.createOrder(fields: ["quantity": "100"])
                let run2 = up.fake.createOrder(fields: ["quantity": "100"])
                up.fake.update(remote) { order in
                    order.status = .string("In progress")
                    order.remains = .string("200")
                    order.extra = [("runs", .string("3")), ("orders", .array([.number(String(run1)), .number(String(run2))]))]
                }
                try await up.engine.statusRound()
                var children = try await up.store.childOrderIDs(parentIDs: [parent.id])[parent.id] ?? []
                #expect(children.count == 2)
                #expect(try await up.order(parent.id).status == .inProgress)
                // The runs are followed like any sent order.
                #expect(try await up.info(children[0]).upstreamOrderID == String(run1))
                up.fake.report(run1, status: .string("Completed"), remains: .string("0"))
                let run3 = up.fake.createOrder(fields: ["quantity": "100"])
                up.fake.update(remote) { order in
                    order.extra = [("runs", .number("3")), ("orders", .array([.string(String(run1)), .string(String(run2)), .number(String(run3))]))]
                }
                try await up.syncAgain()
                children = try await up.store.childOrderIDs(parentIDs: [parent.id])[parent.id] ?? []
                #expect(children.count == 3)
                try await up.syncAgain()
                #expect(try await up.order(children[0]).status == .completed)
                #expect(try await up.store.childOrderIDs(parentIDs: [parent.id])[parent.id]?.count == 3)

                // The provider ends the drip-feed Partial: the parent refunds the undelivered part once.
                up.fake.report(remote, status: .string("Partial"), remains: .string("150"))
                try await up.syncAgain()
                let settled = try await up.order(parent.id)
                #expect(settled.status == .partial && settled.remains == 150 && settled.charge == money("0.15"))
                #expect(try await panel.balance(of: user) == money("9.85"))
                up.fake.report(run2, status: .string("Canceled"))
                up.fake.report(run3, status: .string("Partial"), remains: .string("50"))
                try await up.syncAgain()
                try await up.syncAgain()
                #expect(try await panel.balance(of: user) == money("9.85"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func metricsShowSendsFailuresSyncLagAndLatency(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let registry = PrometheusCollectorRegistry()
            let metrics = ProviderMetrics(factory: PrometheusMetricsFactory(registry: registry))
            try await panel.withUpstream(metrics: metrics, settings: { $0.dispatchConcurrency = 1 }) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                for index in 1...3 {
                    _ = try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"])
                }
                up.fake.fail(.add, .http(500))
                up.fake.fail(.add, .error("Incorrect link"))
                #expect(try await up.engine.dispatchRound() == 3)
                panel.clock.advance(seconds: 15)
                #expect(try await up.engine.dispatchRound() == 1)
                panel.clock.advance(seconds: 100)
                up.fake.fail(.status, .notJSON)
                try await up.engine.statusRound()

                let app = Application(router: buildMetricsRouter(store: panel.store, metrics: registry))
                let text = try await app.test(.router) { client in
                    try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                }
                let lines = Set(text.split(separator: "\n").map(String.init))
                #expect(lines.contains(#"smmpanel_upstream_orders_sent_total{provider="up"} 2"#), "\(text)")
                #expect(lines.contains(#"smmpanel_upstream_send_failures_total{provider="up",kind="http_status"} 1"#))
                #expect(lines.contains(#"smmpanel_upstream_send_failures_total{provider="up",kind="permanent"} 1"#))
                #expect(lines.contains(#"smmpanel_upstream_sync_failures_total{provider="up",kind="not_json"} 1"#))
                // The oldest sent order was sent 100 s ago and the failed check counts as one.
                #expect(lines.contains("smmpanel_status_sync_lag_seconds 0.0"), "\(text)")
                #expect(lines.contains(#"smmpanel_upstream_call_duration_seconds_count{provider="up",action="add"} 4"#), "\(text)")
                #expect(lines.contains(#"smmpanel_upstream_call_duration_seconds_count{provider="up",action="status"} 1"#))
            }
            try await panel.expectLedgerClean()
        }
    }
}
