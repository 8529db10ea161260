import Foundation
import SMMDomain
import SMMStorage
import Testing

/// The admin console: who may see it, and what its forms do to money and orders.
@Suite("Web admin console")
struct WebAdminTests {
    @Test("customers and guests get 404 under /admin; admins get the console", arguments: TestEngine.available)
    func adminOnly(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (alice, customer, _) = try await web.customer("alice", balance: "5")
                let guest = web.browser()
                for path in ["/admin", "/admin/users", "/admin/users/\(alice.id)", "/admin/orders", "/admin/catalog", "/admin/payments"] {
                    #expect(try await customer.get(path).status == 404, "\(path)")
                    #expect(try await guest.get(path).status == 404, "\(path)")
                }
                // The very page an address that does not exist gets.
                let denied = try await customer.get("/admin/users")
                let missing = try await customer.get("/no-such-page")
                // (Only the language link's way back differs: it is the address asked for.)
                #expect(missing.status == 404 && denied.body.contains("Page not found"))
                #expect(denied.body.replacingOccurrences(of: "/admin/users", with: "/x") == missing.body.replacingOccurrences(of: "/no-such-page", with: "/x"))
                // Forms too, even with a valid token: nothing changes.
                _ = try await customer.get("/dashboard")
                #expect(try await customer.post("/admin/users/\(alice.id)/balance", [("amount", "100"), ("memo", "x"), ("direction", "add")]).status == 404)
                #expect(try await panel.balance(of: alice) == Money(parsing: "5"))
                #expect(!(try await customer.get("/dashboard").body.contains("href=\"/admin\"")))

                let (_, admin) = try await web.admin()
                let console = try await admin.get("/admin")
                #expect(console.status == 200 && console.body.contains("href=\"/admin/users\""))
            }
        }
    }

    @Test("a payment request is credited exactly once, even when two admins approve at once", arguments: TestEngine.available)
    func paymentApproval(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (alice, customer, _) = try await web.customer("alice")
                let bad = try await customer.submit(from: "/funds", to: "/funds", [("method", "PayPal"), ("amount", "1.234567"), ("reference", "r")])
                #expect(bad.errors == ["Incorrect amount"])
                let sent = try await customer.submit(from: "/funds", to: "/funds", [("method", "PayPal"), ("amount", "25.5"), ("reference", "TX-77")])
                #expect(sent.status == 303)
                let request = try #require(try await web.store.paymentRequests(userID: alice.id).first)
                #expect(request.status == .pending && request.amount == Money(parsing: "25.5"))
                #expect(try await panel.balance(of: alice) == .zero)

                let (_, first) = try await web.admin("boss1")
                let (_, second) = try await web.admin("boss2")
                _ = try await first.get("/admin/payments")
                let secondPage = try await second.get("/admin/payments")
                #expect(secondPage.body.contains("TX-77"))
                // Both admins click Approve at the same moment, on separate connections.
                let port = web.client.port!
                let answers = try await withExtraClient(port: port) { extra in
                    let secondOnItsOwn = WebClient(connection: extra)
                    for (name, value) in await second.cookies { await secondOnItsOwn.setCookie(name, value) }
                    _ = try await secondOnItsOwn.get("/admin/payments")
                    async let a = first.post("/admin/payments/\(request.id)", [("decision", "approve")])
                    async let b = secondOnItsOwn.post("/admin/payments/\(request.id)", [("decision", "approve")])
                    return try await [a, b]
                }
                #expect(answers.filter { $0.status == 303 }.count == 1)
                #expect(answers.flatMap(\.errors) == ["payment request \(request.id) was decided already"])
                #expect(try await panel.balance(of: alice) == Money(parsing: "25.5"))
                let ledger = try await web.store.ledgerEntries(userID: alice.id)
                #expect(ledger.count == 1 && ledger[0].kind == "deposit")

                // The customer sees it; a rejected request credits nothing.
                let funds = try await customer.get("/funds")
                #expect(funds.body.contains("25.50000") && funds.body.contains("Approved"))
                _ = try await customer.submit(from: "/funds", to: "/funds", [("method", "Crypto"), ("amount", "10"), ("reference", "TX-78")])
                let second2 = try #require(try await web.store.paymentRequests(userID: alice.id, status: .pending).first)
                #expect(try await first.submit(from: "/admin/payments", to: "/admin/payments/\(second2.id)",
                                               [("decision", "reject"), ("note", "no such transfer")]).status == 303)
                #expect(try await panel.balance(of: alice) == Money(parsing: "25.5"))
                #expect(try await customer.get("/funds").body.contains("no such transfer"))

                // At most five requests wait at once; the sixth is refused and not stored.
                for index in 0..<5 {
                    _ = try await web.store.createPaymentRequest(userID: alice.id, method: "Cash", amount: Money(parsing: "1")!, reference: "c\(index)")
                }
                let sixth = try await customer.submit(from: "/funds", to: "/funds", [("method", "Cash"), ("amount", "1"), ("reference", "c5")])
                #expect(sixth.errors == ["You have 5 payment requests waiting; wait until they are reviewed"])
                // In the customer's language.
                try await web.store.setLanguage(userID: alice.id, "ar")
                let arabic = try await customer.submit(from: "/funds", to: "/funds", [("method", "Cash"), ("amount", "1"), ("reference", "c6")])
                #expect(arabic.errors == ["لديك 5 طلبات دفع بانتظار المراجعة؛ انتظر حتى تتم مراجعتها"])
                #expect(try await web.store.paymentRequests(userID: alice.id, status: .pending).count == 5)
                try await panel.expectLedgerClean()
            }
        }
    }

    @Test("an admin sets an order Partial and the customer sees the refund", arguments: TestEngine.available)
    func partialOrder(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "2", min: 10, max: 1000)
            try await panel.web { web in
                let (alice, customer, _) = try await web.customer("alice", balance: "1")
                let order = try await web.store.placeOrder(user: alice, service: service, fields: ["link": "https://p.example", "quantity": "200"])
                #expect(try await panel.balance(of: alice) == Money(parsing: "0.6"))
                let (_, admin) = try await web.admin()
                let page = try await admin.get("/admin/orders/\(order.id)")
                #expect(page.body.contains("https://p.example"))

                // The state machine's refusals come back as messages and change nothing.
                let refused = try await admin.post("/admin/orders/\(order.id)", [("status", "Partial"), ("remains", "200")])
                #expect(refused.errors == ["a Partial order needs remains between 1 and 199; nothing delivered is Canceled"])
                #expect(try await web.store.order(id: order.id)?.status == .pending)

                #expect(try await admin.post("/admin/orders/\(order.id)", [("status", "In progress"), ("start_count", "1500")]).status == 303)
                #expect(try await admin.post("/admin/orders/\(order.id)", [("status", "Partial"), ("remains", "50"), ("start_count", "1500")]).status == 303)
                let updated = try #require(try await web.store.order(id: order.id))
                #expect(updated.status == .partial && updated.remains == 50 && updated.startCount == 1500)
                // 50/200 of 0.40 back.
                #expect(try await panel.balance(of: alice) == Money(parsing: "0.7"))
                let seen = try await customer.get("/orders/\(order.id)")
                #expect(seen.body.contains("Partial") && seen.body.contains("0.30000"))
                #expect(try await customer.get("/funds").body.contains("0.10000"))
                // Final: no second refund through the form.
                #expect(try await admin.post("/admin/orders/\(order.id)/cancel", []).errors.first?.contains("final") == true)
                #expect(try await panel.balance(of: alice) == Money(parsing: "0.7"))
                try await panel.expectLedgerClean()
            }
        }
    }

    @Test("an operator rule's refusal is shown in the admin's language and changes nothing; English and the CLI keep their words",
          arguments: TestEngine.available)
    func refusalInArabic(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "2", min: 10, max: 1000)
            try await panel.web { web in
                let (alice, _, _) = try await web.customer("alice", balance: "1")
                let order = try await web.store.placeOrder(user: alice, service: service, fields: ["link": "https://r.example", "quantity": "100"])
                let (boss, admin) = try await web.admin()
                try await web.store.setLanguage(userID: boss.id, "ar")
                #expect(try await admin.submit(from: "/admin/catalog", to: "/admin/categories", [("name", "TikTok")]).status == 303)
                let categories = try await web.store.categories()

                let twice = try await admin.submit(from: "/admin/catalog", to: "/admin/categories", [("name", "TikTok"), ("sort", "5")])
                #expect(twice.errors == ["توجد فئة باسم TikTok بالفعل"])
                let negative = try await admin.submit(from: "/admin/services/new", to: "/admin/services/new",
                                                      [("name", "TT views"), ("category", "TikTok"), ("type", "Default"), ("rate", "-1"),
                                                       ("min", "1"), ("max", "10")])
                #expect(negative.errors == ["لا يجوز أن يكون السعر سالبًا"])
                // Statuses read as the Arabic status column shows them.
                _ = try await admin.get("/admin/orders/\(order.id)")
                #expect(try await admin.post("/admin/orders/\(order.id)", [("status", "In progress")]).status == 303)
                let back = try await admin.post("/admin/orders/\(order.id)", [("status", "Pending")])
                #expect(back.errors == ["يتقدم الطلب إلى الأمام فقط: لا يمكن الرجوع من «قيد التنفيذ» إلى «قيد الانتظار»"])
                #expect(try await web.store.categories() == categories)
                #expect(try await web.store.services().map(\.id) == [service.id])
                #expect(try await web.store.order(id: order.id)?.status == .inProgress)

                // The English page and the CLI say the very sentence they always did.
                try await web.store.setLanguage(userID: boss.id, "en")
                let english = try await admin.submit(from: "/admin/catalog", to: "/admin/categories", [("name", "TikTok")])
                #expect(english.errors == ["a category named TikTok exists already"])
                let cli = try await CLITests.smmpanel(["category", "create", "TikTok"], database: panel.configuration.database)
                #expect(cli.status != 0 && cli.output.contains("a category named TikTok exists already"), "\(cli.output)")
                try await panel.expectLedgerClean()
            }
        }
    }

    @Test("custom rates price the web, the API list and API orders of that user only", arguments: TestEngine.available)
    func customRates(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "2", min: 10, max: 1000)
            try await panel.web { web in
                let (alice, aliceKey) = try await panel.customer("alice", balance: "10")
                let (bob, bobKey) = try await panel.customer("bob", balance: "10")
                let (_, admin) = try await web.admin()
                let bad = try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/rate",
                                                 [("service", "\(service.id)"), ("rate", "-1")])
                #expect(bad.errors == ["Incorrect rate"])
                #expect(try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/rate",
                                               [("service", "\(service.id)"), ("rate", "1.5")]).status == 303)

                let aliceList = try await web.api.call([("key", aliceKey), ("action", "services")])
                #expect(aliceList.contains("\"rate\":\"1.50\""))
                #expect(try await web.api.call([("key", bobKey), ("action", "services")]).contains("\"rate\":\"2.00\""))
                #expect(try await web.api.call([("key", aliceKey), ("action", "add"), ("service", "\(service.id)"),
                                                ("link", "https://c.example/1"), ("quantity", "100")]).hasPrefix("{\"order\":"))
                #expect(try await web.api.call([("key", bobKey), ("action", "add"), ("service", "\(service.id)"),
                                                ("link", "https://c.example/2"), ("quantity", "100")]).hasPrefix("{\"order\":"))
                #expect(try await panel.balance(of: alice) == Money(parsing: "9.85"))
                #expect(try await panel.balance(of: bob) == Money(parsing: "9.8"))

                // A blank rate removes it.
                #expect(try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/rate",
                                               [("service", "\(service.id)"), ("rate", "")]).status == 303)
                #expect(try await web.store.customRates(userID: alice.id).isEmpty)
            }
        }
    }

    @Test("balance adjustments with memo, disabling a user, catalog editing", arguments: TestEngine.available)
    func usersAndCatalog(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (alice, customer, _) = try await web.customer("alice", balance: "5")
                let (boss, admin) = try await web.admin()
                let selfDisable = try await admin.submit(from: "/admin/users/\(boss.id)", to: "/admin/users/\(boss.id)/disable", [("disabled", "1")])
                #expect(selfDisable.errors == ["You cannot disable your own account."])
                #expect(try await web.store.user(id: boss.id)?.disabled == false)
                #expect(try await admin.get("/admin/users?q=ali").body.contains("href=\"/admin/users/\(alice.id)\""))
                let noMemo = try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/balance",
                                                    [("amount", "3"), ("direction", "add")])
                #expect(noMemo.errors == ["Missing required field: memo"])
                #expect(try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/balance",
                                               [("amount", "3"), ("memo", "bonus"), ("direction", "add")]).status == 303)
                let tooMuch = try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/balance",
                                                     [("amount", "100"), ("memo", "oops"), ("direction", "deduct")])
                #expect(tooMuch.errors == ["Not enough funds on balance"])
                #expect(try await panel.balance(of: alice) == Money(parsing: "8"))
                #expect(try await admin.get("/admin/ledger?user=alice").body.contains("bonus (by boss)"))

                // Disabling ends the customer's web session.
                #expect(try await admin.submit(from: "/admin/users/\(alice.id)", to: "/admin/users/\(alice.id)/disable", [("disabled", "1")]).status == 303)
                #expect(try await customer.get("/dashboard").status == 303)

                // Catalog: a category, a service, an edit, disable.
                #expect(try await admin.submit(from: "/admin/catalog", to: "/admin/categories", [("name", "TikTok"), ("sort", "2")]).status == 303)
                let refused = try await admin.submit(from: "/admin/services/new", to: "/admin/services/new",
                                                     [("name", "TT views"), ("category", "TikTok"), ("type", "Default"), ("rate", "0.5"),
                                                      ("min", "100"), ("max", "10")])
                #expect(refused.errors == ["max must be at least min"])
                #expect(refused.body.contains("value=\"TT views\""))
                let created = try await admin.submit(from: "/admin/services/new", to: "/admin/services/new",
                                                     [("name", "TT views"), ("category", "TikTok"), ("type", "Default"), ("rate", "0.5"),
                                                      ("min", "100"), ("max", "10000"), ("cancel", "1")])
                #expect(created.status == 303)
                let service = try #require(try await web.store.services().first { $0.name == "TT views" })
                #expect(service.cancel && !service.refill && service.categoryName == "TikTok")
                #expect(try await admin.submit(from: "/admin/services/\(service.id)", to: "/admin/services/\(service.id)",
                                               [("name", "TT views HQ"), ("category", "TikTok"), ("type", "Default"), ("rate", "0.75"),
                                                ("min", "100"), ("max", "10000")]).status == 303)
                let edited = try #require(try await web.store.service(id: service.id))
                #expect(edited.name == "TT views HQ" && edited.rate == Money(parsing: "0.75") && !edited.cancel)
                #expect(try await admin.submit(from: "/admin/catalog", to: "/admin/services/\(service.id)/enabled", [("enabled", "0")]).status == 303)
                #expect(try await web.store.service(id: service.id)?.enabled == false)
                #expect(!(try await web.browser().get("/services").body.contains("TT views HQ")))
            }
        }
    }
}
