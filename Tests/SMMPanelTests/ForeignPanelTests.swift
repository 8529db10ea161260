import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import SMMDomain
@testable import SMMProviders
import SMMStorage
import Synchronization
import Testing

/// Issue 20: the reseller engine against a foreign panel (a widely deployed PHP script), with
/// that panel's exact answers: its key refusal, `{"status":"error","message":…}`, bare-string
/// per-order errors, `Service ID does not exists`, `Quantity is required`, `This action is
/// Invalid` for actions it lacks, and `remains` of "0" on orders not yet started.
@Suite struct ForeignPanelTests {
    static let keyRefusal = "API is Disable for this user or User Not Found! Contact the Support"

    // MARK: Item 10: a lone "\n" from a racing add

    /// That panel's `add` raced when sent 8 at once and answered some with a lone "\n" though
    /// it created every order. A provider without `request_id` now gets one `add` at a time, and
    /// an order answered so is held (it may exist there), never sent again nor refunded blindly;
    /// the operator links it to the upstream order and it is followed from then on.
    @Test(arguments: TestEngine.available)
    func aLoneNewlineToAddHoldsTheOrderAndSendsGoOneAtATime(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: false) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                var orders: [Order] = []
                for index in 0..<8 {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/n\(index)", "quantity": "1000"]))
                }
                up.fake.fail(.add, .body("\n"), afterActing: true)
                for _ in 0..<8 { up.fake.fail(.add, .slow, afterActing: true) }
                #expect(try await up.engine.dispatchRound() == 8)
                #expect(up.fake.maxAddsInFlight == 1)
                #expect(up.fake.orders.count == 8)
                let held = try #require(orders.first)
                let info = try await up.info(held.id)
                #expect(info.state == .held && info.reason.contains("not JSON"), "\(info)")
                #expect(try await up.store.attentionItems().map(\.orderID) == [held.id])
                // Nothing sends it again on its own.
                panel.clock.advance(seconds: 3600)
                #expect(try await up.engine.dispatchRound() == 0)
                #expect(up.fake.calls(.add) == 8)
                let remote = try #require(up.fake.orders.min { $0.id < $1.id })
                try await up.store.linkUpstreamOrder(orderID: held.id, upstreamOrderID: String(remote.id))
                #expect(try await up.info(held.id).state == .sent)
                #expect(try await up.store.attentionItems().isEmpty)
                #expect(try await panel.balance(of: user) == money("2"))
            }
            try await panel.expectLedgerClean()
        }
    }

    // MARK: Item 7: the key refusal

    @Test(arguments: TestEngine.available)
    func keyRefusalInItsWordingHoldsAlertsAndIsReleasedByResend(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: false) { up in
                let service = try await up.importService(1, rate: "1.00")
                await up.engine.balanceRound()
                #expect(try await up.store.provider(id: up.provider.id)?.balance == "100.84292")
                let (user, _) = try await panel.customer(balance: "10")
                let orders = [try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"]),
                              try await up.place(user, service, ["link": "https://x.test/2", "quantity": "1000"])]
                // Our key no longer works there.
                up.fake.configure {
                    $0.apiKey = "rotated"
                    $0.keyRefusal = Self.keyRefusal
                }
                #expect(try await up.engine.dispatchRound() == 2)
                for order in orders {
                    let info = try await up.info(order.id)
                    #expect(info.state == .held && info.reason == "provider: \(Self.keyRefusal)", "\(info)")
                }
                var provider = try #require(try await up.store.provider(id: up.provider.id))
                #expect(provider.alert.contains("the provider refuses our API key (\(Self.keyRefusal))"), "\(provider.alert)")
                // The balance check says so too, and no longer shows the old balance as live.
                try await up.store.setProviderAlert(id: up.provider.id, "")
                await up.engine.balanceRound()
                provider = try #require(try await up.store.provider(id: up.provider.id))
                #expect(provider.alert.contains("the provider refuses our API key"), "\(provider.alert)")
                #expect(provider.balance == nil)

                // Key fixed: `provider resend` releases exactly those orders.
                up.fake.configure { $0.apiKey = "upstream-key" }
                #expect(try await up.store.resendHeld(providerID: up.provider.id, reasonContaining: "provider: ") == 2)
                #expect(try await up.engine.dispatchRound() == 2)
                #expect(up.fake.orders.count == 2)
                for order in orders { #expect(try await up.info(order.id).state == .sent) }
            }
            try await panel.expectLedgerClean()
        }
    }

    /// `provider add` with a key the provider refuses creates nothing and says why; `provider
    /// list` shows the alert (and no stale balance) once the key stops working.
    @Test(arguments: TestEngine.available)
    func providerAddRefusesAKeyTheProviderRefusesAndListShowsTheAlert(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            let fake = FakeUpstream()
            fake.configure { $0.keyRefusal = Self.keyRefusal }
            try await fake.with { url in
                func smmpanel(_ arguments: String...) async throws -> CLITests.Run {
                    try await CLITests.smmpanel(arguments, database: database)
                }
                let refused = try await smmpanel("provider", "add", "up", "--url", url, "--key", "wrong-key", "--allow-http",
                                                 "--allow-private-address")
                #expect(refused.status != 0, "\(refused.output)")
                #expect(refused.output.contains(Self.keyRefusal), "\(refused.output)")
                #expect(!(try await smmpanel("provider", "list").output.contains(url)))

                let added = try await smmpanel("provider", "add", "up", "--url", url, "--key", "upstream-key", "--allow-http",
                                               "--allow-private-address")
                #expect(added.status == 0, "\(added.output)")
                fake.configure { $0.apiKey = "rotated" }
                let list = try await smmpanel("provider", "list").output
                #expect(list.contains("ALERT: the provider refuses our API key (\(Self.keyRefusal))"), "\(list)")
                #expect(list.contains("balance unknown"), "\(list)")
            }
        }
    }

    // MARK: Item 8: {"status":"error","message":…}

    @Test(arguments: TestEngine.available)
    func statusErrorMessageShapeIsReadAsARefusal(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: false) { up in
                let service = try await up.importService(1, rate: "1.00", dripFeed: true)
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "100", "runs": "5", "interval": "1"])
                up.fake.fail(.add, .statusError("Invalid Interval in minutes"))
                #expect(try await up.engine.dispatchRound() == 1)
                let info = try await up.info(order.id)
                // A refusal of this order, not "the provider may have it".
                #expect(info.state == .failed, "\(info)")
                #expect(info.reason == "the provider refused the order: Invalid Interval in minutes")
                #expect(try await up.order(order.id).status == .canceled)
                #expect(try await panel.balance(of: user) == money("10"))

                // The same shape for a whole multi-status call is a refused call, not 'no report'.
                _ = try await up.place(user, service, ["link": "https://x.test/2", "quantity": "100"])
                _ = try await up.place(user, service, ["link": "https://x.test/3", "quantity": "100"])
                #expect(try await up.engine.dispatchRound() == 2)
                up.fake.fail(.status, .statusError("Too many requests"))
                try await up.syncAgain()
                #expect(try await up.store.attentionItems().filter(\.review).isEmpty)
            }
            try await panel.expectLedgerClean()
        }
    }

    // MARK: Items 5 and 4: bare-string per-order errors; the attention list

    @Test(arguments: TestEngine.available)
    func bareStringPerOrderErrorKeepsItsTextAndEveryOrderItsOwnAnswer(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: false) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let linked = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                let plain = try await up.place(user, service, ["link": "https://x.test/2", "quantity": "1000"])
                up.fake.fail(.add, .error("Something odd happened"))
                #expect(try await up.engine.dispatchRound() == 2)
                // The operator links the held one to an id the provider does not know.
                try await up.store.linkUpstreamOrder(orderID: linked.id, upstreamOrderID: "9999")
                up.fake.configure { $0.bareStatusErrors = true }
                try await up.syncAgain()
                #expect(up.fake.statusCallSizes.last == 2)

                let info = try await up.info(linked.id)
                #expect(info.reason == "the provider answers for this order: Incorrect order ID", "\(info)")
                #expect(info.lastResponse == #""Incorrect order ID""#)
                // The provider's own entry, every field of it (`currency` too), not a summary.
                let other = try await up.info(plain.id)
                #expect(other.lastResponse == #"{"charge":"0.00000","currency":"USD","remains":"1000","start_count":"0","status":"Pending"}"#,
                        "\(other.lastResponse)")

                // Item 4: the operator settles it; it leaves the attention list and its count.
                #expect(try await up.store.attentionItems().map { [$0.orderID: $0.review] } == [[linked.id: true]])
                try await up.store.updateOrder(id: linked.id, OrderChange(status: .canceled))
                #expect(try await up.store.attentionItems().isEmpty)
                #expect(try await up.store.attentionCount() == 0)
                #expect(try await panel.balance(of: user) == money("9"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func anOrderInReviewLeavesTheAttentionListWhenTheOperatorSettlesItPartial(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await Self.withMeteredUpstream(panel) { up, registry in
                let (user, _, orders) = try await Self.sentOrders(up, 1)
                let order = orders[0]
                up.fake.report(try await up.remote(order.id), status: .string("Awaiting moderation"))
                try await up.syncAgain()
                #expect(try await up.store.attentionCount() == 1)
                try await up.store.updateOrder(id: order.id, OrderChange(status: .partial, remains: 300))
                #expect(try await up.store.attentionItems().isEmpty)
                #expect(try await up.store.attentionCount() == 0)
                let worker = ProviderWorker(engine: up.engine, schedule: .init(), logger: quietLogger)
                await worker.deliveryRound()
                #expect(Self.metricLines(registry).contains("smmpanel_orders_needing_attention 0.0"), "\(Self.metricLines(registry))")
                #expect(try await panel.balance(of: user) == money("9.3"))
            }
            try await panel.expectLedgerClean()
        }
    }

    // MARK: Item 6: packages carry quantity=1

    @Test(arguments: TestEngine.available)
    func packagesAreSentWithQuantityOne(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                up.fake.configure { $0.requiresQuantity = true }
                let package = try await up.importService(14, type: "Package", rate: "5.00", min: 1, max: 1)
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, package, ["link": "https://x.test/5"])
                #expect(try await up.engine.dispatchRound() == 1)
                let info = try await up.info(order.id)
                #expect(info.state == .sent, "\(info)")
                #expect(up.fake.order(try await up.remote(order.id))?.fields["quantity"] == "1")
            }
        }
    }

    // MARK: Item 11: remains of "0" before delivery starts

    @Test(arguments: TestEngine.available)
    func pendingAndProcessingOrdersKeepTheirRemainsWhenTheUpstreamSaysZero(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let order = try await Self.sentOrders(up, 1).2[0]
                let remote = try await up.remote(order.id)
                up.fake.report(remote, status: .string("Pending"), startCount: .string("0"), remains: .string("0"))
                try await up.syncAgain()
                var local = try await up.order(order.id)
                #expect(local.status == .pending && local.remains == 1000, "\(local)")
                up.fake.report(remote, status: .string("Processing"))
                try await up.syncAgain()
                local = try await up.order(order.id)
                #expect(local.status == .processing && local.remains == 1000, "\(local)")
                up.fake.report(remote, status: .string("In progress"), startCount: .string("3572"), remains: .string("400"))
                try await up.syncAgain()
                local = try await up.order(order.id)
                #expect(local.status == .inProgress && local.remains == 400 && local.startCount == 3572, "\(local)")
            }
        }
    }

    // MARK: Item 9: the upstream service is gone

    @Test(arguments: TestEngine.available)
    func serviceGoneRefundsTheOrderAndDisablesTheLocalServiceAtOnce(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: false) { up in
                let gone = try await up.importService(1, rate: "1.00")
                let kept = try await up.importService(2, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, gone, ["link": "https://x.test/1", "quantity": "1000"])
                up.fake.fail(.add, .error("Service ID does not exists"))
                #expect(try await up.engine.dispatchRound() == 1)
                #expect(try await up.order(order.id).status == .canceled)
                #expect(try await up.info(order.id).reason == "the provider refused the order: Service ID does not exists")
                #expect(try await panel.balance(of: user) == money("10"))
                #expect(try await up.store.service(id: gone.id)?.enabled == false)
                #expect(try await up.store.service(id: kept.id)?.enabled == true)
                await #expect(throws: PanelError.incorrectServiceID) {
                    _ = try await up.place(user, try await up.store.service(id: gone.id)!, ["link": "https://x.test/2", "quantity": "1000"])
                }
            }
            try await panel.expectLedgerClean()
        }
    }

    // MARK: Item 2: cancels end

    @Test(arguments: TestEngine.available)
    func anUnsupportedCancelEndsAndTheCustomerIsToldItIsNotPossible(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await Self.withMeteredUpstream(panel) { up, registry in
                let (user, _, orders) = try await Self.sentOrders(up, 1)
                let order = orders[0]
                up.fake.configure { $0.unsupported = [.cancel] }
                #expect(try await up.store.cancelOrder(id: order.id, userID: user.id).status == .pending)
                _ = try await up.engine.cancelRound()
                #expect(up.fake.calls(.cancel) == 1)
                #expect(try await up.info(order.id).reason == "the provider refused the cancel: This action is Invalid")
                let alert = try #require(try await up.store.provider(id: up.provider.id)).alert
                #expect(alert.hasPrefix("the provider refuses cancel calls (This action is Invalid)"), "\(alert)")
                // Never asked again, however long we wait; the customer's next try is refused.
                for _ in 0..<3 {
                    panel.clock.advance(seconds: 3600)
                    _ = try await up.engine.cancelRound()
                }
                #expect(up.fake.calls(.cancel) == 1)
                await #expect(throws: PanelError.cancelNotAvailable) { _ = try await up.store.cancelOrder(id: order.id, userID: user.id) }
                #expect(try await up.order(order.id).status == .pending)
                #expect(Self.metricLines(registry).contains(#"smmpanel_upstream_action_failures_total{provider="up",action="cancel",kind="refused"} 1"#),
                        "\(Self.metricLines(registry))")
            }
            try await panel.expectLedgerClean()
        }
    }

    /// The customer's pages offer no cancel once the provider refused it.
    @Test(arguments: TestEngine.available)
    func theWebOffersNoCancelTheProviderRefused(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (user, browser, _) = try await web.customer("bob", balance: "10")
                try await panel.withUpstream { up in
                    let service = try await up.importService(1, rate: "1.00", cancel: true)
                    let order = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                    #expect(try await up.engine.dispatchRound() == 1)
                    let form = "action=\"/orders/\(order.id)/cancel\""
                    #expect(try await browser.get("/orders").body.contains(form))
                    up.fake.configure { $0.unsupported = [.cancel] }
                    _ = try await up.store.cancelOrder(id: order.id, userID: user.id)
                    _ = try await up.engine.cancelRound()
                    #expect(!(try await browser.get("/orders").body.contains(form)))
                    #expect(!(try await browser.get("/orders/\(order.id)").body.contains(form)))
                }
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func aCancelThatFailedOnTheWayBacksOffAndNoneGoesOutForAFinalOrder(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let (user, _, orders) = try await Self.sentOrders(up, 2)
                let (retried, finished) = (orders[0], orders[1])

                // A 500: asked again, but not at once.
                _ = try await up.store.cancelOrder(id: retried.id, userID: user.id)
                up.fake.fail(.cancel, .http(500))
                _ = try await up.engine.cancelRound()
                _ = try await up.engine.cancelRound()
                #expect(up.fake.calls(.cancel) == 1)
                panel.clock.advance(seconds: up.engine.settings.retryDelay)
                _ = try await up.engine.cancelRound()
                #expect(up.fake.calls(.cancel) == 2)
                try await up.syncAgain()
                #expect(try await up.order(retried.id).status == .canceled)

                // Completed at the provider before the cancel went out: no cancel call.
                _ = try await up.store.cancelOrder(id: finished.id, userID: user.id)
                up.fake.report(try await up.remote(finished.id), status: .string("Completed"), remains: .string("0"))
                try await up.syncAgain()
                #expect(try await up.order(finished.id).status == .completed)
                panel.clock.advance(seconds: 3600)
                _ = try await up.engine.cancelRound()
                #expect(up.fake.calls(.cancel) == 2)
                #expect(try await panel.balance(of: user) == money("9"))
            }
            try await panel.expectLedgerClean()
        }
    }

    // MARK: Item 3: refills end

    @Test(arguments: TestEngine.available)
    func anUnsupportedRefillEndsAndTheOperatorsRejectionStopsOne(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await Self.withMeteredUpstream(panel) { up, registry in
                let (user, _, orders) = try await Self.sentOrders(up, 2)
                let (first, second) = (orders[0], orders[1])
                for order in orders {
                    up.fake.report(try await up.remote(order.id), status: .string("Completed"), remains: .string("0"))
                }
                try await up.syncAgain()
                func local(_ id: RefillID) async throws -> RefillStatus { try await up.store.refills(ids: [id], userID: user.id)[id]!.status }

                let unsupported = try await up.store.createRefill(orderID: first.id, userID: user.id)
                up.fake.configure { $0.unsupported = [.refill] }
                _ = try await up.engine.refillRound()
                #expect(try await local(unsupported.id) == .rejected)
                #expect(try #require(try await up.store.provider(id: up.provider.id)).alert.hasPrefix("the provider refuses refill calls"))
                for _ in 0..<3 {
                    panel.clock.advance(seconds: 3600)
                    _ = try await up.engine.refillRound()
                }
                #expect(up.fake.calls(.refill) == 1)

                // A refill that keeps failing on the way, rejected by the operator: never sent.
                up.fake.configure { $0.unsupported = [] }
                let stopped = try await up.store.createRefill(orderID: second.id, userID: user.id)
                up.fake.fail(.refill, .http(500))
                _ = try await up.engine.refillRound()
                #expect(up.fake.calls(.refill) == 2)
                try await up.store.updateRefill(id: stopped.id, status: .rejected)
                for _ in 0..<3 {
                    panel.clock.advance(seconds: 3600)
                    _ = try await up.engine.refillRound()
                }
                #expect(up.fake.calls(.refill) == 2 && up.fake.refills.isEmpty)
                #expect(try await local(stopped.id) == .rejected)
                let lines = Self.metricLines(registry)
                #expect(lines.contains(#"smmpanel_upstream_action_failures_total{provider="up",action="refill",kind="refused"} 1"#), "\(lines)")
                #expect(lines.contains(#"smmpanel_upstream_action_failures_total{provider="up",action="refill",kind="http_status"} 1"#))
            }
        }
    }

    // MARK: Item 12: logs, catalog flags

    @Test(arguments: TestEngine.available)
    func statusChangesAndRefundsMadeByTheSyncAreLogged(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let orders = try await Self.sentOrders(up, 2).2
                let (partial, moving) = (orders[0], orders[1])
                up.fake.report(try await up.remote(partial.id), status: .string("Partial"), remains: .string("250"))
                up.fake.report(try await up.remote(moving.id), status: .string("In progress"), remains: .string("900"))
                let captured = CapturedLog()
                let engine = ProviderEngine(store: up.store, client: up.engine.client, metrics: .none, settings: up.engine.settings,
                                            logger: Logger(label: "test") { _ in captured })
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                try await engine.statusRound()
                let lines = captured.lines.filter { $0.message == "order status changed by the provider" }
                #expect(lines.count == 2, "\(captured.lines)")
                let byOrder = Dictionary(lines.map { ($0.metadata["order"] ?? "", $0.metadata) }, uniquingKeysWith: { first, _ in first })
                #expect(byOrder["\(partial.id)"]?["from"] == "Pending" && byOrder["\(partial.id)"]?["to"] == "Partial")
                #expect(byOrder["\(partial.id)"]?["refund"] == "0.25000")
                #expect(byOrder["\(moving.id)"]?["to"] == "In progress" && byOrder["\(moving.id)"]?["refund"] == "0.00000")
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func catalogSyncKeepsFlagsTheOperatorTurnedOnWhenTheCatalogOmitsThem(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                // This panel's catalog has no refill or cancel fields at all.
                up.fake.setCatalog([.object([("service", .number("1")), ("name", .string("Followers")), ("type", .string("Default")),
                                             ("category", .string("Instagram")), ("rate", .string("0.90")), ("min", .string("50")),
                                             ("max", .string("10000"))])])
                let created = try await up.engine.importCatalog(up.provider, markup: money("0"), only: nil, categoryPrefix: "").created
                let service = try #require(created.first)
                #expect(!service.refill && !service.cancel)
                _ = try await up.store.updateService(id: service.id, ServiceDraft(refill: true, cancel: true))
                #expect(try await up.engine.syncCatalog(up.provider).isEmpty)
                let synced = try #require(try await up.store.service(id: service.id))
                #expect(synced.refill && synced.cancel)
            }
        }
    }

    // MARK: Support

    /// A customer with 10.00, and `count` orders of 1000 (1.00 each) on a service imported from
    /// the fake, sent.
    static func sentOrders(_ up: Upstream, _ count: Int) async throws -> (User, Service, [Order]) {
        let service = try await up.importService(1, rate: "1.00", refill: true, cancel: true)
        let (user, _) = try await up.panel.customer(balance: "10")
        var orders: [Order] = []
        for index in 1...count { orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"])) }
        #expect(try await up.engine.dispatchRound() == count)
        return (user, service, orders)
    }

    /// `withUpstream`, its metrics kept in a registry the test reads.
    static func withMeteredUpstream(_ panel: TestPanel, _ body: (Upstream, PrometheusCollectorRegistry) async throws -> Void) async throws {
        let registry = PrometheusCollectorRegistry()
        try await panel.withUpstream(metrics: ProviderMetrics(factory: PrometheusMetricsFactory(registry: registry))) { try await body($0, registry) }
    }

    static func metricLines(_ registry: PrometheusCollectorRegistry) -> Set<String> {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Set(String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init))
    }
}

/// Log records kept for a test to read.
final class CapturedLog: LogHandler, Sendable {
    struct Line: Sendable {
        var message: String
        var metadata: [String: String]
    }

    private let store = Mutex<[Line]>([])
    var lines: [Line] { store.withLock { $0 } }

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).mapValues { "\($0)" }
        store.withLock { $0.append(Line(message: event.message.description, metadata: fields)) }
    }
}
