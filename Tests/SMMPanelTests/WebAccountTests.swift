import Foundation
import SMMDomain
import SMMStorage
import Testing

/// Sign up, log in and out, password change, sessions, CSRF and the login limit, over real
/// HTTP on each engine.
@Suite("Web accounts")
struct WebAccountTests {
    @Test("sign up, log out, log in, change password", arguments: TestEngine.available)
    func accountLifecycle(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, browser, password) = try await web.customer("alice")
                let dashboard = try await browser.get("/dashboard")
                #expect(dashboard.status == 200)
                #expect(dashboard.body.contains("alice"))

                // The session cookie is HttpOnly and SameSite=Lax.
                let login = try await web.browser().login("alice", password)
                let cookie = try #require(login.setCookies.first { $0.hasPrefix("smm_session=") })
                #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"))

                #expect(try await browser.post("/logout", []).status == 303)
                let after = try await browser.get("/dashboard")
                #expect(after.status == 303 && after.location?.hasPrefix("/login") == true)

                let wrong = try await browser.login("alice", "not the password")
                #expect(wrong.status == 200 && wrong.errors == ["Incorrect username or password."])
                let unknown = try await browser.login("nobody", "whatever-123")
                #expect(unknown.errors == ["Incorrect username or password."])
                #expect(try await browser.login("alice", password).location == "/dashboard")
                // A page asked for while signed out is where login leads.
                _ = try await browser.get("/dashboard")
                #expect(try await browser.post("/logout", []).status == 303)
                let asked = try await browser.get("/order?service=7&category=2")
                #expect(asked.location == "/login?next=/order%3Fservice%3D7%26category%3D2")
                _ = try await browser.get(asked.location!)
                #expect(try await browser.post("/login", [("username", "alice"), ("password", password), ("next", "/order?service=7&category=2")])
                    .location == "/order?service=7&category=2")
                _ = try await browser.get("/dashboard")
                #expect(try await browser.post("/logout", []).status == 303)
                _ = try await browser.get("/login")
                #expect(try await browser.post("/login", [("username", "alice"), ("password", password), ("next", "//evil.example")])
                    .location == "/dashboard")

                // A password change keeps this session and ends the others.
                let other = web.browser()
                _ = try await other.login("alice", password)
                let refused = try await browser.submit(from: "/account", to: "/account/password",
                                                       [("current", "nope-nope"), ("password", "new-password-1"), ("confirm", "new-password-1")])
                #expect(refused.errors == ["The current password is not right."])
                let changed = try await browser.submit(from: "/account", to: "/account/password",
                                                       [("current", password), ("password", "new-password-1"), ("confirm", "new-password-1")])
                #expect(changed.status == 303)
                #expect(try await browser.get("/dashboard").status == 200)
                #expect(try await other.get("/dashboard").status == 303)
                #expect(try await web.browser().login("alice", password).status == 200)
                #expect(try await web.browser().login("alice", "new-password-1").status == 303)
            }
        }
    }

    @Test("sign-up refusals change nothing", arguments: TestEngine.available)
    func signupRefusals(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                _ = try await web.customer("taken")
                let browser = web.browser()
                for (name, password, confirm, message) in [
                    ("<script>x", "long-enough-1", "long-enough-1", "A username needs 3 to 32 letters, digits, _ . or -."),
                    ("bob", "short", "short", "A password needs 8 to 72 characters."),
                    ("bob", "long-enough-1", "long-enough-2", "The two passwords differ."),
                    ("taken", "long-enough-1", "long-enough-1", "This username is taken."),
                ] {
                    let page = try await browser.submit(from: "/signup", to: "/signup", [("username", name), ("password", password), ("confirm", confirm)])
                    #expect(page.status == 200 && page.errors == [message], "\(name)")
                }
                #expect(try await web.store.user(named: "bob") == nil)
                #expect(try await web.store.searchUsers("").count == 1)
            }
        }
    }

    @Test("login attempts are limited per IP and username", arguments: TestEngine.available)
    func loginRateLimit(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, _, password) = try await web.customer("alice")
                let (_, _, bobPassword) = try await web.customer("bob")
                let attacker = web.browser()
                for _ in 0..<5 { #expect(try await attacker.login("alice", "guess-guess").status == 200) }
                let blocked = try await attacker.login("alice", password)
                #expect(blocked.status == 429 && blocked.errors == ["Too many failed attempts. Please wait 15 minutes and try again."])
                // Other usernames are not locked out; after the window alice may try again.
                #expect(try await web.browser().login("bob", bobPassword).status == 303)
                panel.clock.advance(seconds: 15 * 60 + 1)
                #expect(try await attacker.login("alice", password).status == 303)
            }
        }
    }

    /// Behind nginx every visitor has the proxy's address: with `--trust-forwarded-for` the
    /// login limit keys on the address the proxy appended; without it, a forged header changes
    /// nothing (a direct client cannot escape the limit by writing one).
    @Test("the login limit keys on the forwarded address only when told to trust it", arguments: TestEngine.available)
    func loginRateLimitBehindAProxy(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web(configure: { $0.web.trustForwardedFor = true }) { web in
                let (_, _, password) = try await web.customer("alice")
                let attacker = web.browser()
                await attacker.setHeader("X-Forwarded-For", "203.0.113.9")
                for _ in 0..<5 { #expect(try await attacker.login("alice", "guess-guess").status == 200) }
                #expect(try await attacker.login("alice", password).status == 429)
                // Alice, through the same proxy from her own address, is not locked out.
                let alice = web.browser()
                await alice.setHeader("X-Forwarded-For", "198.51.100.7, 203.0.113.9, 192.0.2.44")
                #expect(try await alice.login("alice", password).status == 303)
            }
            try await panel.web { web in
                let (_, _, password) = try await web.customer("bob")
                for index in 0..<5 {
                    let forger = web.browser()
                    await forger.setHeader("X-Forwarded-For", "192.0.2.\(index)")
                    #expect(try await forger.login("bob", "guess-guess").status == 200)
                }
                let forger = web.browser()
                await forger.setHeader("X-Forwarded-For", "192.0.2.200")
                #expect(try await forger.login("bob", password).status == 429)
            }
        }
    }

    @Test("a POST without the session's CSRF token changes nothing", arguments: TestEngine.available)
    func csrf(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (alice, browser, _) = try await web.customer("alice", balance: "10")
                _ = try await browser.get("/funds")
                let fields = [("method", "PayPal"), ("amount", "25"), ("reference", "tx-1")]
                for token: String?? in [.some(nil), .some("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), .some("")] {
                    let page = try await browser.post("/funds", fields, csrf: token)
                    #expect(page.status == 403)
                    #expect(page.body.contains("Nothing was changed"))
                }
                #expect(try await web.store.paymentRequests(userID: alice.id).isEmpty)
                // Another session's token is no good either.
                let (_, bob, _) = try await web.customer("bob")
                _ = try await bob.get("/funds")
                let bobToken = await bob.csrf
                #expect(try await browser.post("/funds", fields, csrf: .some(bobToken)).status == 403)
                #expect(try await web.store.paymentRequests(userID: alice.id).isEmpty)
                // A guest (no session at all) cannot post either.
                #expect(try await web.browser().post("/login", [("username", "alice"), ("password", "x")], csrf: .some("abc")).status == 403)
                // The same form with the token works.
                #expect(try await browser.post("/funds", fields).status == 303)
                #expect(try await web.store.paymentRequests(userID: alice.id).count == 1)
            }
        }
    }

    @Test("the language follows the visitor's cookie and the user's setting", arguments: TestEngine.available)
    func language(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let visitor = web.browser()
                let switched = try await visitor.get("/lang/ar?back=/login")
                #expect(switched.status == 303 && switched.location == "/login")
                let login = try await visitor.get("/login")
                #expect(login.body.contains("<html lang=\"ar\" dir=\"rtl\">"))
                #expect(login.body.contains("تسجيل الدخول"))
                // An outside address is never a place to go back to.
                #expect(try await visitor.get("/lang/en?back=//evil.example").location == "/")

                // Signing up keeps the visitor's language as the user's setting.
                let (alice, browser, _) = try await web.customer("alice")
                #expect(try await browser.get("/dashboard").body.contains("dir=\"ltr\""))
                await browser.setCookie("smm_lang", "ar")
                // The user's own setting wins over the cookie…
                #expect(try await browser.get("/dashboard").body.contains("dir=\"ltr\""))
                // …and is changed on the account page.
                #expect(try await browser.submit(from: "/account", to: "/account/language", [("language", "ar")]).status == 303)
                let arabic = try await browser.get("/orders")
                #expect(arabic.body.contains("<html lang=\"ar\" dir=\"rtl\">"))
                #expect(arabic.body.contains("الطلبات"))
                _ = alice
            }
        }
    }
}
