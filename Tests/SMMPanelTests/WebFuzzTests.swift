import Foundation
import HTTPTypes
import SMMDomain
import SQLKit
import SMMStorage
import Testing

/// Generated hostile requests at every page of the site and the admin console, as a guest, a
/// customer and an admin: huge, negative and unicode numbers, 64 KiB values, repeated and empty
/// fields, wrong methods, missing or wrong CSRF tokens. No answer is a 5xx, a refused request
/// changes nothing, and the books balance afterwards.
///
/// `SMMPANEL_WEB_FUZZ_SEED` replays a run (the seed is printed); `SMMPANEL_WEB_FUZZ_REQUESTS`
/// changes the count (default 3,000). Requests go one at a time, so the state read after one is
/// the state before the next.
@Suite struct WebFuzzTests {
    @Test(arguments: TestEngine.available)
    func generatedPageRequestsBreakNothing(engine: TestEngine) async throws {
        let (seed, total) = FuzzRun.settings("SMMPANEL_WEB_FUZZ", defaultCount: 3_000, label: "WebFuzzTests[\(engine)]")
        try await TestPanel.with(engine) { panel in
            // The provider pages call a provider that refuses every connection: each call ends at once.
            try await panel.web { web in
                let targets = try await WebFuzzTargets.make(web)
                var generator = PageRequestGenerator(seed: seed, targets: targets)
                var actors: [WebFuzzActor: WebClient] = [:]
                var signedIn: Set<WebFuzzActor> = []
                var report = WebFuzzReport()
                var before = try await web.panel.panelFootprint()
                for index in 0..<total {
                    let request = generator.next()
                    let browser = actors[request.actor] ?? web.browser()
                    actors[request.actor] = browser
                    if request.actor != .guest, !signedIn.contains(request.actor) {
                        let name = request.actor == .admin ? targets.adminName : targets.customerName
                        // Still signed in: the login page sends the visitor on.
                        if try await browser.get("/login").status != 303 {
                            let page = try await browser.post("/login", [("username", name), ("password", targets.password)])
                            #expect(page.status == 303, "the \(request.actor) could not sign in again: \(page.status) \(page.errors)")
                        }
                        signedIn.insert(request.actor)
                        before = try await web.panel.panelFootprint()
                    }
                    let page: WebClient.Page
                    let sentAt = ContinuousClock.now
                    defer { report.time[request.route.key, default: .zero] += ContinuousClock.now - sentAt }
                    do {
                        page = try await request.send(browser)
                    } catch {
                        Issue.record("seed \(seed), request \(index) (\(request.summary)): \(error)")
                        throw error
                    }
                    let after = try await web.panel.panelFootprint()
                    report.check(request, page, before: before, after: after, index: index)
                    before = after
                    // Anything that may end the session (logging out or in, a password change, a
                    // redirect to the login page) signs the actor in again before its next turn.
                    if request.mayEndSession || page.location?.hasPrefix("/login") == true { signedIn.remove(request.actor) }
                }
                print("WebFuzzTests[\(engine)]: \(report.sent) requests; statuses \(report.statuses.sorted { $0.key < $1.key }); "
                      + "\(report.accepted) accepted POSTs, \(report.refused) refused; slowest pages "
                      + "\(report.time.sorted { $0.value > $1.value }.prefix(4).map { "\($0.key) \($0.value)" })")
                #expect(report.problems.isEmpty, "seed \(seed): \(report.problems.prefix(20).joined(separator: "\n"))")
                // Enough got through, and enough was refused, to mean something.
                #expect(report.accepted > total / 100 && report.refused > total / 10)
                #expect(report.routesHit.count == WebFuzzRoute.all.count,
                        "never tried: \(WebFuzzRoute.all.map(\.key).filter { !report.routesHit.contains($0) })")
                try await panel.expectLedgerClean()
            }
        }
    }

    /// Every page the web module registers is in the fuzz table (a new page cannot be missed).
    @Test func everyRegisteredPageIsFuzzed() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/SMMWeb")
        let files = try FileManager.default.contentsOfDirectory(at: sources, includingPropertiesForKeys: nil).filter { $0.pathExtension == "swift" }
        let pattern = try NSRegularExpression(pattern: #"pages\.(?:anyone|customer|admin)\.(get|post)\("([^"]+)""#)
        var registered: Set<String> = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let method = String(text[Range(match.range(at: 1), in: text)!]).uppercased()
                registered.insert("\(method) \(text[Range(match.range(at: 2), in: text)!])")
            }
        }
        #expect(registered.count > 40)
        let fuzzed = Set(WebFuzzRoute.all.map(\.key))
        #expect(registered.subtracting(fuzzed).isEmpty, "pages the fuzz table lacks: \(registered.subtracting(fuzzed).sorted())")
        #expect(fuzzed.subtracting(registered).isEmpty, "fuzz table entries no page has: \(fuzzed.subtracting(registered).sorted())")
    }
}

/// Who sends a request.
enum WebFuzzActor: Hashable, Sendable {
    case guest
    case customer
    case admin
}

/// One page of the site: its method, its address pattern and what its `:id` names.
struct WebFuzzRoute: Sendable {
    enum Target: Sendable { case none, order, user, service, category, provider, payment, refill, language }
    var method: HTTPRequest.Method
    var pattern: String
    var target: Target = .none

    var key: String { "\(method.rawValue) \(pattern)" }

    init(_ method: HTTPRequest.Method, _ pattern: String, _ target: Target = .none) {
        self.method = method
        self.pattern = pattern
        self.target = target
    }

    static let all: [WebFuzzRoute] = [
        .init(.get, "/"), .init(.get, "/lang/:code", .language), .init(.get, "/login"), .init(.post, "/login"),
        .init(.get, "/signup"), .init(.post, "/signup"), .init(.post, "/logout"),
        .init(.get, "/account"), .init(.post, "/account/password"), .init(.post, "/account/language"),
        .init(.get, "/dashboard"), .init(.get, "/services"), .init(.get, "/api"), .init(.post, "/api/key"),
        .init(.get, "/funds"), .init(.post, "/funds"),
        .init(.get, "/order"), .init(.post, "/order"), .init(.get, "/order/mass"), .init(.post, "/order/mass"),
        .init(.get, "/orders"), .init(.get, "/orders/:id", .order), .init(.post, "/orders/:id/cancel", .order),
        .init(.post, "/orders/:id/refill", .order), .init(.get, "/refills"),
        .init(.get, "/admin"), .init(.post, "/admin/signup"), .init(.get, "/admin/users"), .init(.get, "/admin/users/:id", .user),
        .init(.post, "/admin/users/:id/balance", .user), .init(.post, "/admin/users/:id/disable", .user),
        .init(.post, "/admin/users/:id/rate", .user),
        .init(.get, "/admin/catalog"), .init(.post, "/admin/categories"), .init(.post, "/admin/categories/:id", .category),
        .init(.get, "/admin/services/new"), .init(.post, "/admin/services/new"), .init(.get, "/admin/services/:id", .service),
        .init(.post, "/admin/services/:id", .service), .init(.post, "/admin/services/:id/enabled", .service),
        .init(.get, "/admin/orders"), .init(.get, "/admin/orders/:id", .order), .init(.post, "/admin/orders/:id", .order),
        .init(.post, "/admin/orders/:id/cancel", .order), .init(.post, "/admin/orders/:id/link", .order),
        .init(.post, "/admin/orders/:id/resend", .order),
        .init(.get, "/admin/refills"), .init(.post, "/admin/refills/:id", .refill),
        .init(.get, "/admin/payments"), .init(.post, "/admin/payments/:id", .payment), .init(.get, "/admin/ledger"),
        .init(.get, "/admin/providers"), .init(.post, "/admin/providers"), .init(.post, "/admin/providers/balances"),
        .init(.post, "/admin/providers/:id/enabled", .provider), .init(.post, "/admin/providers/:id/import", .provider),
        .init(.post, "/admin/providers/:id/resend", .provider), .init(.post, "/admin/providers/:id/sync", .provider),
    ]
}

/// The rows the generated requests aim at, made before the run.
struct WebFuzzTargets: Sendable {
    var customerName = "fuzzcustomer"
    var adminName = "fuzzadmin"
    var password = "fuzz-password-1"
    /// Users the admin may disable or charge: never the two who send requests.
    var victims: [Int64] = []
    var orders: [Int64] = []
    var services: [Int64] = []
    var categories: [Int64] = []
    var providers: [Int64] = []
    var payments: [Int64] = []
    var refills: [Int64] = []

    static func make(_ web: WebHarness) async throws -> WebFuzzTargets {
        var targets = WebFuzzTargets()
        let panel = web.panel
        let (customer, _, _) = try await web.customer(targets.customerName, password: targets.password, balance: "500")
        _ = try await web.customer(targets.adminName, password: targets.password)
        try await web.store.setAdmin(userID: try #require(try await web.store.user(named: targets.adminName)).id, true)
        for name in ["victim1", "victim2", "victim3"] { targets.victims.append(try await panel.customer(name, balance: "50").0.id.rawValue) }
        for (index, type) in [ServiceType.default, .customComments, .package, .subscriptions, .mentionsCustomList].enumerated() {
            let service = try await panel.service(type, rate: "1.5", min: 1, max: 5_000, refill: true, cancel: index % 2 == 0,
                                                  dripFeed: type.supportsDripFeed, category: index < 3 ? "Fuzz A" : "Fuzz B")
            targets.services.append(service.id.rawValue)
            targets.categories.append(service.categoryID.rawValue)
        }
        let user = try #require(try await web.store.user(id: customer.id))
        for index in 0..<6 {
            let order = try await web.store.placeOrder(user: user, serviceID: ServiceID(targets.services[0]),
                                                       fields: ["link": "https://fuzz.test/\(index)", "quantity": "100"])
            targets.orders.append(order.id.rawValue)
        }
        _ = try await web.store.updateOrder(id: OrderID(targets.orders[0]), OrderChange(status: .completed))
        _ = try await web.store.updateOrder(id: OrderID(targets.orders[1]), OrderChange(status: .partial, remains: 40))
        targets.refills.append(try await web.store.createRefill(orderID: OrderID(targets.orders[0]), userID: customer.id).id.rawValue)
        targets.payments.append(try await web.store.createPaymentRequest(userID: customer.id, method: "PayPal",
                                                                          amount: Money(parsing: "10")!, reference: "fuzz").id.rawValue)
        // Nothing listens on port 1: every call to this provider is refused at once.
        let provider = try await web.store.createProvider(name: "deadend", url: "http://127.0.0.1:1/api/v2", apiKey: "k",
                                                          honorsRequestID: false, allowHTTP: true, allowPrivateAddress: true)
        targets.providers.append(provider.id.rawValue)
        targets.categories = Array(Set(targets.categories))
        return targets
    }
}

/// One generated page request.
struct PageRequest: Sendable {
    var actor: WebFuzzActor
    var route: WebFuzzRoute
    var method: HTTPRequest.Method
    var path: String
    /// The form as sent (CSRF included or not), form-encoded; nil for no body.
    var body: String?
    var csrf: CSRFChoice

    enum CSRFChoice: Sendable { case valid, missing, wrong }

    var summary: String { "\(actor) \(method) \(path.prefix(120)) csrf \(csrf), \(body?.utf8.count ?? 0) body bytes" }

    var mayEndSession: Bool {
        method == .post && ["/logout", "/login", "/signup", "/account/password"].contains(route.pattern)
            || route.target == .user
    }

    func send(_ browser: WebClient) async throws -> WebClient.Page {
        var form = body ?? ""
        if method == .post {
            switch csrf {
            case .valid: if let token = await browser.csrf { form += (form.isEmpty ? "" : "&") + "csrf=" + token }
            case .wrong: form += (form.isEmpty ? "" : "&") + "csrf=not-the-token"
            case .missing: break
            }
        }
        return try await browser.request(path, method: method, body: method == .get && form.isEmpty ? nil : form)
    }
}

/// Makes page requests: the right page, method and token most of the time, with hostile fields.
struct PageRequestGenerator {
    var random: SeededGenerator
    let targets: WebFuzzTargets

    init(seed: UInt64, targets: WebFuzzTargets) {
        random = SeededGenerator(state: seed)
        self.targets = targets
    }

    static let hostileNumbers = [
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999", "-1", "0", "-0",
        "1e9", "0x10", "1.5", "١٢٣", "１２３", "๑", "+7", " 3 ", "3 4", "", "NaN", "Infinity", "%00", "1%00",
    ]
    static let hostileText = [
        "' OR '1'='1", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}", "javascript:alert(1)",
        "//evil.example", "/\\evil", "\r\nSet-Cookie: x=1", "\u{202E}evil", "a\u{0000}b", "Ελληνικά", "🔥🚀", "e\u{301}", "%",
        "%zz", "&", "=", "[]", "Admin", "ADMIN", "fuzzcustomer", "http://127.0.0.1:1/api/v2", "https://169.254.169.254/latest",
    ]
    static let fieldNames = [
        "page", "status", "q", "service", "provider", "user", "attention", "next", "back", "notice", "id", "category", "amount",
        "memo", "direction", "rate", "name", "type", "min", "max", "refill_days", "sort", "refill", "cancel", "dripfeed",
        "description", "enabled", "start_count", "remains", "upstream_id", "link", "quantity", "runs", "interval", "comments",
        "usernames", "username", "password", "confirm", "current", "language", "method", "reference", "url", "key", "markup",
        "services", "category_prefix", "honors_request_id", "status_codes", "orders", "action", "decision", "label", "posts",
        "delay", "expiry", "old_posts", "signup", "allow_http", "allow_private_address", "concurrency", "codes",
    ]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    mutating func value(for field: String) -> String {
        if chance(2) { return String(repeating: pick(["x", "é", "9", "\n", "🔥", "&"]), count: 64 * 1024) }
        if chance(25) { return pick(Self.hostileNumbers) }
        if chance(20) { return pick(Self.hostileText) }
        switch field {
        case "page": return String(Int.random(in: 1...5, using: &random))
        case "service": return String(pick(targets.services))
        case "provider": return String(pick(targets.providers))
        case "category": return pick(["Fuzz A", "Fuzz B", "New category"])
        case "status": return pick(["Pending", "In progress", "Completed", "Partial", "Canceled", "Processing", "Rejected", "Approved"])
        case "amount", "rate", "markup": return pick(["1", "0.5", "12.34567", "1000000", "0.000001"])
        case "direction": return pick(["add", "deduct"])
        case "decision": return pick(["approve", "reject"])
        case "type": return pick(["Default", "Package", "Custom Comments", "Subscriptions"])
        case "min", "max", "quantity", "start_count", "remains", "runs", "interval", "refill_days", "sort":
            return String(Int.random(in: 0...6_000, using: &random))
        case "link": return "https://fuzz.test/\(Int.random(in: 0...9, using: &random))"
        case "comments", "usernames":
            return (0..<Int.random(in: 1...5, using: &random)).map { "item\($0)" }.joined(separator: "\n")
        case "orders":
            return (0..<Int.random(in: 1...4, using: &random)).map { _ in
                "\(pick(targets.services)) | https://fuzz.test/m\(Int.random(in: 0...99, using: &random)) | \(Int.random(in: 0...200, using: &random))"
            }.joined(separator: "\n")
        case "language": return pick(["en", "ar", "xx"])
        case "url": return pick(["http://127.0.0.1:1/api/v2", "https://127.0.0.1:1/api/v2", "ftp://x", "http://[::1]:1/"])
        case "password", "confirm", "current": return pick([targets.password, "short", "wrong-password-9"])
        case "username": return pick(["newbie\(Int.random(in: 0...99, using: &random))", "fuzzcustomer", "x"])
        case "refill", "cancel", "dripfeed", "enabled", "honors_request_id", "attention", "allow_http", "allow_private_address":
            return pick(["1", "0", "on"])
        case "signup": return pick(["open", "closed", "maybe"])
        case "concurrency": return String(Int.random(in: 0...10, using: &random))
        case "codes": return pick(["0=Pending,1=In progress,2=Completed", "x=y", "0=Nope"])
        default: return "v\(Int.random(in: 0...1000, using: &random))"
        }
    }

    mutating func id(for target: WebFuzzRoute.Target) -> String {
        if chance(20) { return pick(Self.hostileNumbers.filter { !$0.isEmpty && !$0.contains(" ") }) }
        if chance(10) { return String(Int.random(in: 1...1_000_000, using: &random)) }
        switch target {
        case .none: return ""
        case .order: return String(pick(targets.orders))
        case .user: return String(pick(targets.victims))
        case .service: return String(pick(targets.services))
        case .category: return String(pick(targets.categories))
        case .provider: return String(pick(targets.providers))
        case .payment: return String(pick(targets.payments))
        case .refill: return String(pick(targets.refills))
        case .language: return pick(["en", "ar", "fr", "EN", ""])
        }
    }

    func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    mutating func fields(count: Int) -> String {
        var pairs: [String] = []
        for _ in 0..<count {
            let name = chance(95) ? pick(Self.fieldNames) : pick(["", "page[]", "a[b]", "💥", String(repeating: "n", count: 300)])
            let value = value(for: name)
            pairs.append("\(encoded(name))=\(encoded(value))")
            // The same field again, sometimes many times.
            if chance(8) {
                for _ in 0..<(chance(20) ? 500 : 2) {
                    let again = self.value(for: name)
                    if again.utf8.count < 1024 { pairs.append("\(encoded(name))=\(encoded(again))") }
                }
            }
        }
        if chance(3) { pairs.append(String(repeating: "a[]&", count: 20_000)) }
        if chance(3) { pairs.append(pick(["&&&", "=", "%", "%zz=%zz", "==="])) }
        return pairs.joined(separator: "&")
    }

    mutating func next() -> PageRequest {
        let route = pick(WebFuzzRoute.all)
        let actor: WebFuzzActor = route.pattern.hasPrefix("/admin")
            ? (chance(80) ? .admin : pick([.guest, .customer]))
            : pick([.guest, .customer, .customer, .admin])
        var path = route.pattern
        if let range = path.range(of: ":id") ?? path.range(of: ":code") { path.replaceSubrange(range, with: encoded(id(for: route.target))) }
        let method: HTTPRequest.Method = chance(92) ? route.method : pick([.get, .post, .put, .delete, .patch])
        if method == .get || chance(20) {
            let query = fields(count: Int.random(in: 0...4, using: &random))
            if !query.isEmpty, query.utf8.count < 16 * 1024 { path += "?" + query }
        }
        let body: String? = method == .get ? nil : fields(count: Int.random(in: 0...8, using: &random))
        let csrf: PageRequest.CSRFChoice = chance(85) ? .valid : (chance(60) ? .missing : .wrong)
        return PageRequest(actor: actor, route: route, method: method, path: path, body: body, csrf: csrf)
    }
}

/// What the run saw.
struct WebFuzzReport {
    var sent = 0
    var accepted = 0
    var refused = 0
    var statuses: [Int: Int] = [:]
    var routesHit: Set<String> = []
    /// Time spent per page, to show which pages a run spends its time on.
    var time: [String: Duration] = [:]
    var problems: [String] = []

    /// A POST that did something answers with a redirect (303); anything else changed nothing.
    /// The mass order is the exception: it answers its page with each line placed or refused.
    mutating func check(_ request: PageRequest, _ page: WebClient.Page, before: PanelFootprint, after: PanelFootprint, index: Int) {
        sent += 1
        statuses[page.status, default: 0] += 1
        routesHit.insert(request.route.key)
        let label = "request \(index) (\(request.summary))"
        if page.status >= 500 { problems.append("\(label): HTTP \(page.status) \(page.body.prefix(200))") }
        if ![200, 303, 403, 404, 405, 413, 429].contains(page.status) { problems.append("\(label): unexpected HTTP \(page.status)") }
        // A guest sent to the login page did nothing.
        let redirected = page.status == 303 && page.location?.hasPrefix("/login") != true
        let changes = request.method == .post && redirected
            || request.method == .post && request.route.pattern == "/order/mass" && page.status == 200
        if request.method == .post { if changes { accepted += 1 } else { refused += 1 } }
        if !changes, before != after {
            problems.append("\(label): answered \(page.status) \(page.errors.prefix(2)) but changed \(before.differences(from: after))")
        }
        if request.csrf != .valid, request.method == .post, redirected, request.route.pattern != "/logout" {
            problems.append("\(label): a POST without the CSRF token was carried out")
        }
    }
}

/// The panel's state that a page request could change (sessions, login failures and the audit
/// log aside: looking and failing may write those).
struct PanelFootprint: Sendable, Equatable {
    var values: [String: Int64]

    func differences(from other: PanelFootprint) -> String {
        values.keys.sorted().filter { values[$0] != other.values[$0] }
            .map { "\($0) \(values[$0] ?? 0) → \(other.values[$0] ?? 0)" }.joined(separator: ", ")
    }
}

extension TestPanel {
    func panelFootprint() async throws -> PanelFootprint {
        let queries: [(String, String)] = [
            ("users", "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users"),
            ("balances", "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS n FROM users"),
            ("user_flags", "SELECT CAST(COALESCE(SUM(id * (CASE WHEN disabled THEN 2 ELSE 1 END) * (CASE WHEN is_admin THEN 3 ELSE 1 END)), 0) AS BIGINT) AS n FROM users"),
            ("api_keys", "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM api_keys WHERE revoked_at IS NULL"),
            ("orders", "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM orders"),
            ("order_states", "SELECT CAST(COALESCE(SUM(LENGTH(status) * id + remains * 7 + start_count * 13 + charge), 0) AS BIGINT) AS n FROM orders"),
            ("refills", "SELECT CAST(COALESCE(SUM(LENGTH(status) * id), 0) + COUNT(*) AS BIGINT) AS n FROM refills"),
            ("ledger", "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ledger"),
            ("payments", "SELECT CAST(COALESCE(SUM(LENGTH(status) * id), 0) + COUNT(*) AS BIGINT) AS n FROM payment_requests"),
            ("categories", "SELECT CAST(COALESCE(SUM(LENGTH(name) + sort), 0) + COUNT(*) AS BIGINT) AS n FROM categories"),
            ("services", "SELECT CAST(COALESCE(SUM(rate + min_quantity + max_quantity + refill_days + sort + LENGTH(name) + (CASE WHEN enabled THEN 1 ELSE 0 END)), 0) + COUNT(*) AS BIGINT) AS n FROM services"),
            ("user_rates", "SELECT CAST(COALESCE(SUM(rate), 0) + COUNT(*) AS BIGINT) AS n FROM user_service_rates"),
            ("providers", "SELECT CAST(COALESCE(SUM(CASE WHEN enabled THEN 1 ELSE 2 END), 0) + COUNT(*) AS BIGINT) AS n FROM providers"),
        ]
        return try await store.backend.read { db in
            var values: [String: Int64] = [:]
            for (name, sql) in queries {
                values[name] = try await db.raw(SQLQueryString(sql)).first()?.decode(column: "n", as: Int64.self) ?? 0
            }
            return PanelFootprint(values: values)
        }
    }
}
