import Foundation
import SMMDomain
import SMMStorage
import Testing

/// Every page answers without error and renders in both languages, for each kind of visitor.
@Suite("Web pages")
struct WebPagesTests {
    static let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let resources = sourceRoot.appendingPathComponent("Sources/SMMWeb/Resources")

    /// A label that did not go through a strings table shows its key.
    static let untranslated = try! NSRegularExpression(pattern: "[>\\s\"](nav|status|field|help|ledger|err|col|notice|api|mass|login|signup|password|payment|payments)_[a-z_]+[<\\s\"]")

    @Test("every page in English and Arabic, as guest, customer and admin", arguments: TestEngine.available)
    func everyPage(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            var made: [Service] = []
            for type in ServiceType.allCases {
                made.append(try await panel.service(type, rate: "1", min: 1, max: 1000, refill: type == .default,
                                                        dripFeed: type.supportsDripFeed, name: "\(type.rawValue) svc", category: "Cat \(type.isFlatPrice)"))
            }
            let services = made
            try await panel.web { web in
                let (alice, customer, _) = try await web.customer("alice", balance: "50")
                let (admin, adminBrowser) = try await web.admin()
                let byType = Dictionary(services.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
                let plain = try await web.store.placeOrder(user: alice, service: byType[.default]!, fields: ["link": "https://a/1", "quantity": "10"])
                let drip = try await web.store.placeOrder(user: alice, service: byType[.default]!,
                                                          fields: ["link": "https://a/2", "quantity": "10", "runs": "2", "interval": "5"])
                let subscription = try await web.store.placeOrder(user: alice, service: byType[.subscriptions]!,
                                                                  fields: ["username": "someone", "min": "5", "max": "10", "expiry": "1/1/2031"])
                try await web.store.updateOrder(id: plain.id, OrderChange(status: .completed))
                _ = try await web.store.createRefill(orderID: plain.id, userID: alice.id)
                try await web.store.startDueDripFeedRuns()
                _ = try await web.store.createPaymentRequest(userID: alice.id, method: "Cash", amount: Money(parsing: "5")!, reference: "cash-1")
                try await web.store.setCustomRate(userID: alice.id, serviceID: byType[.poll]!.id, rate: Money(parsing: "0.5"))
                // A provider (never called here) so the providers page has a row.
                _ = try await web.store.createProvider(name: "up", url: "http://127.0.0.1:9/api/v2", apiKey: "k", honorsRequestID: false,
                                                       statusCodes: [:], allowHTTP: true, allowPrivateAddress: true)

                let guestPages = ["/login", "/signup", "/services", "/services?q=poll"]
                var customerPages = ["/dashboard", "/order", "/order?category=\(services[0].categoryID)", "/order/mass", "/orders",
                                     "/orders?status=Pending&q=a&page=2", "/refills", "/services", "/funds", "/api", "/account"]
                customerPages += services.map { "/order?service=\($0.id)" }
                // An admin has their own (empty) customer pages; alice's orders are 404 to them there.
                let ownOrders = [plain.id, drip.id, subscription.id].map { "/orders/\($0)" }
                let adminPages = ["/admin", "/admin/users", "/admin/users?q=al", "/admin/users/\(alice.id)", "/admin/catalog",
                                  "/admin/services/new", "/admin/services/\(services[0].id)", "/admin/orders",
                                  "/admin/orders?status=Pending&service=\(services[0].id)&user=alice&q=a", "/admin/orders/\(drip.id)",
                                  "/admin/orders/\(subscription.id)", "/admin/orders/\(plain.id)", "/admin/refills", "/admin/payments",
                                  "/admin/ledger", "/admin/ledger?user=alice", "/admin/providers", "/admin/orders?attention=1"]

                var checked = 0
                for language in ["en", "ar"] {
                    let guest = web.browser()
                    await guest.setCookie("smm_lang", language)
                    try await web.store.setLanguage(userID: alice.id, language)
                    try await web.store.setLanguage(userID: admin.id, language)
                    for (browser, pages) in [(guest, guestPages), (customer, customerPages + ownOrders), (adminBrowser, customerPages + adminPages)] {
                        for path in pages {
                            let page = try await browser.get(path)
                            try Self.expectRendered(page, path: path, language: language)
                            // One menu, and the console's own menu only inside the console.
                            let menus = page.body.components(separatedBy: "<nav class=\"menu admin\">").count - 1
                            #expect(menus == (path.hasPrefix("/admin") ? 1 : 0), "\(path): \(menus) admin menus")
                            #expect(page.body.components(separatedBy: "<nav class=\"menu\">").count - 1 == (browser === guest ? 0 : 1), "\(path)")
                            checked += 1
                        }
                    }
                    // Guests are sent to log in; the API key page's POST renders too.
                    #expect(try await guest.get("/orders").location == "/login?next=/orders")
                    let key = try await customer.submit(from: "/api", to: "/api/key", [])
                    try Self.expectRendered(key, path: "POST /api/key", language: language)
                    #expect(key.body.contains("id=\"api-key\""))
                }
                #expect(checked == 2 * (guestPages.count + customerPages.count * 2 + ownOrders.count + adminPages.count))
            }
        }
    }

    static func expectRendered(_ page: WebClient.Page, path: String, language: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(page.status == 200, "\(path) [\(language)]", sourceLocation: sourceLocation)
        let dir = language == "ar" ? "rtl" : "ltr"
        #expect(page.body.contains("<html lang=\"\(language)\" dir=\"\(dir)\">"), "\(path) [\(language)]", sourceLocation: sourceLocation)
        #expect(!page.body.contains("{{"), "\(path) [\(language)] has unrendered mustache", sourceLocation: sourceLocation)
        let range = NSRange(page.body.startIndex..., in: page.body)
        if let match = untranslated.firstMatch(in: page.body, range: range) {
            Issue.record("\(path) [\(language)] shows an untranslated key: \(page.body[Range(match.range, in: page.body)!])",
                         sourceLocation: sourceLocation)
        }
        if language == "ar" { #expect(page.body.contains("لوحة SMM"), "\(path) has the Arabic layout", sourceLocation: sourceLocation) }
    }

    static func table(_ code: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(contentsOf: resources.appendingPathComponent("strings/\(code).json")))
    }

    static let refusalKeys = Set(Refusal.Key.allCases.map { "refusal_" + $0.rawValue })

    @Test("both strings tables have the same keys, and every template label exists")
    func stringsTables() throws {
        let en = try Self.table("en"), ar = try Self.table("ar")
        // Refusals only in Arabic: their English is the domain's sentence, the CLI's own words.
        let translated = Set(ar.keys).subtracting(Self.refusalKeys)
        #expect(Set(en.keys) == translated, "only in en: \(Set(en.keys).subtracting(translated)); only in ar: \(translated.subtracting(en.keys))")
        #expect(en.values.allSatisfy { !$0.isEmpty } && ar.values.allSatisfy { !$0.isEmpty })
        let templates = Self.resources.appendingPathComponent("templates")
        let label = try NSRegularExpression(pattern: "\\{\\{t\\.([a-z0-9_]+)\\}\\}")
        var used = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: templates.path) {
            let text = try String(contentsOf: templates.appendingPathComponent(file), encoding: .utf8)
            for match in label.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                used.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        #expect(used.count > 100)
        #expect(used.subtracting(en.keys).isEmpty, "labels missing from the tables: \(used.subtracting(en.keys))")
        // The English refusals are the API's own wording.
        #expect(en["err_active_order"] == PanelError.activeOrderWithLink.message)
        #expect(en["err_not_enough_funds"] == PanelError.notEnoughFunds.message)
        #expect(en["err_quantity_below"]?.replacingOccurrences(of: "{n}", with: "50") == PanelError.quantityBelowMinimum(50).message)
    }

    @Test("every refusal has an Arabic sentence: the English template's placeholders and numbers, no English left")
    func refusalsInArabic() throws {
        let ar = try Self.table("ar")
        #expect(Set(ar.keys.filter { $0.hasPrefix("refusal_") }) == Self.refusalKeys)
        func withoutPlaceholders(_ text: String) -> String { text.filling(Dictionary(uniqueKeysWithValues: text.placeholderNames.map { ($0, " ") })) }
        func numbers(_ text: String) -> [String] { text.split(whereSeparator: { !$0.isASCII || !$0.isNumber }).map(String.init).sorted() }
        for key in Refusal.Key.allCases {
            let english = key.template
            guard let arabic = ar["refusal_" + key.rawValue] else {
                Issue.record("no Arabic for \(key.rawValue)")
                continue
            }
            #expect(arabic.placeholderNames == english.placeholderNames, "\(key.rawValue): \(arabic)")
            let bare = withoutPlaceholders(arabic)
            #expect(bare.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) }, "\(key.rawValue): \(arabic)")
            // Latin letters only as elsewhere in ar.json: API and URL schemes.
            let latin = Set(bare.split(whereSeparator: { !($0.isASCII && $0.isLetter) }).map(String.init))
            #expect(latin.isSubset(of: ["API", "https", "http"]), "\(key.rawValue) left in English: \(latin)")
            #expect(numbers(bare) == numbers(withoutPlaceholders(english)), "\(key.rawValue): \(arabic)")
        }
    }
}
