import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOPosix
import SMMDomain
import SMMServices
import SMMStorage

/// One web request on its way through a page: the session, the language, the form.
struct WebCall {
    let request: Request
    let context: WebContext
    let web: WebApp
    var session: WebSession?
    /// The session cookie's token (to sign out, or keep this session on a password change).
    var token: String?
    /// Without a session: the CSRF token of the visitor's signed guest cookie, if genuine.
    var guestToken: String?
    var language: Language
    /// Fields of a POSTed form (checked for the CSRF token already), or of the query of a GET.
    var form: [String: String]
    /// Cookies to set on the response.
    var cookies: [Cookie] = []

    init(request: Request, context: WebContext, web: WebApp) {
        self.request = request
        self.context = context
        self.web = web
        session = context.visitor.session
        token = context.visitor.token
        guestToken = context.visitor.guestToken
        language = context.visitor.language
        form = context.form
    }

    var user: User? { session?.user }
    /// The CSRF token forms on this page carry and POSTs must send back.
    var formToken: String? { session?.csrfToken ?? guestToken }
    var strings: Strings { web.views.translations.strings(language) }
    var store: any WebStore { web.store }
    var services: PanelServices { web.services }

    /// A query parameter of the address.
    func query(_ name: String) -> String? {
        request.uri.queryParameters.get(name)?.trimmingSpaces()
    }

    /// A form field, trimmed; nil when blank.
    func field(_ name: String) -> String? {
        guard let value = form[name]?.trimmingSpaces(), !value.isEmpty else { return nil }
        return value
    }

    /// Highest page number a list accepts: any offset it makes stays far from overflowing.
    static let maxPage: Int64 = 1_000_000

    /// The list page asked for (`page=`), 1 when absent or outside 1…`maxPage`.
    func pageNumber() -> Int {
        Int(field("page").flatMap { CheckedInteger.parse($0, in: 1...Self.maxPage, sign: .refused) } ?? 1)
    }

    /// Makes sure the page's forms have a CSRF token: a visitor without a session gets a
    /// signed guest cookie (nothing is written to the database for them).
    mutating func ensureFormToken() async throws {
        guard formToken == nil else { return }
        let key = try await web.guestKeys.get(store)
        let (cookie, token) = GuestToken.issue(key: key, now: store.clock.now())
        guestToken = token
        cookies.append(web.cookie(GuestToken.cookie, cookie, maxAge: Int(web.configuration.guestTokenLifetime)))
    }

    /// A new session for a user who just signed in or up (a new token: signing in never keeps
    /// a token from before, so a token planted before login is worthless after it).
    mutating func startSession(userID: UserID) async throws {
        if let token { try await store.deleteSession(token: token) }
        let lifetime = web.configuration.sessionLifetime
        let (token, session) = try await store.createSession(userID: userID, lifetime: lifetime)
        self.token = token
        self.session = try await store.session(token: token) ?? session
        cookies.append(web.cookie(WebApp.sessionCookie, token, maxAge: Int(lifetime)))
        if guestToken != nil {
            guestToken = nil
            cookies.append(web.cookie(GuestToken.cookie, "", maxAge: 0))
        }
    }

    mutating func endSession() async throws {
        if let token { try await store.deleteSession(token: token) }
        token = nil
        session = nil
        cookies.append(web.cookie(WebApp.sessionCookie, "", maxAge: 0))
    }

    // MARK: Responses

    /// A full page: the template inside the layout, with what every page shows.
    func page<Content: Sendable>(_ template: PageTemplate, title: String, _ content: Content,
                                 status: HTTPResponse.Status = .ok) -> Response {
        var notice: String?
        if let key = query("notice"), key.hasPrefix("notice_"), strings.table[key] != nil {
            notice = strings.format(key, ["id": query("id") ?? ""])
        }
        let other: Language = language == .en ? .ar : .en
        let layout = Layout(
            t: strings.table, lang: language.rawValue, dir: language.direction, title: title.shown, csrf: formToken.shown,
            currency: web.configuration.currency.shown,
            me: user.map { Layout.Me(name: $0.username.shown, balance: $0.balance.apiString, admin: $0.isAdmin) },
            nav: user.map { web.navigation(for: $0, path: request.uri.path, strings: strings) },
            notice: notice.shown,
            switch_lang: Layout.SwitchLanguage(code: other.rawValue, label: web.views.translations.strings(other)["language_name"].shown,
                                               back: request.uri.path.shown))
        return html(web.views.render(template, PageView(layout: layout, content: content)), status: status)
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var response = Response(status: status, headers: WebApp.securityHeaders(contentType: "text/html; charset=utf-8"),
                                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// After a successful POST: back to a page, with a notice from the strings table.
    func redirect<Entity>(_ path: String, notice: String? = nil, id: EntityID<Entity>?) -> Response {
        redirect(path, notice: notice, number: id?.rawValue)
    }

    func redirect(_ path: String, notice: String? = nil, number id: Int64? = nil) -> Response {
        var location = path
        if let notice {
            location += (path.contains("?") ? "&" : "?") + "notice=\(notice)" + (id.map { "&id=\($0)" } ?? "")
        }
        var response = Response.redirect(to: location, type: .normal)
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// The same 404 as an address that does not exist.
    func notFound() -> HTTPError { HTTPError(.notFound) }

    // MARK: Passwords

    /// Throws `PasswordHasher.Busy` when the hashing queue is full.
    func hashPassword(_ password: String) async throws -> String {
        try await web.configuration.passwordHasher.hash(password, cost: web.configuration.bcryptCost)
    }

    /// Checks a password; without a stored hash it still spends a bcrypt's time, so the answer
    /// time does not tell which usernames exist. Throws `PasswordHasher.Busy` when the hashing
    /// queue is full.
    func verifyPassword(_ password: String, hash: String?) async throws -> Bool {
        let matches = try await web.configuration.passwordHasher.verify(password, hash: hash ?? web.timingDummyHash)
        return hash != nil && matches
    }

    /// Text shown for a refusal, in the page's language.
    func message(_ error: PanelError) -> String { strings.message(for: error) }
}
