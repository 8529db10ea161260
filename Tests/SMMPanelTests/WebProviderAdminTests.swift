import Foundation
import SMMDomain
@testable import SMMProviders
import SMMStorage
import Testing

/// The admin console's reseller parts: providers, import and sync, and orders held for a provider.
@Suite("Web admin: providers")
struct WebProviderAdminTests {
    @Test("an admin adds a provider, imports with markup, checks balances, syncs; customers and forged forms change nothing",
          arguments: TestEngine.available)
    func providers(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                up.fake.addService(1, name: "Likes", rate: .string("1.00"))
                up.fake.addService(2, name: "Views", rate: .string("0.33333"))
                up.fake.addService(3, name: "Other", rate: .string("5"))
                let url = up.provider.url, key = up.provider.apiKey
                try await panel.web { web in
                    let (boss, admin) = try await web.admin()
                    let (_, customer, _) = try await web.customer("alice")

                    // Added through the form: the fake is http on the loopback, so only with both exceptions.
                    let plain = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                       [("name", "second"), ("url", url), ("key", key), ("allow_private_address", "1")])
                    #expect(plain.errors.count == 1 && plain.errors[0].contains("http is refused"), "\(plain.errors)")
                    let inside = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                        [("name", "second"), ("url", url), ("key", key), ("allow_http", "1")])
                    #expect(inside.errors.count == 1 && inside.errors[0].contains("loopback"), "\(inside.errors)")
                    let metadata = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                          [("name", "second"), ("url", "https://169.254.169.254/latest"), ("key", key)])
                    #expect(metadata.errors.count == 1 && metadata.errors[0].contains("metadata"), "\(metadata.errors)")
                    #expect(try await web.store.provider(named: "second") == nil)
                    let added = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                       [("name", "second"), ("url", url), ("key", key), ("honors_request_id", "1"),
                                                        ("allow_http", "1"), ("allow_private_address", "1"), ("concurrency", "3")])
                    #expect(added.status == 303)
                    let second = try #require(try await web.store.provider(named: "second"))
                    #expect(second.honorsRequestID && second.enabled && second.apiKey == key && second.url == url)
                    #expect(second.allowHTTP && second.allowPrivateAddress && second.concurrency == 3)
                    let shown = try await admin.get("/admin/providers")
                    #expect(shown.texts(ofClass: "provider-allow-http").count == 2 && shown.texts(ofClass: "provider-allow-private").count == 2)
                    #expect(shown.texts(ofClass: "provider-concurrency").contains("calls at once: 3"))
                    let again = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                       [("name", "second"), ("url", url), ("key", key)])
                    #expect(again.errors == ["A provider named second exists already"])
                    #expect(try await web.store.providers().count == 2)

                    // Import two of three at 10 %: price = cost × 1.1, rounded up.
                    let imported = try await admin.submit(from: "/admin/providers", to: "/admin/providers/\(second.id)/import",
                                                          [("markup", "10"), ("services", "1, 2, 99"), ("category_prefix", "Up ")])
                    #expect(imported.status == 200)
                    #expect(imported.texts(ofClass: "outcome") == ["2 services imported from second"])
                    // Admin actions are audited with the admin as actor; the provider's key stays out.
                    let audit = try await web.store.auditLog(limit: 50)
                    let importEntry = try #require(audit.first { $0.action == "web POST /admin/providers/\(second.id)/import" })
                    #expect(importEntry.actor == "admin:\(boss.id)" && importEntry.target == "provider:\(second.id)")
                    #expect(importEntry.before != nil && importEntry.after != nil)
                    #expect(audit.contains { $0.action == "web POST /admin/providers" && $0.actor == "admin:\(boss.id)" })
                    #expect(!audit.contains { ($0.before ?? "").contains(key) || ($0.after ?? "").contains(key) })
                    #expect(imported.texts(ofClass: "outcome-line").contains { $0.hasPrefix("skipped 99") })
                    let services = try await web.store.services(includeDisabled: true)
                    let likes = try #require(services.first { $0.name == "Likes" })
                    let views = try #require(services.first { $0.name == "Views" })
                    #expect(likes.rate == money("1.1") && views.rate == money("0.36667"))
                    #expect(likes.categoryName == "Up Upstream")
                    #expect(!services.contains { $0.name == "Other" })
                    let badMarkup = try await admin.submit(from: "/admin/providers", to: "/admin/providers/\(second.id)/import",
                                                           [("markup", "-5")])
                    #expect(badMarkup.errors.count == 1)

                    // Balances: asked now, shown with the currency.
                    let checked = try await admin.submit(from: "/admin/providers", to: "/admin/providers/balances", [])
                    #expect(checked.status == 303)
                    #expect(try await web.store.provider(id: second.id)?.balance == "100.84292")
                    let list = try await admin.get("/admin/providers")
                    #expect(list.texts(ofClass: "provider-balance").contains { $0.hasPrefix("100.84292") })
                    #expect(try await admin.get("/admin").texts(ofClass: "provider-balance").count == 2)

                    // Sync now shows the changes.
                    up.fake.setCatalog([])
                    up.fake.addService(1, name: "Likes", rate: .string("2.00"))
                    up.fake.addService(2, name: "Views", rate: .string("0.33333"))
                    let synced = try await admin.submit(from: "/admin/providers", to: "/admin/providers/\(second.id)/sync", [])
                    #expect(synced.status == 200)
                    let lines = synced.texts(ofClass: "outcome-line")
                    #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("service \(likes.id): ") }, "\(lines)")
                    #expect(try await web.store.service(id: likes.id)?.rate == money("2.2"))
                    let quiet = try await admin.submit(from: "/admin/providers", to: "/admin/providers/\(second.id)/sync", [])
                    #expect(quiet.texts(ofClass: "outcome") == ["No changes from second"])

                    // Disable, enable.
                    #expect(try await admin.submit(from: "/admin/providers", to: "/admin/providers/\(second.id)/enabled",
                                                   [("enabled", "0")]).status == 303)
                    #expect(try await web.store.provider(id: second.id)?.enabled == false)

                    // Both languages render, with rows.
                    for path in ["/admin/providers", "/admin"] {
                        for language in ["en", "ar"] {
                            try await web.store.setLanguage(userID: try #require(try await web.store.user(named: "boss")).id, language)
                            try WebPagesTests.expectRendered(try await admin.get(path), path: path, language: language)
                        }
                    }

                    // A customer gets the 404 page, forms included.
                    #expect(try await customer.get("/admin/providers").status == 404)
                    _ = try await customer.get("/dashboard")
                    #expect(try await customer.post("/admin/providers", [("name", "evil"), ("url", url), ("key", "k")]).status == 404)
                    #expect(try await customer.post("/admin/providers/\(second.id)/enabled", [("enabled", "1")]).status == 404)
                    // No CSRF token: refused, nothing changes.
                    _ = try await admin.get("/admin/providers")
                    #expect(try await admin.post("/admin/providers", [("name", "third"), ("url", url), ("key", "k")], csrf: .some(nil)).status == 403)
                    #expect(try await admin.post("/admin/providers/\(second.id)/enabled", [("enabled", "1")], csrf: .some("forged")).status == 403)
                    #expect(try await web.store.provider(named: "third") == nil)
                    #expect(try await web.store.provider(named: "evil") == nil)
                    #expect(try await web.store.provider(id: second.id)?.enabled == false)
                }
            }
        }
    }

    /// Some providers answer `status` with numbers; the form takes what each means, as
    /// `smmpanel provider add --status-codes` does. A table that cannot be read adds nothing.
    @Test("an admin adds a provider that answers status with numbers", arguments: TestEngine.available)
    func providerWithStatusCodes(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, admin) = try await web.admin()
                let bad = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                 [("name", "numeric"), ("url", "https://numbers.example/api/v2"), ("key", "k"),
                                                  ("codes", "0=Pending,x=Done")])
                #expect(bad.errors.count == 1 && bad.errors[0].hasPrefix("Status codes must read like 0=Pending,1=In progress"))
                #expect(bad.body.contains("value=\"0=Pending,x=Done\""))
                #expect(try await web.store.providers().isEmpty)

                let added = try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                                   [("name", "numeric"), ("url", "https://numbers.example/api/v2"), ("key", "k"),
                                                    ("codes", "0=Pending, 1=In progress,2=completed,3=Partial,4=Canceled")])
                #expect(added.status == 303)
                let provider = try #require(try await web.store.provider(named: "numeric"))
                #expect(provider.statusCodes == [0: .pending, 1: .inProgress, 2: .completed, 3: .partial, 4: .canceled])
                let list = try await admin.get("/admin/providers")
                #expect(list.texts(ofClass: "status-codes") == ["codes: 0=Pending,1=In progress,2=Completed,3=Partial,4=Canceled"])

                // Without the field: no table, as before.
                #expect(try await admin.submit(from: "/admin/providers", to: "/admin/providers",
                                               [("name", "words"), ("url", "https://words.example/api/v2"), ("key", "k")]).status == 303)
                #expect(try await web.store.provider(named: "words")?.statusCodes == [:])
            }
        }
    }

    @Test("orders held by the engine show on the dashboard with their reason, and are resent or linked from the pages",
          arguments: TestEngine.available)
    func heldOrders(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(settings: { $0.dispatchConcurrency = 1 }) { up in
                let service = try await up.importService(1, rate: "1.00", markup: "20")
                try await panel.web { web in
                    let (alice, _, _) = try await web.customer("alice", balance: "10")
                    var orders: [Order] = []
                    for index in 1...3 {
                        orders.append(try await up.place(alice, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                    }
                    up.fake.fail(.add, .error("Not enough funds on balance"))
                    up.fake.fail(.add, .error("Not enough funds on balance"))
                    up.fake.fail(.add, .error("Something odd happened"))
                    #expect(try await up.engine.dispatchRound() == 3)

                    let (boss, admin) = try await web.admin()
                    let dashboard = try await admin.get("/admin")
                    #expect(dashboard.texts(ofClass: "attention-count") == ["3"])
                    #expect(dashboard.texts(ofClass: "provider-alert").first?.contains("our balance at the provider is too low") == true)
                    let attention = try await admin.get("/admin/orders?attention=1")
                    #expect(attention.status == 200)
                    #expect(attention.texts(ofClass: "reason").sorted() == [
                        "provider: Not enough funds on balance", "provider: Not enough funds on balance",
                        "the provider answered an error this panel cannot classify: Something odd happened",
                    ])
                    // The list and the order show the provider side.
                    let list = try await admin.get("/admin/orders")
                    #expect(list.texts(ofClass: "upstream").count == 3 && list.texts(ofClass: "upstream").allSatisfy { $0.contains("up") })
                    let detail = try await admin.get("/admin/orders/\(orders[2].id)")
                    #expect(detail.texts(ofClass: "last-response").first?.contains("Something odd happened") == true)
                    // Filtered by provider: only the provider's orders, not a local one.
                    let local = try await panel.service(.default, rate: "1", name: "Local")
                    _ = try await panel.store.placeOrder(user: try await panel.store.user(id: alice.id)!, service: local,
                                                         fields: ["link": "https://x.test/local", "quantity": "100"])
                    #expect(try await admin.get("/admin/orders").texts(ofClass: "upstream").count == 3)
                    let byProvider = try await admin.get("/admin/orders?provider=\(up.provider.id)")
                    #expect(byProvider.status == 200)
                    #expect(byProvider.body.contains("x.test/1") && !byProvider.body.contains("x.test/local"))
                    #expect(try await admin.get("/admin/orders").body.contains("x.test/local"))
                    for language in ["en", "ar"] {
                        try await web.store.setLanguage(userID: boss.id, language)
                        for path in ["/admin", "/admin/orders", "/admin/orders?attention=1", "/admin/orders/\(orders[2].id)"] {
                            try WebPagesTests.expectRendered(try await admin.get(path), path: path, language: language)
                        }
                    }
                    try await web.store.setLanguage(userID: boss.id, "en")

                    // Without a token nothing moves.
                    _ = try await admin.get("/admin/orders?attention=1")
                    #expect(try await admin.post("/admin/orders/\(orders[2].id)/resend", [("back", "attention")], csrf: .some(nil)).status == 403)
                    #expect(try await up.info(orders[2].id).state == .held)

                    // Resent from the attention list; linked from the order's page.
                    let resent = try await admin.submit(from: "/admin/orders?attention=1", to: "/admin/orders/\(orders[2].id)/resend",
                                                        [("back", "attention")])
                    #expect(resent.status == 303 && resent.location?.hasPrefix("/admin/orders?attention=1") == true)
                    #expect(try await up.info(orders[2].id).state == .queued)
                    let linked = try await admin.submit(from: "/admin/orders/\(orders[1].id)", to: "/admin/orders/\(orders[1].id)/link",
                                                        [("upstream_id", "7777")])
                    #expect(linked.status == 303)
                    let info = try await up.info(orders[1].id)
                    #expect(info.state == .sent && info.upstreamOrderID == "7777")
                    let notHeld = try await admin.submit(from: "/admin/orders/\(orders[1].id)", to: "/admin/orders/\(orders[1].id)/resend", [])
                    #expect(notHeld.errors == ["order \(orders[1].id) is not held for its provider"])

                    // The provider's own holds go back in one click, and its alert clears.
                    let released = try await admin.submit(from: "/admin/providers", to: "/admin/providers/\(up.provider.id)/resend", [])
                    #expect(released.status == 303)
                    #expect(try await admin.following(released).notices == ["1 orders queued again."])
                    #expect(try await web.store.provider(id: up.provider.id)?.alert == "")
                    #expect(try await up.engine.dispatchRound() == 2)
                    #expect(try await up.info(orders[0].id).state == .sent)
                    #expect(try await up.info(orders[2].id).state == .sent)
                    #expect(try await admin.get("/admin").texts(ofClass: "attention-count") == ["0"])
                    #expect(try await panel.balance(of: alice) == money("6.3"))  // three provider orders at 1.20 and a local one at 0.10
                }
            }
            try await panel.expectLedgerClean()
        }
    }
}
