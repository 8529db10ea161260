import Foundation
import SMMDomain
import SMMStorage
import Testing

/// Ordering through the web pages: the same validation, messages, money and lifecycle rules
/// as the API, on each engine.
@Suite("Web orders")
struct WebOrderTests {
    @Test("three service types ordered, seen, one canceled with its refund", arguments: TestEngine.available)
    func orderTypesAndCancel(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let followers = try await panel.service(.default, rate: "0.90", min: 50, max: 10_000, dripFeed: true)
            let comments = try await panel.service(.customComments, rate: "8", min: 2, max: 100, cancel: false)
            let poll = try await panel.service(.poll, rate: "1.20", min: 100, max: 5000)
            try await panel.web { web in
                let (alice, browser, _) = try await web.customer("alice", balance: "10")

                // The form shows exactly the fields of the type.
                let commentForm = try await browser.get("/order?service=\(comments.id)")
                #expect(commentForm.body.contains("name=\"comments\"") && commentForm.body.contains("name=\"link\""))
                #expect(!commentForm.body.contains("name=\"quantity\"") && !commentForm.body.contains("name=\"runs\""))
                let pollForm = try await browser.get("/order?service=\(poll.id)")
                #expect(pollForm.body.contains("name=\"answer_number\"") && pollForm.body.contains("name=\"quantity\""))
                let dripForm = try await browser.get("/order?service=\(followers.id)")
                #expect(dripForm.body.contains("name=\"runs\"") && dripForm.body.contains("name=\"interval\""))

                // Preview: the server's charge, nothing placed.
                let preview = try await browser.post("/order", [("service", "\(followers.id)"), ("link", "https://ig.com/a"),
                                                                ("quantity", "157"), ("step", "preview")])
                #expect(preview.body.contains("<output id=\"live-charge\">0.14130</output>"))
                #expect(try await web.store.listOrders(.init(userID: alice.id)).isEmpty)

                // The API's own messages for refusals.
                let low = try await browser.post("/order", [("service", "\(poll.id)"), ("link", "https://x.com/p"), ("quantity", "5"),
                                                            ("answer_number", "1"), ("step", "place")])
                #expect(low.errors == ["Quantity less than minimal 100"])
                let missing = try await browser.post("/order", [("service", "\(poll.id)"), ("link", "https://x.com/p"), ("quantity", "100"),
                                                                ("step", "place")])
                #expect(missing.errors == ["Missing required field: answer_number"])
                #expect(try await web.store.listOrders(.init(userID: alice.id)).isEmpty)

                // Three types placed: a drip-feed, comments, a poll.
                let drip = try await browser.post("/order", [("service", "\(followers.id)"), ("link", "https://ig.com/a"), ("quantity", "100"),
                                                             ("runs", "3"), ("interval", "10"), ("step", "place")])
                #expect(drip.status == 303)
                let placed1 = try await browser.post("/order", [("service", "\(comments.id)"), ("link", "https://ig.com/b"),
                                                                ("comments", "nice\r\n\r\ngreat\nwow"), ("step", "place")])
                let placed2 = try await browser.post("/order", [("service", "\(poll.id)"), ("link", "https://x.com/p"), ("quantity", "1000"),
                                                                ("answer_number", "2"), ("step", "place")])
                #expect(placed1.status == 303 && placed2.status == 303)
                let orders = try await web.store.listOrders(.init(userID: alice.id))
                #expect(orders.count == 3)
                let byType = Dictionary(orders.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
                #expect(byType[.default]?.runs == 3 && byType[.default]?.quantity == 300)
                #expect(byType[.customComments]?.quantity == 3 && byType[.customComments]?.charge == Money(parsing: "0.024"))
                #expect(byType[.poll]?.fields["answer_number"] == "2")
                // 0.27 + 0.024 + 1.20
                #expect(try await panel.balance(of: alice) == Money(parsing: "8.506"))

                let detail = try await browser.following(placed2)
                #expect(detail.notices == ["Order #\(byType[.poll]!.id) was placed."])
                let dripDetail = try await browser.get("/orders/\(byType[.default]!.id)")
                #expect(dripDetail.body.contains("Drip-feed") && dripDetail.body.contains("runs 0/3"))

                // The list shows them, with cancel only where the rules allow it.
                let list = try await browser.get("/orders")
                for order in orders { #expect(list.body.contains("href=\"/orders/\(order.id)\"")) }
                #expect(list.body.contains("action=\"/orders/\(byType[.poll]!.id)/cancel\""))
                #expect(!list.body.contains("action=\"/orders/\(byType[.customComments]!.id)/cancel\""))
                let filtered = try await browser.get("/orders?q=x.com")
                #expect(filtered.body.contains("href=\"/orders/\(byType[.poll]!.id)\"") && !filtered.body.contains("href=\"/orders/\(byType[.default]!.id)\""))

                let refused = try await browser.post("/orders/\(byType[.customComments]!.id)/cancel", [])
                #expect(refused.errors == ["Cancel is not available for this order"])
                let canceled = try await browser.post("/orders/\(byType[.poll]!.id)/cancel", [])
                #expect(canceled.status == 303)
                #expect(try await browser.following(canceled).notices == ["Order #\(byType[.poll]!.id) was canceled and its charge refunded."])
                #expect(try await panel.balance(of: alice) == Money(parsing: "9.706"))
                #expect(try await browser.get("/dashboard").body.contains("9.70600"))
                try await panel.expectLedgerClean()
            }
        }
    }

    @Test("mass order: every line on its own, valid lines placed", arguments: TestEngine.available)
    func massOrder(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000)
            try await panel.web { web in
                let (alice, browser, _) = try await web.customer("alice", balance: "1")
                let text = """
                    \(service.id) | https://a.example/1 | 100
                    \(service.id) | https://a.example/2 | 5

                    999 | https://a.example/3 | 100
                    just some words
                    \(service.id) | https://a.example/4 | 1000
                    \(service.id) | https://a.example/5 | 200
                    """
                let page = try await browser.submit(from: "/order/mass", to: "/order/mass", [("orders", text)])
                #expect(page.status == 200)
                #expect(page.notices == ["2 of 6 lines placed."])
                #expect(page.body.contains("Line 2: <code dir=\"ltr\">\(service.id) | https://a.example/2 | 5</code> → Quantity less than minimal 10"))
                #expect(page.body.contains("Line 4: <code dir=\"ltr\">999 | https://a.example/3 | 100</code> → Incorrect service ID"))
                #expect(page.body.contains("→ Write the line as: service_id | link | quantity"))
                #expect(page.body.contains("Line 6: <code dir=\"ltr\">\(service.id) | https://a.example/4 | 1000</code> → Not enough funds on balance"))
                let orders = try await web.store.listOrders(.init(userID: alice.id))
                #expect(Set(orders.map(\.link)) == ["https://a.example/1", "https://a.example/5"])
                #expect(try await panel.balance(of: alice) == Money(parsing: "0.7"))
                try await panel.expectLedgerClean()
            }
        }
    }

    @Test("refill button where the rules allow it; refills pages of customer and admin", arguments: TestEngine.available)
    func refill(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000, refill: true)
            try await panel.web { web in
                let (alice, browser, _) = try await web.customer("alice", balance: "5")
                let order = try await web.store.placeOrder(user: alice, service: service, fields: ["link": "https://r.example", "quantity": "100"])
                #expect(!(try await browser.get("/orders").body.contains("/orders/\(order.id)/refill")))
                try await web.store.updateOrder(id: order.id, OrderChange(status: .completed))
                #expect(try await browser.get("/orders").body.contains("action=\"/orders/\(order.id)/refill\""))
                #expect(try await browser.post("/orders/\(order.id)/refill", []).status == 303)
                let refills = try await web.store.listRefills(userID: alice.id)
                #expect(refills.count == 1)
                let page = try await browser.get("/refills")
                #expect(page.body.contains("#\(order.id)") && page.body.contains("Pending"))
                // One open refill per order: the button is gone, a forced second POST is refused.
                #expect(!(try await browser.get("/orders").body.contains("/orders/\(order.id)/refill")))
                #expect(try await browser.post("/orders/\(order.id)/refill", []).errors == ["Refill is not available for this order"])

                // The admin moves it on; a final refill offers no more choices.
                let (_, admin) = try await web.admin()
                let adminPage = try await admin.get("/admin/refills")
                #expect(adminPage.body.contains("action=\"/admin/refills/\(refills[0].id)\""))
                let backwards = try await admin.post("/admin/refills/\(refills[0].id)", [("status", "Pending")])
                #expect(backwards.errors == ["refill \(refills[0].id) is Pending; it cannot become Pending"])
                #expect(try await admin.post("/admin/refills/\(refills[0].id)", [("status", "Completed")]).status == 303)
                #expect(try await web.store.refills(ids: [refills[0].id], userID: alice.id)[refills[0].id]?.status == .completed)
                #expect(!(try await admin.get("/admin/refills").body.contains("action=\"/admin/refills/\(refills[0].id)\"")))
                #expect(try await browser.get("/refills").body.contains("Completed"))
            }
        }
    }

    @Test("another customer's order can be neither seen nor canceled", arguments: TestEngine.available)
    func foreignOrders(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000)
            try await panel.web { web in
                let (alice, _, _) = try await web.customer("alice", balance: "5")
                let order = try await web.store.placeOrder(user: alice, service: service, fields: ["link": "https://secret.example/x", "quantity": "100"])
                let (_, bob, _) = try await web.customer("bob", balance: "5")
                #expect(try await bob.get("/orders/\(order.id)").status == 404)
                #expect(!(try await bob.get("/orders").body.contains("secret.example")))
                #expect(!(try await bob.get("/orders?q=\(order.id)").body.contains("secret.example")))
                _ = try await bob.get("/orders")
                #expect(try await bob.post("/orders/\(order.id)/cancel", []).status == 404)
                #expect(try await bob.post("/orders/\(order.id)/refill", []).status == 404)
                #expect(try await web.store.order(id: order.id)?.status == .pending)
                #expect(try await panel.balance(of: alice) == Money(parsing: "4.9"))
            }
        }
    }

    @Test("a link or username with <script> is shown escaped on every page", arguments: TestEngine.available)
    func escaping(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000, name: "<script>alert('svc')</script>")
            try await panel.web { web in
                let (evil, _) = try await panel.customer("<script>alert('user')</script>", balance: "5")
                let link = "https://x.example/<script>alert('link')</script>"
                let order = try await web.store.placeOrder(user: evil, service: service, fields: ["link": link, "quantity": "100"])
                _ = try await web.store.createPaymentRequest(userID: evil.id, method: "PayPal", amount: Money(parsing: "1")!,
                                                             reference: "<script>alert('ref')</script>")
                let (_, admin) = try await web.admin()
                var pages: [WebClient.Page] = []
                for path in ["/admin", "/admin/users", "/admin/users/\(evil.id)", "/admin/orders", "/admin/orders/\(order.id)",
                             "/admin/payments", "/admin/ledger", "/admin/catalog", "/admin/services/\(service.id)", "/services", "/order?service=\(service.id)"] {
                    let page = try await admin.get(path)
                    #expect(page.status == 200, "\(path)")
                    pages.append(page)
                }
                // The customer's own pages (they log in with a password set by an operator).
                try await web.store.setPassword(userID: evil.id, hash: try await HashForTests.bcrypt("long-password-1"))
                let customer = web.browser()
                _ = try await customer.login(evil.username, "long-password-1")
                for path in ["/dashboard", "/orders", "/orders/\(order.id)", "/funds", "/services"] {
                    pages.append(try await customer.get(path))
                }
                for page in pages {
                    #expect(!page.body.contains("<script>alert"))
                }
                let all = pages.map(\.body).joined()
                for word in ["user", "svc", "link", "ref"] {
                    #expect(all.contains("&lt;script&gt;alert(&#39;\(word)&#39;)&lt;/script&gt;"), "\(word) shown escaped")
                }
            }
        }
    }
}
