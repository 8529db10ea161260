import Foundation
import HummingbirdBcrypt
import NIOPosix
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SMMApp
import SMMDomain
import SMMStorage
import SMMWeb
import Testing

/// One browser: keeps its cookies, and the CSRF token of the last page it saw, the way a real
/// browser submits the form on the page it shows. It follows no redirects by itself.
actor WebClient {
    struct Page: Sendable {
        let status: Int
        let body: String
        let location: String?
        let setCookies: [String]
        let headers: HTTPFields

        /// Text between `>` and `<` of elements with this class, unescaped by nothing.
        func texts(ofClass name: String) -> [String] {
            let pattern = "class=\"\(name)\"[^>]*>([^<]*)<"
            let regex = try! NSRegularExpression(pattern: pattern)
            return regex.matches(in: body, range: NSRange(body.startIndex..., in: body)).map {
                String(body[Range($0.range(at: 1), in: body)!])
            }
        }
        var errors: [String] { texts(ofClass: "error") }
        var notices: [String] { texts(ofClass: "notice") }
    }

    /// The application's test client, or an extra connection of our own (for true concurrency).
    enum Transport: Sendable {
        case application(any TestClientProtocol)
        case connection(TestClient)
    }

    let transport: Transport
    private(set) var cookies: [String: String] = [:]
    private(set) var csrf: String?
    /// Sent with every request (an `X-Forwarded-For` a proxy would add…).
    private(set) var extraHeaders: HTTPFields = [:]

    init(client: any TestClientProtocol) { transport = .application(client) }
    init(connection: TestClient) { transport = .connection(connection) }

    func setCookie(_ name: String, _ value: String) { cookies[name] = value }
    func setHeader(_ name: String, _ value: String) { extraHeaders[HTTPField.Name(name)!] = value }

    @discardableResult
    func get(_ path: String) async throws -> Page {
        try await send(path, method: .get, body: nil)
    }

    /// POSTs a form; the CSRF token of the last page is added unless `csrf` says otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf token: String?? = .none) async throws -> Page {
        var all = fields
        switch token {
        case .none: if let csrf { all.append(("csrf", csrf)) }
        case .some(.some(let explicit)): all.append(("csrf", explicit))
        case .some(.none): break
        }
        return try await send(path, method: .post, body: LiveAPI.formEncode(all))
    }

    /// GET the page holding the form, then post it (as a person would).
    @discardableResult
    func submit(from page: String, to path: String, _ fields: [(String, String)]) async throws -> Page {
        try await get(page)
        return try await post(path, fields)
    }

    /// Follows one redirect if there is one.
    func following(_ page: Page) async throws -> Page {
        guard (300..<400).contains(page.status), let location = page.location else { return page }
        return try await get(location)
    }

    /// Any method, with a form body exactly as given (the fuzz suite's requests).
    func request(_ path: String, method: HTTPRequest.Method, body: String?) async throws -> Page {
        try await send(path, method: method, body: body)
    }

    func login(_ username: String, _ password: String) async throws -> Page {
        try await submit(from: "/login", to: "/login", [("username", username), ("password", password)])
    }

    private func send(_ path: String, method: HTTPRequest.Method, body: String?) async throws -> Page {
        var headers = extraHeaders
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let bytes = body.map { ByteBuffer(string: $0) }
        let page: Page
        switch transport {
        case .application(let client):
            page = try await client.execute(uri: path, method: method, headers: headers, body: bytes) { response in
                Page(status: Int(response.status.code), body: String(buffer: response.body), location: response.headers[.location],
                     setCookies: response.headers[values: .setCookie], headers: response.headers)
            }
        case .connection(let client):
            let response = try await client.execute(.init(path, method: method, headers: headers, body: bytes))
            page = Page(status: Int(response.status.code), body: response.body.map { String(buffer: $0) } ?? "",
                        location: response.headers[.location], setCookies: response.headers[values: .setCookie], headers: response.headers)
        }
        for header in page.setCookies {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if let range = page.body.range(of: "name=\"csrf\" value=\"") {
            csrf = String(page.body[range.upperBound...].prefix { $0 != "\"" })
        }
        return page
    }
}

/// A live panel with its web pages, and browsers to drive them.
struct WebHarness: Sendable {
    let panel: TestPanel
    let client: any TestClientProtocol

    var store: PanelStore { panel.store }
    var api: LiveAPI { LiveAPI(client: client) }

    func browser() -> WebClient { WebClient(client: client) }

    /// Signs up through the web form; funds it through the store (as an approved deposit would).
    func customer(_ name: String, password: String = "password-\(UUID().uuidString.prefix(6))", balance: String = "0",
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> (user: User, browser: WebClient, password: String) {
        let browser = browser()
        let page = try await browser.submit(from: "/signup", to: "/signup",
                                            [("username", name), ("password", password), ("confirm", password)])
        #expect(page.status == 303 && page.location?.hasPrefix("/dashboard") == true, "signup of \(name): \(page.status) \(page.errors)",
                sourceLocation: sourceLocation)
        let user = try #require(try await store.user(named: name), sourceLocation: sourceLocation)
        if let amount = Money(parsing: balance), amount > .zero {
            _ = try await store.addFunds(userID: user.id, amount: amount, memo: "test funds")
        }
        return (try await store.user(id: user.id)!, browser, password)
    }

    func admin(_ name: String = "boss") async throws -> (user: User, browser: WebClient) {
        let (user, browser, _) = try await customer(name)
        try await store.setAdmin(userID: user.id, true)
        return (user, browser)
    }
}

extension TestPanel {
    static let testHasher = PasswordHasher(threads: 2, queueLimit: 10_000)

    /// Runs `body` against a live server with the web panel (cheap bcrypt: tests hash a lot).
    /// Tests sign up many customers from one address, in parallel with other tests: the
    /// sign-up limit and the hashing queue are set out of their way (the tests of those
    /// limits set them back).
    func web<T: Sendable>(configure: (inout PanelConfiguration) -> Void = { _ in },
                          _ body: @Sendable (WebHarness) async throws -> T) async throws -> T {
        var configuration = self.configuration
        configuration.web.bcryptCost = 4
        configuration.web.signupsPerAddress = 10_000
        configuration.web.passwordHasher = Self.testHasher
        configure(&configuration)
        let app = buildApplication(store: store, configuration: configuration, logger: quietLogger)
        return try await app.test(.live) { client in
            try await body(WebHarness(panel: self, client: client))
        }
    }
}

/// Password hashes for users made by the store directly (cheap cost: tests make many).
enum HashForTests {
    static func bcrypt(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: 4) }
    }
}
