import Foundation
import NIOCore
import SMMDomain
@testable import SMMProviders
import SMMStorage
import Testing

/// The reseller engine against a fake upstream panel: catalog import and sync, and dispatch
/// through every fault of contract §7. No order is lost, none is sent twice, every failure is
/// visible with its reason.
@Suite struct ProviderEngineTests {
    // MARK: Catalog

    @Test(arguments: TestEngine.available)
    func catalogImportPricesAtMarkupAndSkipsUnknownTypes(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                up.fake.setCatalog([
                    .object([("service", .number("1")), ("name", .string("Followers")), ("type", .string("Default")),
                             ("category", .string("Instagram")), ("rate", .string("0.90")), ("min", .string("50")),
                             ("max", .number("2147483647")), ("refill", .bool(true)), ("cancel", .bool(false)), ("dripfeed", .bool(true))]),
                    // Id as a string, rate as a number, flags as "1"/0.
                    .object([("service", .string("2")), ("name", .string("Package")), ("type", .string("Package")),
                             ("category", .string("Instagram")), ("rate", .number("1.33333")), ("min", .number("1")),
                             ("max", .number("1")), ("refill", .string("1")), ("cancel", .number("0"))]),
                    // Six decimals: the cost is rounded up, never understated.
                    .object([("service", .number("3")), ("name", .string("Comments")), ("type", .string("custom comments")),
                             ("category", .string("Instagram")), ("rate", .string("0.333331")), ("min", .string("5")),
                             ("max", .string("500"))]),
                    .object([("service", .number("4")), ("name", .string("Special")), ("type", .string("Story Views Special")),
                             ("category", .string("Instagram")), ("rate", .string("1")), ("min", .string("1")), ("max", .string("2"))]),
                ])
                let (created, skipped) = try await up.engine.importCatalog(up.provider, markup: money("25"), only: nil, categoryPrefix: "Up: ")
                #expect(created.map(\.name) == ["Followers", "Package", "Comments"])
                #expect(skipped == [#"4: type "Story Views Special" is not one this panel sells"#])

                let followers = created[0], package = created[1], comments = created[2]
                // 0.90 × 1.25 = 1.125; 1.33333 × 1.25 = 1.6666625 → 1.66667; 0.33334 × 1.25 = 0.416675 → 0.41668.
                #expect(followers.rate == money("1.125"))
                #expect(package.rate == money("1.66667"))
                #expect(comments.rate == money("0.41668"))
                #expect((followers.type, package.type, comments.type) == (.default, .package, .customComments))
                #expect((followers.min, followers.max) == (50, 2_147_483_647))
                #expect((followers.refill, followers.cancel, followers.dripFeed) == (true, false, true))
                #expect((package.refill, package.cancel, package.dripFeed) == (true, false, false))
                #expect((comments.min, comments.max) == (5, 500))
                #expect(followers.categoryName == "Up: Instagram")
                let mapped = try await up.store.mappedServices(providerID: up.provider.id)
                #expect(mapped.map(\.upstreamID) == ["1", "2", "3"])
                #expect(mapped.map(\.cost) == [money("0.90"), money("1.33333"), money("0.33334")])
                #expect(mapped.map(\.markup) == [money("25"), money("25"), money("25")])

                // A second import creates nothing; an id the provider lacks is said so.
                let again = try await up.engine.importCatalog(up.provider, markup: money("25"), only: ["1", "99"], categoryPrefix: "")
                #expect(again.created.isEmpty)
                #expect(again.skipped == ["99: not in the provider's catalog", "1: imported already"])
                #expect(try await up.store.mappedServices(providerID: up.provider.id).count == 3)

                // The biggest max a provider announces is orderable.
                let (user, _) = try await panel.customer(balance: "10000")
                let order = try await up.place(user, followers, ["link": "https://x.test/big", "quantity": "2000000"])
                #expect(order.charge == money("2250"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func catalogSyncFollowsCostLimitsFlagsAndVanishedServices(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let first = try await up.importService(1, rate: "0.90", markup: "10", min: 50, max: 10_000)
                let second = try await up.importService(2, rate: "2.00", markup: "10", min: 10, max: 1000)
                #expect(first.rate == money("0.99"))
                #expect(try await up.engine.syncCatalog(up.provider).isEmpty)

                up.fake.setCatalog([
                    .object([("service", .number("1")), ("name", .string("Upstream 1")), ("type", .string("Default")),
                             ("category", .string("Upstream")), ("rate", .number("1.2")), ("min", .number("100")),
                             ("max", .string("5000")), ("refill", .bool(false)), ("cancel", .bool(false)), ("dripfeed", .bool(true))]),
                ])
                let lines = try await up.engine.syncCatalog(up.provider)
                #expect(lines == [
                    "service \(first.id): cost 0.90 → 1.20", "service \(first.id): rate 0.99 → 1.32",
                    "service \(first.id): min 50 → 100", "service \(first.id): max 10000 → 5000",
                    "service \(first.id): refill true → false", "service \(first.id): cancel true → false",
                    "service \(first.id): dripfeed false → true",
                    "service \(second.id): disabled: upstream service 2 is gone",
                ])
                let synced = try await up.store.service(id: first.id)!
                #expect((synced.rate, synced.min, synced.max, synced.refill, synced.cancel, synced.dripFeed)
                        == (money("1.32"), 100, 5000, false, false, true))
                #expect(try await up.store.service(id: second.id)!.enabled == false)
                // Nothing changed since: nothing to report, and the vanished service stays off.
                #expect(try await up.engine.syncCatalog(up.provider).isEmpty)
                let (user, _) = try await panel.customer()
                await #expect(throws: PanelError.incorrectServiceID) {
                    _ = try await up.place(user, try await up.store.service(id: second.id)!, ["link": "https://x.test/a", "quantity": "100"])
                }

                // A price set by hand (no markup) keeps its price; only the cost follows.
                try await up.store.setServiceMarkup(serviceID: first.id, markup: nil)
                up.fake.addService(2, name: "Upstream 2", rate: .string("2.00"), min: .string("10"), max: .string("1000"))
                up.fake.configure { state in
                    state.catalog[0] = .object([("service", .number("1")), ("type", .string("Default")), ("rate", .string("1.5")),
                                                ("min", .number("100")), ("max", .string("5000")), ("dripfeed", .bool(true))])
                }
                let back = try await up.engine.syncCatalog(up.provider)
                #expect(back == ["service \(first.id): cost 1.20 → 1.50", "service \(second.id): enabled: upstream service 2 is back"])
                #expect(try await up.store.service(id: first.id)!.rate == money("1.32"))
                #expect(try await up.store.service(id: second.id)!.enabled)
                #expect(try await up.store.mappedServices(providerID: up.provider.id).map(\.cost) == [money("1.5"), money("2")])
            }
        }
    }

    // MARK: Dispatch

    @Test(arguments: TestEngine.available)
    func dispatchSendsEachTypesFieldsAndReadsEveryAddDialect(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(settings: { $0.dispatchConcurrency = 1 }) { up in
                let followers = try await up.importService(11, rate: "1.00", dripFeed: true)
                let comments = try await up.importService(12, type: "Custom Comments", rate: "2.00", min: 1, max: 100)
                let mentions = try await up.importService(13, type: "Mentions with Hashtags", rate: "3.00")
                let package = try await up.importService(14, type: "Package", rate: "5.00", min: 1, max: 1)
                let (user, _) = try await panel.customer(balance: "100")
                let plain = try await up.place(user, followers, ["link": "https://x.test/1", "quantity": "1000"])
                let drip = try await up.place(user, followers, ["link": "https://x.test/2", "quantity": "100", "runs": "5", "interval": "30"])
                let listed = try await up.place(user, comments, ["link": "https://x.test/3", "comments": "great\r\nnice\n\nwow"])
                let mention = try await up.place(user, mentions, ["link": "https://x.test/4", "quantity": "100",
                                                                  "usernames": "ann\nbob", "hashtags": "#a\n#b"])
                let flat = try await up.place(user, package, ["link": "https://x.test/5"])
                #expect(try await up.engine.dispatchRound() == 5)

                func sent(_ order: Order) async throws -> [String: String] {
                    try #require(up.fake.order(try await up.remote(order.id))).fields
                }
                func rid(_ order: Order) -> String { "smm-\(order.id)-\(order.createdAt)" }
                #expect(try await sent(plain) == ["service": "11", "link": "https://x.test/1", "quantity": "1000", "request_id": rid(plain)])
                #expect(try await sent(drip) == ["service": "11", "link": "https://x.test/2", "quantity": "100", "runs": "5",
                                                 "interval": "30", "request_id": rid(drip)])
                #expect(try await sent(listed) == ["service": "12", "link": "https://x.test/3", "comments": "great\nnice\nwow",
                                                   "request_id": rid(listed)])
                #expect(try await sent(mention) == ["service": "13", "link": "https://x.test/4", "quantity": "100",
                                                    "usernames": "ann\nbob", "hashtags": "#a\n#b", "request_id": rid(mention)])
                #expect(try await sent(flat) == ["service": "14", "link": "https://x.test/5", "quantity": "1", "request_id": rid(flat)])

                // `{"order":"7006"}` and `{"status":"success","order":7007}` read like `{"order":7005}`.
                up.fake.configure { $0.orderIDStyle = .string }
                let second = try await up.place(user, followers, ["link": "https://x.test/6", "quantity": "10"])
                #expect(try await up.engine.dispatchRound() == 1)
                up.fake.configure { $0.orderIDStyle = .successWrapped }
                let third = try await up.place(user, followers, ["link": "https://x.test/7", "quantity": "10"])
                #expect(try await up.engine.dispatchRound() == 1)
                #expect(try await up.info(second.id).upstreamOrderID == "7006")
                #expect(try await up.info(third.id).upstreamOrderID == "7007")
                #expect(try await up.info(third.id).lastResponse == #"{"status":"success","order":7007}"#)

                #expect(up.fake.orders.count == 7)
                #expect(up.fake.calls(.add) == 7)
                #expect(try await up.engine.dispatchRound() == 0)
                for order in [plain, drip, listed, mention, flat, second, third] {
                    let info = try await up.info(order.id)
                    #expect(info.state == .sent && info.attempts == 1 && info.reason.isEmpty, "\(info)")
                }
                // 1.00 + 0.50 + 0.006 + 0.30 + 5.00 + 0.01 + 0.01
                #expect(try await panel.balance(of: user) == money("93.174"))
                #expect(try await up.store.attentionItems().isEmpty)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func subscriptionIsForwardedWithItsFieldsAndFollowed(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(21, type: "Subscriptions", rate: "2.00", min: 50, max: 5000)
                let (user, _) = try await panel.customer(balance: "1")
                let order = try await up.placeSubscription(user, service)
                #expect(order.status == .active && order.charge == .zero)
                #expect(try await up.engine.dispatchRound() == 1)
                let remote = try await up.remote(order.id)
                #expect(up.fake.order(remote)?.fields == ["service": "21", "username": "acme", "min": "100", "max": "200", "posts": "5",
                                                          "delay": "30", "expiry": "31/12/2030",
                                                          "request_id": "smm-\(order.id)-\(order.createdAt)"])
                up.fake.report(remote, status: .string("Active"))
                try await up.engine.statusRound()
                #expect(try await up.order(order.id).status == .active)
                #expect(try await up.info(order.id).state == .sent)
                up.fake.report(remote, status: .string("expired"))
                try await up.syncAgain()
                #expect(try await up.order(order.id).status == .expired)
                #expect(try await up.info(order.id).state == .closed)
                #expect(try await panel.balance(of: user) == money("1"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func retryableFaultsBackOffAndEndInOneUpstreamOrder(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            // 4 s: under the whole suite on two cores an ordinary call has taken over 2 s.
            try await panel.withUpstream(honorsRequestID: true, timeout: .seconds(4)) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                let faults: [(FakeUpstream.Fault, Bool, String)] = [
                    (.http(500), true, "HTTP 500"),
                    (.http(503), false, "HTTP 503"),
                    (.html(status: 502), true, "HTTP 502: <html>"),
                    (.html(status: 200), false, "not JSON: <html>"),
                    (.notJSON, true, "not JSON: Warning: mysqli_connect()"),
                    (.timeout, true, "did not answer in time"),
                    (.timeout, false, "did not answer in time"),
                    (.error("You have active order with this link. Please wait until order being completed."), false,
                     "the provider asked to wait: You have active order with this link"),
                ]
                for (index, (fault, afterActing, reason)) in faults.enumerated() {
                    up.fake.fail(.add, fault, afterActing: afterActing)
                    #expect(try await up.engine.dispatchRound() == 1)
                    let info = try await up.info(order.id)
                    #expect(info.state == .queued, "\(fault): \(info)")
                    #expect(info.attempts == Int64(index + 1))
                    #expect(info.reason.contains(reason), "\(fault): \(info.reason)")
                    #expect(try await up.order(order.id).status == .pending)
                    // Backoff: 15 s, doubling per attempt.
                    let delay = min(Int64(15) << Int64(index), 1800)
                    panel.clock.advance(seconds: delay - 1)
                    #expect(try await up.engine.dispatchRound() == 0)
                    panel.clock.advance(seconds: 1)
                }
                // The last try is slow but in time.
                up.fake.fail(.add, .slow)
                #expect(try await up.engine.dispatchRound() == 1)
                #expect(up.fake.pendingFaults == 0)
                #expect(up.fake.calls(.add) == faults.count + 1)
                // Four of the failed calls created the order; the same request_id returned it.
                #expect(up.fake.orders.count == 1)
                let remote = try #require(up.fake.orders.first)
                #expect(remote.requestID == "smm-\(order.id)-\(order.createdAt)")
                let info = try await up.info(order.id)
                #expect(info.state == .sent && info.upstreamOrderID == String(remote.id) && info.attempts == 9, "\(info)")
                #expect(try await panel.balance(of: user) == money("9"))
                #expect(try await up.store.attentionItems().isEmpty)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func repeatedRetryableFailuresEndHeldAfterMaxAttempts(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(settings: { $0.maxAttempts = 3 }) { up in
                let service = try await up.importService(1)
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                for _ in 0..<3 {
                    up.fake.fail(.add, .http(500))
                    #expect(try await up.engine.dispatchRound() == 1)
                    panel.clock.advance(seconds: 3600)
                }
                let info = try await up.info(order.id)
                #expect(info.state == .held)
                #expect(info.reason.hasPrefix("gave up after 3 attempts; last: provider answered HTTP 500"))
                #expect(try await up.engine.dispatchRound() == 0)
                #expect(up.fake.calls(.add) == 3)
                #expect(try await up.store.attentionItems().map(\.orderID) == [order.id])
                // The customer keeps a live order; the operator decides.
                #expect(try await up.order(order.id).status == .pending)
                #expect(try await panel.balance(of: user) == money("9"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func ambiguousFailuresWithoutRequestIDAreHeldNeverResent(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            // 4 s: under the whole suite on two cores an ordinary call has taken over 2 s.
            try await panel.withUpstream(honorsRequestID: false, timeout: .seconds(4), settings: { $0.dispatchConcurrency = 1 }) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                var orders: [Order] = []
                for index in 1...4 {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                }
                up.fake.fail(.add, .timeout, afterActing: true)
                up.fake.fail(.add, .http(500), afterActing: true)
                up.fake.fail(.add, .html(status: 502))
                up.fake.fail(.add, .timeout)
                #expect(try await up.engine.dispatchRound() == 4)
                // The first two reached the provider, which has them; nobody can tell from here.
                #expect(up.fake.orders.count == 2)
                let expected = ["did not answer in time", "HTTP 500", "HTTP 502", "did not answer in time"]
                for (order, reason) in zip(orders, expected) {
                    let info = try await up.info(order.id)
                    #expect(info.state == .held)
                    #expect(info.reason.contains(reason) && info.reason.contains("does not honour request_id"), "\(info.reason)")
                }
                let attention = try await up.store.attentionItems()
                #expect(Set(attention.map(\.orderID)) == Set(orders.map(\.id)))
                #expect(try await up.store.attentionCount() == 4)
                #expect(attention.allSatisfy { $0.state == .held && $0.providerName == "up" && !$0.reason.isEmpty })

                // Never resent by itself, however long it waits.
                panel.clock.advance(seconds: 86_400)
                #expect(try await up.engine.dispatchRound() == 0)
                #expect(up.fake.calls(.add) == 4)

                // The operator links the two the provider has, and resends the two it lacks.
                try await up.store.linkUpstreamOrder(orderID: orders[0].id, upstreamOrderID: " 7001 ")
                try await up.store.linkUpstreamOrder(orderID: orders[1].id, upstreamOrderID: "7002")
                try await up.store.resendHeld(orderID: orders[2].id)
                try await up.store.resendHeld(orderID: orders[3].id)
                await #expect(throws: PanelError.self) { try await up.store.resendHeld(orderID: orders[0].id) }
                await #expect(throws: PanelError.self) { try await up.store.linkUpstreamOrder(orderID: orders[1].id, upstreamOrderID: "9") }
                #expect(try await up.engine.dispatchRound() == 2)
                #expect(up.fake.orders.count == 4)
                #expect(try await up.info(orders[0].id).upstreamOrderID == "7001")
                #expect(try await up.info(orders[0].id).reason == "linked by the operator")
                #expect(try await up.info(orders[3].id).upstreamOrderID == "7004")
                #expect(try await up.store.attentionItems().isEmpty)
                // All four are followed from now on, in one status call.
                #expect(try await up.engine.statusRound() == 1)
                #expect(up.fake.statusCallIDs == [["7001", "7002", "7003", "7004"]])
                #expect(try await panel.balance(of: user) == money("6"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func unreachableProviderIsRetriedEvenWithoutRequestID(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            // Nothing listens on port 9 of the loopback: the call never leaves this machine.
            let down = try await panel.store.createProvider(name: "down", url: "http://127.0.0.1:9/api/v2", apiKey: "k",
                                                            honorsRequestID: false, allowHTTP: true, allowPrivateAddress: true)
            let entry = UpstreamCatalogEntry(id: "5", name: "Down", typeLabel: "Default", category: "C", rate: money("1"), min: 10,
                                             max: 1000, refill: false, cancel: false, dripFeed: false, description: "")
            let service = try #require(try await panel.store.importUpstreamService(providerID: down.id, entry: entry, type: .default,
                                                                                   categoryName: "C", markup: money("0")))
            let engine = Upstream.makeEngine(store: panel.store, timeout: .seconds(2), metrics: .none, settings: EngineSettings())
            let (user, _) = try await panel.customer(balance: "10")
            let order = try await panel.store.placeOrder(user: user, service: service, fields: ["link": "https://x.test/1", "quantity": "100"])
            #expect(try await engine.dispatchRound() == 1)
            let info = try #require(try await panel.store.upstreamInfo(orderIDs: [order.id])[order.id])
            #expect(info.state == .queued)
            #expect(info.reason.contains("unreachable"), "\(info.reason)")
            #expect(try await panel.store.attentionItems().isEmpty)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func permanentRefusalsCancelWithFullRefundAndKeepTheMessage(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(settings: { $0.dispatchConcurrency = 1 }) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let messages = ["Quantity less than minimal 5000", "Incorrect link", "Incorrect service ID", "Quantity more than maximum 10"]
                var orders: [Order] = []
                for (index, message) in messages.enumerated() {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                    up.fake.fail(.add, .error(message))
                }
                #expect(try await panel.balance(of: user) == money("6"))
                #expect(try await up.engine.dispatchRound() == 4)
                for (order, message) in zip(orders, messages) {
                    let local = try await up.order(order.id)
                    #expect(local.status == .canceled && local.charge == .zero && local.remains == 1000)
                    let info = try await up.info(order.id)
                    #expect(info.state == .failed)
                    #expect(info.reason == "the provider refused the order: \(message)")
                    #expect(info.lastResponse == #"{"error":"\#(message)"}"#)
                }
                #expect(try await panel.balance(of: user) == money("10"))
                let attention = try await up.store.attentionItems()
                #expect(attention.count == 4 && attention.allSatisfy { $0.state == .failed })
                // Failed is final: never sent again, never refunded again.
                panel.clock.advance(seconds: 3600)
                #expect(try await up.engine.dispatchRound() == 0)
                #expect(up.fake.calls(.add) == 4 && up.fake.orders.isEmpty)
                #expect(try await panel.balance(of: user) == money("10"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func providerOutOfFundsHoldsOrdersRaisesAnAlertAndReleasesOnResend(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(settings: { $0.dispatchConcurrency = 1 }) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                var orders: [Order] = []
                for index in 1...3 {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                }
                up.fake.fail(.add, .error("Not enough funds on balance"))
                up.fake.fail(.add, .error("Not enough funds on balance"))
                up.fake.fail(.add, .error("Something odd happened"))
                #expect(try await up.engine.dispatchRound() == 3)
                for order in orders.prefix(2) {
                    let info = try await up.info(order.id)
                    #expect(info.state == .held && info.reason == "provider: Not enough funds on balance")
                    #expect(try await up.order(order.id).status == .pending)
                }
                let odd = try await up.info(orders[2].id)
                #expect(odd.state == .held && odd.reason == "the provider answered an error this panel cannot classify: Something odd happened")
                let alert = try #require(try await up.store.provider(id: up.provider.id)).alert
                #expect(alert.contains("our balance at the provider is too low (Not enough funds on balance)"))
                // The customers are not failed: still charged, orders alive.
                #expect(try await panel.balance(of: user) == money("7"))
                panel.clock.advance(seconds: 86_400)
                #expect(try await up.engine.dispatchRound() == 0)

                // Topped up: the operator releases the provider's held orders, not the other one.
                #expect(try await up.store.resendHeld(providerID: up.provider.id, reasonContaining: "provider: ") == 2)
                #expect(try await up.engine.dispatchRound() == 2)
                #expect(up.fake.orders.count == 2)
                #expect(try await up.info(orders[0].id).state == .sent)
                #expect(try await up.info(orders[1].id).state == .sent)
                #expect(try await up.store.attentionItems().map(\.orderID) == [orders[2].id])
                #expect(try await panel.balance(of: user) == money("7"))
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available.flatMap { engine in [true, false].map { (engine, $0) } })
    func abandonedClaimIsResentWithTheSameRequestIDOrHeld(engine: TestEngine, honors: Bool) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: honors) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "10")
                let order = try await up.place(user, service, ["link": "https://x.test/1", "quantity": "1000"])
                // A sender claims the order, reaches the provider, and dies before recording.
                let jobs = try await up.store.claimDispatch(limit: 10, lease: 120)
                #expect(jobs.count == 1)
                let (answer, _) = try await up.engine.client.add(up.provider, fields: ProviderEngine.addFields(for: jobs[0]))
                #expect(answer == .order("7001"))
                #expect(try await up.info(order.id).state == .sending)
                // A customer cancel waits while the send's outcome is unknown.
                await #expect(throws: PanelError.cancelNotAvailable) { _ = try await up.store.cancelOrder(id: order.id, userID: user.id) }

                // Within the lease, nobody touches it.
                panel.clock.advance(seconds: 119)
                #expect(try await up.engine.dispatchRound() == 0)
                #expect(try await up.info(order.id).state == .sending)
                panel.clock.advance(seconds: 2)
                if honors {
                    #expect(try await up.engine.dispatchRound() == 1)
                    #expect(up.fake.calls(.add) == 2)
                    let info = try await up.info(order.id)
                    #expect(info.state == .sent && info.upstreamOrderID == "7001" && info.attempts == 2)
                } else {
                    #expect(try await up.engine.dispatchRound() == 0)
                    #expect(up.fake.calls(.add) == 1)
                    let info = try await up.info(order.id)
                    #expect(info.state == .held)
                    #expect(info.reason.contains("interrupted") && info.reason.contains("does not honour request_id"))
                    #expect(try await up.store.attentionItems().map(\.orderID) == [order.id])
                    // The operator finds it at the provider and links it.
                    try await up.store.linkUpstreamOrder(orderID: order.id, upstreamOrderID: "7001")
                    #expect(try await up.info(order.id).state == .sent)
                }
                #expect(up.fake.orders.count == 1)
                #expect(try await up.store.attentionItems().isEmpty)
                // The late sender's record changes nothing now.
                #expect(try await up.store.recordSent(orderID: order.id, upstreamOrderID: "7001", response: "late") == false)
                #expect(try await panel.balance(of: user) == money("9"))
            }
            try await panel.expectLedgerClean()
        }
    }
}
