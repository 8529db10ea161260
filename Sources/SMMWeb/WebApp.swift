import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import SMMHTTP
import SMMDomain
import SMMProviders
import SMMServices
import SMMStorage

/// What the pages read, and the web's own records (sessions, attempts, the audit of admins'
/// changes). Changes go through `PanelServices`.
public typealias WebStore = AccountQueries & CatalogQueries & OrderQueries & MoneyQueries & PanelReports & WebSessions & AuditTrail
    & ClockSource

/// The customer site and the admin console: server-rendered pages over the same services and
/// domain rules as the API.
public struct WebApp: Sendable {
    public let store: any WebStore
    public let services: PanelServices
    public let configuration: WebConfiguration
    /// The reseller engine, for the providers pages' operations (balances, import, sync).
    let engine: ProviderEngine
    let views: Views
    let logger: Logger

    static let sessionCookie = "smm_session"
    static let languageCookie = "smm_lang"
    /// Largest form accepted (a mass order of a few thousand lines fits).
    static let maxFormSize = 1024 * 1024
    /// Verified against when a username has no password, at the cost real hashes have, so
    /// timing reveals nothing.
    let timingDummyHash: String
    /// The key of guests' signed cookies, once read.
    let guestKeys = GuestKeyCache()

    public init(store: any WebStore, services: PanelServices, configuration: WebConfiguration, engine: ProviderEngine, logger: Logger) {
        self.store = store
        self.services = services
        self.configuration = configuration
        self.engine = engine
        self.views = .bundled
        self.logger = logger
        timingDummyHash = Bcrypt.hash("no such user", cost: configuration.bcryptCost)
    }

    public func addRoutes(to router: Router<PanelContext>) {
        // These apply to the routes added from here on and to unknown addresses, not to the API
        // registered before: its 404s stay JSON-free and bare, as API clients expect.
        if configuration.secureCookies { router.add(middleware: StrictTransportSecurity()) }
        router.add(middleware: NotFoundPage(web: self))
        router.get("/static/:file") { _, context in
            guard let name = context.parameters.get("file"), let file = self.views.staticFiles[name] else { throw HTTPError(.notFound) }
            var headers = HTTPFields()
            headers[.contentType] = file.contentType
            headers[.cacheControl] = "public, max-age=3600"
            headers[.xContentTypeOptions] = "nosniff"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: file.body))
        }
        let pages = WebPages(web: self, router: router)
        pages.anyone.get("/") { call in
            call.redirect(call.user == nil ? "/login" : "/dashboard")
        }
        // Visitors pick a language with a plain link (a cookie, nothing stored); signed-in
        // users change their setting with a form (`/account/language`).
        pages.anyone.get("/lang/:code") { call in
            let language = Language(code: call.context.parameters.get("code")) ?? .en
            call.cookies.append(cookie(Self.languageCookie, language.rawValue, maxAge: 365 * 86_400))
            return call.redirect(Self.localPath(call.query("back")) ?? "/")
        }
        AuthPages(web: self).addRoutes(to: pages)
        CustomerPages(web: self).addRoutes(to: pages)
        OrderPages(web: self).addRoutes(to: pages)
        AdminPages(web: self).addRoutes(to: pages)
        AdminCatalogPages(web: self).addRoutes(to: pages)
        AdminProviderPages(web: self).addRoutes(to: pages)
    }

    /// The row an admin page changes, from its path (`/admin/services/3/enabled` → service 3).
    static func auditTarget(_ path: String) -> AuditTarget? {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "admin", let id = Int64(parts[2]) else { return nil }
        let tables: [String: AuditTarget.Table] = [
            "users": .users, "categories": .categories, "services": .services, "orders": .orders, "refills": .refills,
            "providers": .providers, "payments": .payment_requests,
        ]
        return tables[parts[1]].map { AuditTarget($0, id) }
    }

    /// The visitor a request comes from: their session, or the token of their signed guest
    /// cookie, and their language.
    func visitor(_ request: Request) async throws -> Visitor {
        var visitor = Visitor()
        let token = request.cookies[Self.sessionCookie]?.value
        if let token, !token.isEmpty, token.count <= 128 { visitor.session = try await store.session(token: token) }
        if visitor.session == nil, let value = request.cookies[GuestToken.cookie]?.value, !value.isEmpty {
            visitor.guestToken = GuestToken.verify(value, key: try await guestKeys.get(store), now: store.clock.now(),
                                                   lifetime: configuration.guestTokenLifetime)
        }
        visitor.token = visitor.session == nil ? nil : token
        visitor.language = Language(code: visitor.session?.language) ?? Language(code: request.cookies[Self.languageCookie]?.value) ?? .en
        return visitor
    }

    /// Cookies go without `Secure` only on a panel that listens on loopback alone and was not
    /// told it is behind TLS.
    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: configuration.secureCookies || !configuration.loopbackOnly,
               httpOnly: true, sameSite: .lax)
    }

    // MARK: Navigation

    /// The customer's menu; admins also get the console's sections when inside it.
    func navigation(for user: User, path: String, strings: Strings) -> Layout.Navigation {
        func items(_ list: [(String, String)]) -> [Layout.NavItem] {
            list.map { href, key in
                let active = href == path || (href != "/admin" && href != "/dashboard" && path.hasPrefix(href + "/"))
                return Layout.NavItem(href: href, label: strings[key].shown, active: active)
            }
        }
        let inAdmin = user.isAdmin && (path == "/admin" || path.hasPrefix("/admin/"))
        return Layout.Navigation(customer: items(Self.customerSections), admin: inAdmin ? items(Self.adminSections) : nil,
                                 in_admin: inAdmin ? true : nil)
    }

    static let customerSections = [
        ("/dashboard", "nav_dashboard"), ("/order", "nav_new_order"), ("/order/mass", "nav_mass_order"),
        ("/orders", "nav_orders"), ("/refills", "nav_refills"), ("/services", "nav_services"),
        ("/funds", "nav_funds"), ("/api", "nav_api"), ("/account", "nav_account"),
    ]

    /// The console's sections.
    static let adminSections = [
        ("/admin", "nav_admin_dashboard"), ("/admin/users", "nav_users"), ("/admin/catalog", "nav_catalog"),
        ("/admin/providers", "nav_providers"), ("/admin/orders", "nav_orders"), ("/admin/refills", "nav_refills"), ("/admin/payments", "nav_payments"),
        ("/admin/ledger", "nav_ledger"),
    ]

    // MARK: Helpers

    /// Pages are private to their viewer and hostile content must not run: no inline script or
    /// style, no framing, forms post only here.
    static func securityHeaders(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        return headers
    }

    /// Only a path on this site is a valid place to go back to (no `//evil.example`).
    static func localPath(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"),
              !text.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return nil }
        return text
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-._~"))) ?? "/"
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// A missing page, and a page this visitor may not see (the admin console for a customer), get
/// the same page: a 404 that says nothing about what exists.
struct NotFoundPage: RouterMiddleware {
    typealias Context = PanelContext
    let web: WebApp

    func handle(_ request: Request, context: PanelContext,
                next: (Request, PanelContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && !request.uri.path.hasPrefix("/api/") {
            var pageContext = try WebContext(context: context)
            pageContext.visitor = try await web.visitor(request)
            let call = WebCall(request: request, context: pageContext, web: web)
            return call.page(.message, title: call.strings["not_found_title"], MessagePage(message: call.strings["not_found_text"].shown),
                             status: .notFound)
        }
    }
}

/// Behind TLS (`serve --secure-cookies`), browsers are told to use HTTPS only for this site for
/// a year. Not `includeSubDomains`: the operator's other hosts may not all have TLS.
struct StrictTransportSecurity: RouterMiddleware {
    typealias Context = PanelContext

    func handle(_ request: Request, context: PanelContext,
                next: (Request, PanelContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("Strict-Transport-Security")!] = "max-age=31536000"
        return response
    }
}
