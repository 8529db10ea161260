import Foundation
import HTTPTypes
import SMMDomain
@testable import SMMStorage
import SMMWeb
import SQLKit
import Testing

/// Accounts and sessions: usernames unique whatever their case (the migration too), expired
/// sessions, cookie and transport flags, the pending-payment cap under racing requests, and
/// `serve --signup`.
@Suite("Account hardening")
struct AccountHardeningTests {
    // MARK: Usernames

    /// `Admin` and `admin` are one name on every path: web sign-up, the store (and so the CLI),
    /// login; letters beyond ASCII are compared as they are, alike on both engines.
    @Test("usernames are unique whatever their case", arguments: TestEngine.available)
    func usernamesIgnoreCase(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (alice, _, password) = try await web.customer("alice")
                let taken = try await web.browser().submit(from: "/signup", to: "/signup",
                                                           [("username", "ALICE"), ("password", "long-enough-1"), ("confirm", "long-enough-1")])
                #expect(taken.status == 200 && taken.errors == ["This username is taken."])
                await #expect(throws: PanelError.rejected(.userExists(name: "Alice"))) {
                    _ = try await web.store.createUser(username: "Alice")
                }
                // Lookups and logins ignore the case too.
                #expect(try await web.store.user(named: "aLiCe")?.id == alice.id)
                #expect(try await web.browser().login("ALICE", password).location == "/dashboard")
                // Only ASCII letters fold: "É" and "é" stay two names on both engines.
                _ = try await web.store.createUser(username: "Émile")
                _ = try await web.store.createUser(username: "émile")
                #expect(try await web.store.user(named: "ÉMILE")?.username == "Émile")
                #expect(try await web.store.searchUsers("").count == 3)
            }
        }
    }

    @Test("the CLI refuses a name taken in another case", arguments: TestEngine.available)
    func cliRefusesCaseTwin(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            #expect(try await CLITests.smmpanel(["user", "create", "admin"], database: database).status == 0)
            let twin = try await CLITests.smmpanel(["user", "create", "Admin"], database: database)
            #expect(twin.status != 0 && twin.output.contains("a user named Admin exists already"), "\(twin.output)")
            // Names given to other commands are found whatever their case.
            let funded = try await CLITests.smmpanel(["funds", "add", "ADMIN", "1"], database: database)
            #expect(funded.status == 0 && funded.lastLine.hasSuffix(": balance 1.00000"), "\(funded.output)")
        }
    }

    /// A panel of version 5 holding `admin`, `Admin` and `ADMIN`: the migration keeps the
    /// oldest, renames the others `Admin~2` and `ADMIN~3` with an audit row each, touches no
    /// one else, and from then on the database refuses a case twin by itself.
    @Test("the accounts migration renames existing case twins", arguments: TestEngine.available)
    func migrationRenamesCaseTwins(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { location in
            let backend = try await location.open(logger: quietLogger)
            do {
                try await backend.transaction { db in
                    try await db.raw("CREATE TABLE smm_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)").run()
                    for migration in Migrations.all where migration.version <= 5 {
                        for statement in migration.statements {
                            try await db.raw(SQLQueryString(Migrations.render(statement, for: backend.engine))).run()
                        }
                        try await db.raw("INSERT INTO smm_schema (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), 1)").run()
                    }
                    for name in ["admin", "Admin", "bob", "ADMIN", "Émile", "émile"] {
                        try await db.raw("INSERT INTO users (username, created_at) VALUES (\(bind: name), 1)").run()
                    }
                }
                let store = PanelStore(backend: backend, clock: ManualClock(1_800_000_000))
                let renamed = try await store.migrate()
                #expect(renamed == ["user:2: Admin → Admin~2", "user:4: ADMIN → ADMIN~4"])
                let names = try await store.usernames(ids: [1, 2, 3, 4, 5, 6])
                #expect(names == [1: "admin", 2: "Admin~2", 3: "bob", 4: "ADMIN~4", 5: "Émile", 6: "émile"])
                let audit = try await store.auditLog().filter { $0.action == "user.rename" }.reversed()
                    .map { [$0.actor, $0.target, $0.before ?? "-", $0.after ?? "-", String($0.createdAt)] }
                #expect(audit == [["system", "user:2", "Admin", "Admin~2", "1800000000"], ["system", "user:4", "ADMIN", "ADMIN~4", "1800000000"]])
                // The database itself now refuses a twin, even written behind the store's back.
                await #expect(throws: (any Error).self) {
                    try await backend.transaction { db in
                        try await db.raw("INSERT INTO users (username, created_at) VALUES ('BOB', 1)").run()
                    }
                }
                #expect(try await store.migrate().isEmpty)
                try await backend.shutdown()
            } catch {
                try? await backend.shutdown()
                throw error
            }
        }
    }

    // MARK: Sessions

    /// A session past its expiry signs no one in: the page asks for a login, and the store
    /// finds no session for the token, though its row is still there.
    @Test("an expired session signs no one in", arguments: TestEngine.available)
    func expiredSessionIsRefused(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web(configure: { $0.web.sessionLifetime = 3600 }) { web in
                let (_, browser, _) = try await web.customer("alice")
                let token = try #require(await browser.cookies["smm_session"])
                panel.clock.advance(seconds: 3600)
                #expect(try await browser.get("/dashboard").status == 200, "still live at its last second")
                panel.clock.advance(seconds: 1)
                let page = try await browser.get("/dashboard")
                #expect(page.status == 303 && page.location?.hasPrefix("/login") == true)
                #expect(try await web.store.session(token: token) == nil)
                #expect(try await AccountHardeningTests.sessionRow(web.store, token: token), "the row itself is still stored")
            }
        }
    }

    static func sessionRow(_ store: PanelStore, token: String) async throws -> Bool {
        try await store.backend.read { db in
            try await db.raw("SELECT token_hash FROM web_sessions WHERE token_hash = \(bind: APIKeys.hash(token))").first() != nil
        }
    }

    // MARK: Cookies

    /// Cookies are `Secure` unless the panel listens on loopback only; `--secure-cookies`
    /// makes them `Secure` anywhere and adds `Strict-Transport-Security` to every page.
    @Test("cookies are Secure off loopback, and HSTS comes with --secure-cookies", arguments: TestEngine.available)
    func cookieFlags(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let hsts = HTTPField.Name("Strict-Transport-Security")!
            func check(host: String, secureFlag: Bool, secure: Bool, strict: Bool) async throws {
                try await panel.web(configure: { $0.host = host; $0.web.secureCookies = secureFlag }) { web in
                    let browser = web.browser()
                    let login = try await browser.get("/login")
                    let cookie = try #require(login.setCookies.first { $0.hasPrefix("smm_guest=") })
                    #expect(cookie.contains("Secure") == secure && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
                            "\(host) \(secureFlag): \(cookie)")
                    let language = try await browser.get("/lang/ar?back=/login")
                    #expect(language.setCookies.allSatisfy { $0.contains("Secure") == secure })
                    let missing = try await browser.get("/no-such-page")
                    for page in [login, language, missing] {
                        #expect(page.headers[hsts] == (strict ? "max-age=31536000" : nil), "\(host) \(secureFlag) \(page.status)")
                    }
                    // The API's answers are not the web's: unchanged.
                    let api = try await web.api.get("action=balance&key=nope")
                    #expect(api.body == #"{"error":"Invalid API key"}"#)
                }
            }
            try await check(host: "127.0.0.1", secureFlag: false, secure: false, strict: false)
            try await check(host: "localhost", secureFlag: false, secure: false, strict: false)
            try await check(host: "0.0.0.0", secureFlag: false, secure: true, strict: false)
            try await check(host: "panel.example.com", secureFlag: false, secure: true, strict: false)
            try await check(host: "127.0.0.1", secureFlag: true, secure: true, strict: true)
        }
        #expect(WebConfiguration.isLoopback(host: "127.0.0.1") && WebConfiguration.isLoopback(host: "::1")
                && WebConfiguration.isLoopback(host: "[::1]") && WebConfiguration.isLoopback(host: "127.1.2.3"))
        #expect(!WebConfiguration.isLoopback(host: "0.0.0.0") && !WebConfiguration.isLoopback(host: "::")
                && !WebConfiguration.isLoopback(host: "127.0.0.1.example.com") && !WebConfiguration.isLoopback(host: "10.0.0.1"))
    }

    // MARK: Payment requests

    /// 20 payment requests of one customer at once: exactly 5 are stored, the other 15 are
    /// refused with the waiting message.
    @Test("the pending payment-request cap holds under racing requests", arguments: TestEngine.available)
    func paymentCapHoldsUnderRace(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, _) = try await panel.customer("alice", balance: "0")
            let results = await withTaskGroup(of: Result<Int64, any Error>.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            return .success(try await panel.store.createPaymentRequest(userID: alice.id, method: "PayPal",
                                                                                       amount: Money(parsing: "10")!, reference: "tx-\(index)").id.rawValue)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var all: [Result<Int64, any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            let stored = try await panel.store.paymentRequests(userID: alice.id)
            #expect(stored.count == 5)
            #expect(results.filter { if case .success = $0 { true } else { false } }.count == 5)
            let refusals = results.compactMap { result -> String? in
                guard case .failure(let error) = result, let refusal = error as? PanelError, case .paymentRequestsWaiting = refusal else { return nil }
                return "refused"
            }
            #expect(refusals.count == 15)
        }
    }

    // MARK: serve --signup

    /// `serve --signup closed` stores the setting at start (the admin console's switch reads
    /// it), and the sign-up page says so.
    @Test("serve --signup closed closes sign-up", arguments: TestEngine.available)
    func serveSignupFlag(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            let server = try await ServerProcess.start(database: database, ["--signup", "closed"])
            defer { if server.process.isRunning { server.kill() } }
            let page = try await withExtraClient(port: server.port) { connection in
                try await WebClient(connection: connection).get("/signup")
            }
            #expect(page.status == 403 && page.body.contains("Sign-up is closed."))
            #expect(try await server.stopGracefully())
            let store = PanelStore(backend: try await database.open(logger: quietLogger))
            let open = try await store.signupOpen()
            try await store.backend.shutdown()
            #expect(open == false)
        }
    }
}
