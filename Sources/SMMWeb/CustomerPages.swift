import Hummingbird
import SMMDomain
import SMMStorage

/// Dashboard, services, funds and the API page.
struct CustomerPages: Sendable {
    let web: WebApp

    func addRoutes(to pages: WebPages) {
        pages.customer.get("/dashboard") { call in try await dashboard(call) }
        pages.anyone.get("/services") { call in try await services(call) }
        pages.customer.get("/funds") { call in try await funds(call) }
        pages.customer.post("/funds") { call in try await requestFunds(call) }
        pages.customer.get("/api") { call in try await apiPage(call, newKey: nil) }
        pages.customer.post("/api/key") { call in
            let key = try await call.services.accounts.rotateKey(userID: call.user!.id)
            return try await apiPage(call, newKey: key)
        }
    }

    func dashboard(_ call: WebCall) async throws -> Response {
        let user = call.user!
        let recent = try await call.store.searchOrders(.init(userID: user.id, limit: 5)).orders
        let names = try await serviceNames(call.store)
        return call.page(.dashboard, title: call.strings["nav_dashboard"], DashboardPage(
            balance: user.balance.apiString,
            spent: try await call.store.totalSpent(userID: user.id).apiString,
            orders: recent.map { Rows.order($0, serviceName: names[$0.serviceID], strings: call.strings) },
            pending_payments: String(try await call.store.paymentRequests(userID: user.id, status: .pending, limit: NewPaymentRequest.maxPending).count)))
    }

    /// The catalog at the viewer's own rates; `q` filters by id, name, category or type.
    func services(_ call: WebCall) async throws -> Response {
        let all = if let user = call.user { try await call.store.services(pricedFor: user.id) } else { try await call.store.services(includeDisabled: false) }
        let query = call.query("q") ?? ""
        let needle = query.lowercased()
        let shown = needle.isEmpty ? all : all.filter {
            String($0.id) == needle || $0.name.lowercased().contains(needle) || $0.categoryName.lowercased().contains(needle)
                || $0.type.rawValue.lowercased().contains(needle)
        }
        return call.page(.services, title: call.strings["nav_services"],
                         ServicesPage(q: query.shown, categories: Rows.catalog(shown), empty: shown.isEmpty))
    }

    func funds(_ call: WebCall, error: String? = nil, method: String = "", amount: String = "", reference: String = "") async throws -> Response {
        let user = call.user!
        return call.page(.funds, title: call.strings["nav_funds"], FundsPage(
            balance: user.balance.apiString,
            error: error.shown,
            methods: NewPaymentRequest.methods.map { FundsPage.Method(value: $0.shown, selected: $0 == method) },
            amount: amount.shown, reference: reference.shown,
            requests: try await call.store.paymentRequests(userID: user.id, status: nil, limit: 20).map { Rows.payment($0, strings: call.strings) },
            ledger: try await call.store.ledgerEntries(userID: user.id, limit: 50).map { Rows.ledger($0, strings: call.strings) }))
    }

    func requestFunds(_ call: WebCall) async throws -> Response {
        let method = call.field("method") ?? "", amountText = call.field("amount") ?? "", reference = call.field("reference") ?? ""
        do {
            guard let amount = Money(parsing: amountText), amount > .zero else { throw PanelError.incorrectField("amount") }
            let request = try await call.services.payments.file(userID: call.user!.id, method: method, amount: amount, reference: reference)
            return call.redirect("/funds", notice: "notice_payment_requested", id: request.id)
        } catch let error as PanelError {
            return try await funds(call, error: call.message(error), method: method, amount: amountText, reference: reference)
        }
    }

    /// The key (only right after it was made: it is stored as a hash) and the API v2
    /// documentation, with examples built from the live catalog.
    func apiPage(_ call: WebCall, newKey: String?) async throws -> Response {
        let services = try await call.store.services(pricedFor: call.user!.id)
        let host = call.request.head.authority ?? "127.0.0.1:8080"
        let endpoint = (web.configuration.secureCookies ? "https://" : "http://") + host + "/api/v2"
        var seen = Set<ServiceType>()
        var examples: [ApiPage.Example] = []
        for service in services where seen.insert(service.type).inserted {
            examples.append(ApiExamples.add(for: service, endpoint: endpoint))
        }
        return call.page(.api, title: call.strings["nav_api"], ApiPage(
            new_key: newKey.shown,
            endpoint: endpoint,
            examples: examples,
            services_example: "curl -s \(endpoint) -d key=YOUR_KEY -d action=services",
            status_example: "curl -s \(endpoint) -d key=YOUR_KEY -d action=status -d order=1",
            balance_example: "curl -s \(endpoint) -d key=YOUR_KEY -d action=balance"))
    }
}

func serviceNames(_ store: any CatalogReading) async throws -> [ServiceID: String] {
    Dictionary(try await store.services(includeDisabled: true).map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
}

/// `add` examples per service type, from the type's own field list (the same list the
/// validator reads), so the documentation cannot drift from what the API accepts.
enum ApiExamples {
    static func add(for service: Service, endpoint: String) -> ApiPage.Example {
        let type = service.type
        var parameters: [(String, String, Bool)] = []
        if type.needsLink { parameters.append(("link", "https://instagram.com/p/example", true)) }
        if type.takesQuantity { parameters.append(("quantity", String(service.min), true)) }
        for spec in type.extraFields {
            parameters.append((spec.name, sample(spec, service: service), spec.required))
        }
        if type.supportsDripFeed, service.dripFeed {
            parameters.append(("runs", "5", false))
            parameters.append(("interval", "30", false))
        }
        let required = parameters.filter(\.2)
        let curl = "curl -s \(endpoint) -d key=YOUR_KEY -d action=add -d service=\(service.id) "
            + required.map { "--data-urlencode '\($0.0)=\($0.1.replacingOccurrences(of: "\n", with: "\\n"))'" }.joined(separator: " ")
        return ApiPage.Example(
            type: type.rawValue, service_id: String(service.id), service: service.name.shown,
            parameters: parameters.map { ApiPage.Parameter(name: $0.0.shown, example: $0.1.shown, required: $0.2) },
            curl: curl)
    }

    static func sample(_ spec: FieldSpec, service: Service) -> String {
        switch spec.name {
        case "comments": return "Great post!\nLove it"
        case "usernames": return "alice\nbob"
        case "hashtags": return "#summer\n#travel"
        case "hashtag": return "#summer"
        case "username": return "example_user"
        case "media": return "https://instagram.com/p/media"
        case "answer_number": return "1"
        case "groups": return "https://t.me/group1\nhttps://t.me/group2"
        case "keywords": return "best shoes\nrunning shoes"
        case "country": return "US"
        case "device": return "1"
        case "type_of_traffic": return "1"
        case "google_keyword": return "running shoes"
        case "referring_url": return "https://example.com"
        case "min": return String(service.min)
        case "max": return String(service.max)
        case "posts": return "10"
        case "old_posts": return "0"
        case "delay": return "30"
        case "expiry": return "31/12/2030"
        default: return ""
        }
    }
}

struct DashboardPage: Sendable {
    let balance: String
    let spent: String
    let orders: [OrderRow]
    let pending_payments: String
}

struct ServicesPage: Sendable {
    let q: String?
    let categories: [CatalogGroup]
    let empty: Bool
}

struct FundsPage: Sendable {
    struct Method: Sendable {
        let value: String?
        let selected: Bool
    }

    let balance: String
    let error: String?
    let methods: [Method]
    let amount: String?
    let reference: String?
    let requests: [PaymentRow]
    let ledger: [LedgerRow]
}

struct ApiPage: Sendable {
    struct Parameter: Sendable {
        let name: String?
        let example: String?
        let `required`: Bool
    }

    struct Example: Sendable {
        let type: String
        let service_id: String
        let service: String?
        let parameters: [Parameter]
        let curl: String
    }

    let new_key: String?
    let endpoint: String
    let examples: [Example]
    let services_example: String
    let status_example: String
    let balance_example: String
}
