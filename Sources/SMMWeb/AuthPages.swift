import Hummingbird
import SMMHTTP
import SMMDomain
import SMMStorage

/// Sign up, log in, log out, password and language.
struct AuthPages: Sendable {
    let web: WebApp

    static let minPasswordLength = 8
    /// bcrypt reads at most 72 bytes; a longer password would silently match its prefix.
    static let maxPasswordBytes = 72

    func addRoutes(to pages: WebPages) {
        pages.anyone.get("/login") { call in
            if call.user != nil { return call.redirect("/dashboard") }
            try await call.ensureFormToken()
            return loginPage(call, username: "", error: nil)
        }
        pages.anyone.post("/login") { call in try await login(&call) }
        pages.anyone.get("/signup") { call in
            if call.user != nil { return call.redirect("/dashboard") }
            guard try await call.store.signupOpen() else { return signupClosedPage(call) }
            try await call.ensureFormToken()
            return signupPage(call, username: "", error: nil)
        }
        pages.anyone.post("/signup") { call in try await signup(&call) }
        pages.anyone.post("/logout") { call in
            try await call.endSession()
            return call.redirect("/login")
        }
        pages.customer.get("/account") { call in accountPage(call) }
        pages.customer.post("/account/password") { call in try await changePassword(&call) }
        pages.customer.post("/account/language") { call in
            let language = Language(code: call.field("language")) ?? .en
            try await call.services.accounts.setLanguage(userID: call.user!.id, language.rawValue)
            call.language = language
            call.cookies.append(web.cookie(WebApp.languageCookie, language.rawValue, maxAge: 365 * 86_400))
            return call.redirect(WebApp.localPath(call.field("back")) ?? "/account", notice: "notice_saved")
        }
    }

    func loginPage(_ call: WebCall, username: String, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        call.page(.login, title: call.strings["login_title"],
                  LoginPage(username: username.shown, error: error.shown, next: WebApp.localPath(call.field("next")).shown), status: status)
    }

    func signupPage(_ call: WebCall, username: String, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        call.page(.signup, title: call.strings["signup_title"],
                  SignupPage(username: username.shown, error: error.shown, min_password: String(Self.minPasswordLength)), status: status)
    }

    /// Seconds a visitor refused for a full hashing queue is asked to wait.
    static let busyRetry: Int64 = 5

    static func retrying(_ page: Response, after seconds: Int64) -> Response {
        var response = page
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    func signupClosedPage(_ call: WebCall) -> Response {
        call.page(.message, title: call.strings["signup_title"], MessagePage(message: call.strings["signup_closed"].shown), status: .forbidden)
    }

    /// The limits a login is counted under: this address and name, this address whatever the
    /// name, this name whatever the address.
    func loginLimits(address: String, username: String) -> [AttemptLimit] {
        let configuration = web.configuration
        let name = AccountRules.asciiLowercased(username)
        return [
            .init(key: "login:\(address)|\(name)", maximum: configuration.loginAttempts, window: configuration.loginWindow),
            .init(key: "login-ip:\(address)", maximum: configuration.loginAttemptsPerAddress, window: configuration.loginWindow),
            .init(key: "login-user:\(name)", maximum: configuration.loginAttemptsPerAccount, window: configuration.loginWindow),
        ]
    }

    func clientAddress(_ call: WebCall) -> String {
        LimitAddress.key(ClientAddress.of(call.request, peer: call.context.remoteAddress,
                                          trustForwardedFor: web.configuration.trustForwardedFor))
    }

    /// Every attempt is recorded before its password is checked, under the limits of
    /// `loginLimits`, and counts as failed until it succeeds; past any limit nothing is checked
    /// (429), not even a correct password. A full hashing queue also answers 429, before
    /// anything is written.
    func login(_ call: inout WebCall) async throws -> Response {
        let username = call.field("username") ?? ""
        let password = call.form["password"] ?? ""
        // No such name can exist (names have at most 64 characters): nothing to count or check.
        guard username.count <= 64 else { return loginPage(call, username: "", error: call.strings["login_failed"]) }
        // A full queue drains in seconds; a limit, within its window.
        func tooMany(retryAfter seconds: Int64) -> Response {
            Self.retrying(loginPage(call, username: username, error: call.strings["login_too_many"], status: .tooManyRequests), after: seconds)
        }
        guard web.configuration.passwordHasher.hasRoom else { return tooMany(retryAfter: Self.busyRetry) }
        let limits = loginLimits(address: clientAddress(call), username: username)
        guard let attempt = try await call.store.recordAttempt(limits) else { return tooMany(retryAfter: web.configuration.loginWindow) }
        let user = username.isEmpty ? nil : try await call.store.user(named: username)
        let valid: Bool
        do {
            valid = try await call.verifyPassword(password, hash: user?.passwordHash)
        } catch is PasswordHasher.Busy {
            // Not judged: it must not count against the person who will simply retry.
            try await call.store.forgetAttempts(ids: attempt, clearing: nil)
            return tooMany(retryAfter: Self.busyRetry)
        }
        guard let user, valid else { return loginPage(call, username: username, error: call.strings["login_failed"]) }
        guard !user.disabled else { return loginPage(call, username: username, error: call.strings["login_disabled"]) }
        try await call.store.forgetAttempts(ids: attempt, clearing: limits[0].key)
        try await call.startSession(userID: user.id)
        return call.redirect(WebApp.localPath(call.field("next")) ?? (user.isAdmin ? "/admin" : "/dashboard"))
    }

    /// Closed sign-up creates nothing; an open one allows `signupsPerAddress` per
    /// `signupWindow` from one address, counted (taken names included) before anything else
    /// is written.
    func signup(_ call: inout WebCall) async throws -> Response {
        guard try await call.store.signupOpen() else { return signupClosedPage(call) }
        let username = call.field("username") ?? ""
        let password = call.form["password"] ?? ""
        if let problem = Self.usernameProblem(username) ?? Self.passwordProblem(password, confirm: call.form["confirm"]) {
            return signupPage(call, username: username, error: call.strings[problem])
        }
        let configuration = web.configuration
        let limit = AttemptLimit(key: "signup:\(clientAddress(call))", maximum: configuration.signupsPerAddress,
                                            window: configuration.signupWindow)
        guard web.configuration.passwordHasher.hasRoom, try await call.store.recordAttempt([limit]) != nil else {
            return Self.retrying(signupPage(call, username: username, error: call.strings["signup_too_many"], status: .tooManyRequests),
                                 after: configuration.signupWindow)
        }
        let hash = try await call.hashPassword(password)
        let user: User
        do {
            user = try await call.services.accounts.createUser(username: username, passwordHash: hash).0
        } catch is PanelError {
            // The name is valid (checked above), so the store refused it as taken.
            return signupPage(call, username: username, error: call.strings["signup_taken"])
        }
        try await call.services.accounts.setLanguage(userID: user.id, call.language.rawValue)
        try await call.startSession(userID: user.id)
        return call.redirect("/dashboard", notice: "notice_welcome")
    }

    func accountPage(_ call: WebCall, error: String? = nil) -> Response {
        call.page(.account, title: call.strings["account_title"], AccountPage(
            error: error.shown,
            languages: Language.allCases.map { language in
                AccountPage.LanguageChoice(code: language.rawValue, label: web.views.translations.strings(language)["language_name"].shown,
                                     selected: language == call.language)
            }))
    }

    func changePassword(_ call: inout WebCall) async throws -> Response {
        let user = call.user!
        let current = call.form["current"] ?? ""
        let password = call.form["password"] ?? ""
        guard try await call.verifyPassword(current, hash: user.passwordHash) else {
            return accountPage(call, error: call.strings["password_wrong"])
        }
        if let problem = Self.passwordProblem(password, confirm: call.form["confirm"]) {
            return accountPage(call, error: call.strings[problem])
        }
        try await call.services.accounts.setPassword(userID: user.id, hash: try await call.hashPassword(password), keepSession: call.token)
        return call.redirect("/account", notice: "notice_password_changed")
    }

    /// Letters, digits, `_ . -`, 3 to 32 characters: a name that is safe in any page, log or URL.
    static func usernameProblem(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-".unicodeScalars.contains(scalar))
        }
        return (3...32).contains(name.count) && allowed ? nil : "signup_bad_username"
    }

    static func passwordProblem(_ password: String, confirm: String?) -> String? {
        guard password.count >= minPasswordLength, password.utf8.count <= maxPasswordBytes else { return "password_bad_length" }
        guard password == confirm else { return "password_mismatch" }
        return nil
    }
}

struct LoginPage: Sendable {
    let username: String?
    let error: String?
    let next: String?
}

struct SignupPage: Sendable {
    let username: String?
    let error: String?
    let min_password: String
}

struct AccountPage: Sendable {
    struct LanguageChoice: Sendable {
        let code: String
        let label: String?
        let selected: Bool
    }

    let error: String?
    let languages: [LanguageChoice]
}
