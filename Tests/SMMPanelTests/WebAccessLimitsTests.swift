import Foundation
import HTTPTypes
import HummingbirdTesting
import SMMApp
import SMMDomain
@testable import SMMStorage
import SMMWeb
import SQLKit
import Testing

/// What an anonymous visitor can make the panel do: logins counted before any password is
/// checked (per address and name, per address, per account), bcrypt behind a bounded queue,
/// no database write for a visit, sign-up limited per address and closable.
@Suite("Web access limits")
struct WebAccessLimitsTests {
    /// A visitor who loaded the login page: the guest cookie and the form's token.
    struct Guest: Sendable {
        let cookie: String
        let csrf: String
    }

    static func guest(_ web: WebHarness, path: String = "/login") async throws -> Guest {
        let browser = web.browser()
        let page = try await browser.get(path)
        #expect(page.status == 200)
        return Guest(cookie: try #require(await browser.cookies["smm_guest"]), csrf: try #require(await browser.csrf))
    }

    /// Each form POSTed by its own guest on its own connection, all at once; the pages in order.
    static func parallelPosts(_ web: WebHarness, _ path: String, _ forms: [(Guest, [(String, String)], forwardedFor: String?)])
        async throws -> [WebClient.Page] {
        let port = try #require(web.client.port)
        return try await withThrowingTaskGroup(of: (Int, WebClient.Page).self) { group in
            for (index, (guest, fields, forwardedFor)) in forms.enumerated() {
                group.addTask {
                    try await withExtraClient(port: port) { connection in
                        let browser = WebClient(connection: connection)
                        await browser.setCookie("smm_guest", guest.cookie)
                        if let forwardedFor { await browser.setHeader("X-Forwarded-For", forwardedFor) }
                        return (index, try await browser.post(path, fields, csrf: .some(guest.csrf)))
                    }
                }
            }
            var pages: [Int: WebClient.Page] = [:]
            for try await (index, page) in group { pages[index] = page }
            return forms.indices.map { pages[$0]! }
        }
    }

    static let tooMany = "Too many failed attempts. Please wait 15 minutes and try again."

    static func attemptRows(_ store: PanelStore) async throws -> Int64 {
        try await store.backend.read { db in
            try await db.raw("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM web_attempts").first()!.decode(column: "n", as: Int64.self)
        }
    }

    // MARK: Login limits

    /// 40 wrong passwords for one name from one address, all at once: each is recorded before
    /// its check, so exactly the limit (5) is checked and the other 35 get 429 unchecked; the
    /// right password is then refused too.
    @Test("parallel wrong passwords are counted before any is checked", arguments: TestEngine.available)
    func parallelGuessesAreCountedFirst(engine: TestEngine) async throws {
        let hasher = PasswordHasher(threads: 1, queueLimit: 1000)
        try await TestPanel.with(engine) { panel in
            // A slower hash keeps the checks in flight together, as a real cost does.
            try await panel.web(configure: { $0.web.passwordHasher = hasher; $0.web.bcryptCost = 8 }) { web in
                let (_, _, password) = try await web.customer("alice")
                var guests: [Guest] = []
                for _ in 0..<40 { guests.append(try await Self.guest(web)) }
                let before = hasher.computations
                let pages = try await Self.parallelPosts(web, "/login", guests.map {
                    ($0, [("username", "alice"), ("password", "wrong-guess")], forwardedFor: nil)
                })
                #expect(pages.filter { $0.status == 200 && $0.errors == ["Incorrect username or password."] }.count == 5)
                #expect(pages.filter { $0.status == 429 && $0.errors == [Self.tooMany] && $0.headers[.retryAfter] == "900" }.count == 35)
                #expect(hasher.computations - before == 5, "passwords checked")
                let blocked = try await web.browser().login("alice", password)
                #expect(blocked.status == 429 && blocked.errors == [Self.tooMany])
                #expect(hasher.computations - before == 5)
            }
        }
    }

    /// One password tried over many names from one address stops at the per-address cap (20),
    /// whatever the name; another address is not affected.
    @Test("password spraying from one address stops at the per-address cap", arguments: TestEngine.available)
    func sprayingIsCappedPerAddress(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web(configure: { $0.web.trustForwardedFor = true }) { web in
                let (_, _, password) = try await web.customer("alice")
                let sprayer = web.browser()
                await sprayer.setHeader("X-Forwarded-For", "203.0.113.5")
                for index in 0..<20 {
                    let page = try await sprayer.login("user\(index)", "Summer2026!")
                    #expect(page.status == 200, "attempt \(index)")
                }
                let blocked = try await sprayer.login("alice", password)
                #expect(blocked.status == 429 && blocked.errors == [Self.tooMany])
                // The same address for IPv6 clients is their /64.
                let v6 = web.browser()
                await v6.setHeader("X-Forwarded-For", "2001:db8:1:2::1")
                for index in 0..<20 { _ = try await v6.login("v6user\(index)", "Summer2026!") }
                await v6.setHeader("X-Forwarded-For", "2001:db8:1:2:ffff::9")
                #expect(try await v6.login("alice", password).status == 429)
                let elsewhere = web.browser()
                await elsewhere.setHeader("X-Forwarded-For", "198.51.100.20")
                #expect(try await elsewhere.login("alice", password).status == 303)
            }
        }
    }

    /// One account guessed from many addresses stops at the per-account cap (50): then even
    /// its owner waits out the window (the price of the cap; the owner's own successful login
    /// is not counted).
    @Test("guessing one account from many addresses stops at the per-account cap", arguments: TestEngine.available)
    func guessingIsCappedPerAccount(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web(configure: { $0.web.trustForwardedFor = true }) { web in
                let (_, _, password) = try await web.customer("alice")
                func owner() async -> WebClient {
                    let browser = web.browser()
                    await browser.setHeader("X-Forwarded-For", "198.51.100.1")
                    return browser
                }
                // Successful logins clear their own attempt: they never count.
                for _ in 0..<3 { #expect(try await owner().login("alice", password).status == 303) }
                for index in 0..<50 {
                    let guesser = web.browser()
                    await guesser.setHeader("X-Forwarded-For", "192.0.2.\(index)")
                    // Any case of the name is the same account.
                    #expect(try await guesser.login(index % 2 == 0 ? "alice" : "ALICE", "guess-\(index)").status == 200)
                }
                let late = web.browser()
                await late.setHeader("X-Forwarded-For", "192.0.2.200")
                #expect(try await late.login("alice", password).status == 429)
                #expect(try await owner().login("Alice", password).status == 429)
                panel.clock.advance(seconds: 15 * 60 + 1)
                #expect(try await owner().login("Alice", password).status == 303)
                // Each attempt sweeps up to 100 expired rows: of the guesses' 150 (three limits
                // each), 50 are left, then none; alice's sign-up row lives for its hour.
                #expect(try await Self.attemptRows(web.store) == 51)
                #expect(try await owner().login("alice", password).status == 303)
                #expect(try await Self.attemptRows(web.store) == 1)
            }
        }
    }

    // MARK: bcrypt flood

    /// 100 attempts at once, for names that do not exist, from 100 addresses (so no per-address
    /// limit applies): the hashing queue admits 4, the others get 429 without any hashing, and
    /// a real login meanwhile succeeds within a bound set by the queue, not by the flood.
    @Test("a bcrypt flood cannot delay a real login without bound", arguments: TestEngine.available)
    func bcryptFloodIsBounded(engine: TestEngine) async throws {
        let hasher = PasswordHasher(threads: 1, queueLimit: 4)
        try await TestPanel.with(engine) { panel in
            try await panel.web(configure: {
                $0.web.passwordHasher = hasher
                $0.web.bcryptCost = 10
                $0.web.trustForwardedFor = true
            }) { web in
                let (_, _, password) = try await web.customer("alice")
                // One login on its own: the unit of the bound.
                let clock = ContinuousClock()
                var solo = Duration.zero
                for _ in 0..<3 {
                    let real = web.browser()
                    await real.setHeader("X-Forwarded-For", "198.51.100.77")
                    let start = clock.now
                    #expect(try await real.login("alice", password).status == 303)
                    solo = max(solo, clock.now - start)
                }
                var guests: [Guest] = []
                for _ in 0..<100 { guests.append(try await Self.guest(web)) }
                let realGuest = try await Self.guest(web)
                let before = hasher.computations
                let flood = Task {
                    try await Self.parallelPosts(web, "/login", guests.enumerated().map { index, guest in
                        (guest, [("username", "nobody\(index)"), ("password", "guess")], forwardedFor: "10.9.\(index / 250).\(index % 250)")
                    })
                }
                // Once the queue is full, the real user logs in, retrying on 429 as a person would.
                for _ in 0..<200 where hasher.hasRoom { try await Task.sleep(for: .milliseconds(10)) }
                let start = clock.now
                var realAnswers: [Int] = []
                let port = try #require(web.client.port)
                while realAnswers.last != 303, realAnswers.count < 100 {
                    let page = try await withExtraClient(port: port) { connection in
                        let browser = WebClient(connection: connection)
                        await browser.setCookie("smm_guest", realGuest.cookie)
                        await browser.setHeader("X-Forwarded-For", "198.51.100.77")
                        return try await browser.post("/login", [("username", "alice"), ("password", password)], csrf: .some(realGuest.csrf))
                    }
                    realAnswers.append(page.status)
                    if page.status == 429 { #expect(page.errors == [Self.tooMany]) }
                    if page.status != 303 { try await Task.sleep(for: .milliseconds(50)) }
                }
                let waited = clock.now - start
                let pages = try await flood.value
                #expect(realAnswers.last == 303, "real login: \(realAnswers)")
                // Generous: the queue holds 4, so about 5 hashes of waiting; a flood of 100 queued would be 100.
                #expect(waited < solo * 12 + .seconds(2), "real login took \(waited) (one login alone: \(solo))")
                let refused = pages.filter { $0.status == 429 }
                #expect(refused.count >= 20, "flood refused: \(refused.count)")
                #expect(refused.allSatisfy { $0.errors == [Self.tooMany] && $0.headers[.retryAfter] == "5" })
                // Every refused attempt cost no hash: each computation is an answered attempt.
                let checked = pages.filter { $0.status == 200 }.count + realAnswers.filter { $0 != 429 }.count
                #expect(hasher.computations - before == checked)
                #expect(pages.allSatisfy { $0.status == 200 || $0.status == 429 })
            }
        }
    }

    // MARK: Anonymous visitors

    /// 50 cookieless visits of each form page write nothing: no session row, no attempt row,
    /// and on SQLite not one write transaction. The guest cookie they get carries the forms'
    /// token, and a login with it works.
    @Test("anonymous visits of the login and sign-up pages write nothing", arguments: TestEngine.available)
    func anonymousVisitsWriteNothing(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, _, password) = try await web.customer("alice")
                _ = try await Self.guest(web)
                let sessions = try await Self.sessionRows(web.store)
                let attempts = try await Self.attemptRows(web.store)
                let transactions = web.store.commitCounts?.transactions
                for index in 0..<100 {
                    let page = try await web.browser().get(index % 2 == 0 ? "/login" : "/signup")
                    #expect(page.status == 200 && page.setCookies.contains { $0.hasPrefix("smm_guest=") })
                    #expect(!page.setCookies.contains { $0.hasPrefix("smm_session=") })
                }
                #expect(try await Self.sessionRows(web.store) == sessions)
                #expect(try await Self.attemptRows(web.store) == attempts)
                if let transactions { #expect(web.store.commitCounts?.transactions == transactions, "write transactions") }
                // The guest's token is good for a login, which then starts the real session.
                let browser = web.browser()
                let page = try await browser.login("alice", password)
                #expect(page.status == 303 && page.setCookies.contains { $0.hasPrefix("smm_session=") })
                #expect(page.setCookies.contains { $0.hasPrefix("smm_guest=") && $0.contains("Max-Age=0") }, "the guest cookie is cleared")
                #expect(try await browser.get("/dashboard").status == 200)
                #expect(try await Self.sessionRows(web.store) == sessions + 1)
            }
        }
    }

    static func sessionRows(_ store: PanelStore) async throws -> Int64 {
        try await store.backend.read { db in
            try await db.raw("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM web_sessions").first()!.decode(column: "n", as: Int64.self)
        }
    }

    /// Without a genuine guest cookie matching the form's token, POST /login and /signup are
    /// refused (403) and change nothing: no token, a wrong token, a token without its cookie,
    /// a cookie with a forged signature, another guest's cookie, an expired cookie, an oversized one.
    @Test("login and sign-up refuse a missing or wrong guest token and change nothing", arguments: TestEngine.available)
    func guestTokenIsChecked(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, _, password) = try await web.customer("alice")
                let users = try await web.store.searchUsers("").count
                let sessions = try await Self.sessionRows(web.store)
                let attempts = try await Self.attemptRows(web.store)
                let guest = try await Self.guest(web)
                let other = try await Self.guest(web)
                let parts = guest.cookie.split(separator: ".").map(String.init)
                let forgedMAC = parts[0...2].joined(separator: ".") + "." + String(repeating: "0", count: 64)
                let otherToken = other.cookie.split(separator: ".").map(String.init)[1]
                let swapped = [parts[0], otherToken, parts[2], parts[3]].joined(separator: ".")
                let cases: [(cookie: String?, csrf: String??)] = [
                    (guest.cookie, .some(nil)), (guest.cookie, .some("0123456789abcdef0123456789abcdef")), (nil, .some(guest.csrf)),
                    (forgedMAC, .some(parts[1])), (other.cookie, .some(guest.csrf)), (swapped, .some(otherToken)),
                    (guest.cookie + String(repeating: "a", count: 200), .some(guest.csrf)),
                ]
                for (index, (cookie, csrf)) in cases.enumerated() {
                    for (path, fields) in [("/login", [("username", "alice"), ("password", password)]),
                                           ("/signup", [("username", "mallory\(index)"), ("password", "long-enough-1"), ("confirm", "long-enough-1")])] {
                        let browser = web.browser()
                        if let cookie { await browser.setCookie("smm_guest", cookie) }
                        let page = try await browser.post(path, fields, csrf: csrf)
                        #expect(page.status == 403 && page.body.contains("Nothing was changed"), "case \(index) \(path)")
                    }
                }
                // A cookie older than its lifetime (a day) is refused too.
                panel.clock.advance(seconds: 86_400 + 1)
                let browser = web.browser()
                await browser.setCookie("smm_guest", guest.cookie)
                #expect(try await browser.post("/login", [("username", "alice"), ("password", password)], csrf: .some(guest.csrf)).status == 403)
                #expect(try await web.store.searchUsers("").count == users)
                #expect(try await Self.sessionRows(web.store) == sessions)
                #expect(try await Self.attemptRows(web.store) == attempts)
                // A fresh one works.
                #expect(try await web.browser().login("alice", password).status == 303)
            }
        }
    }

    // MARK: Sign-up

    /// Three sign-ups per address per hour (taken names count); the fourth is refused before
    /// anything is written; another address, or the next hour, may sign up.
    @Test("sign-up is limited per address", arguments: TestEngine.available)
    func signupIsLimitedPerAddress(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web(configure: {
                $0.web.signupsPerAddress = WebConfiguration().signupsPerAddress
                $0.web.trustForwardedFor = true
            }) { web in
                func signup(_ name: String, from address: String) async throws -> WebClient.Page {
                    let browser = web.browser()
                    await browser.setHeader("X-Forwarded-For", address)
                    return try await browser.submit(from: "/signup", to: "/signup",
                                                    [("username", name), ("password", "long-enough-1"), ("confirm", "long-enough-1")])
                }
                #expect(try await signup("first", from: "203.0.113.1").status == 303)
                #expect(try await signup("FIRST", from: "203.0.113.1").errors == ["This username is taken."])
                #expect(try await signup("third", from: "203.0.113.1").status == 303)
                let refused = try await signup("fourth", from: "203.0.113.1")
                #expect(refused.status == 429 && refused.errors == ["Too many sign-ups from your address. Please try again later."])
                #expect(refused.headers[.retryAfter] == "3600")
                #expect(try await web.store.user(named: "fourth") == nil)
                #expect(try await signup("fourth", from: "203.0.113.2").status == 303)
                panel.clock.advance(seconds: 3601)
                #expect(try await signup("fifth", from: "203.0.113.1").status == 303)
                #expect(try await web.store.searchUsers("").count == 4)
            }
        }
    }

    /// Closed sign-up (the admin console's switch, stored for every node) shows a notice and
    /// creates nothing, even for a form loaded while it was open; opening it again works.
    @Test("closed sign-up creates nothing and the admin console switches it", arguments: TestEngine.available)
    func closedSignup(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, admin) = try await web.admin()
                let (_, customer, _) = try await web.customer("eve")
                #expect(try await admin.get("/admin").body.contains("Visitors can sign up."))
                let early = web.browser()
                _ = try await early.get("/signup")
                #expect(try await admin.submit(from: "/admin", to: "/admin/signup", [("signup", "closed")]).status == 303)
                #expect(try await web.store.signupOpen() == false)
                #expect(try await admin.get("/admin").body.contains("Sign-up is closed"))
                let closedText = "Sign-up is closed. Please ask the operator of this panel for an account."
                let page = try await web.browser().get("/signup")
                #expect(page.status == 403 && page.body.contains(closedText) && !page.body.contains("name=\"password\""))
                let posted = try await early.post("/signup", [("username", "late"), ("password", "long-enough-1"), ("confirm", "long-enough-1")])
                #expect(posted.status == 403 && posted.body.contains(closedText))
                #expect(try await web.store.user(named: "late") == nil)
                // A customer cannot flip it (the console does not even exist for them).
                #expect(try await customer.post("/admin/signup", [("signup", "open")]).status == 404)
                #expect(try await web.store.signupOpen() == false)
                #expect(try await admin.submit(from: "/admin", to: "/admin/signup", [("signup", "open")]).status == 303)
                #expect(try await early.submit(from: "/signup", to: "/signup",
                                               [("username", "late"), ("password", "long-enough-1"), ("confirm", "long-enough-1")]).status == 303)
            }
        }
    }
}
