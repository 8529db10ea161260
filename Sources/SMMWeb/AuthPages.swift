import Hummingbird
import SMMAPI
import SMMDomain
import SMMStorage

/// Sign up, log in, log out, password and language.
struct AuthPages: Sendable {
    let web: WebApp

    static let minPasswordLength = 8
    /// bcrypt reads at most 72 bytes; a longer password would silently match its prefix.
    static let maxPasswordBytes = 72

    func addRoutes(to router: Router<PanelContext>) {
        web.on(router, .get, "/login", .anyone) { call in
            if call.user != nil { return call.redirect("/dashboard") }
            try await call.ensureSession()
            return loginPage(call, username: "", error: nil)
        }
        web.on(router, .post, "/login", .anyone) { call in try await login(&call) }
        web.on(router, .get, "/signup", .anyone) { call in
            if call.user != nil { return call.redirect("/dashboard") }
            try await call.ensureSession()
            return signupPage(call, username: "", error: nil)
        }
        web.on(router, .post, "/signup", .anyone) { call in try await signup(&call) }
        web.on(router, .post, "/logout", .anyone) { call in
            try await call.endSession()
            return call.redirect("/login")
        }
        web.on(router, .get, "/account", .customer) { call in accountPage(call) }
        web.on(router, .post, "/account/password", .customer) { call in try await changePassword(&call) }
        web.on(router, .post, "/account/language", .customer) { call in
            let language = Language(code: call.field("language")) ?? .en
            try await call.store.setLanguage(userID: call.user!.id, language.rawValue)
            call.language = language
            call.cookies.append(web.cookie(WebApp.languageCookie, language.rawValue, maxAge: 365 * 86_400))
            return call.redirect(WebApp.localPath(call.field("back")) ?? "/account", notice: "notice_saved")
        }
    }

    func loginPage(_ call: WebCall, username: String, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        call.page("login", title: call.strings["login_title"],
                  ["username": username, "error": error as Any, "next": WebApp.localPath(call.field("next")) ?? ""], status: status)
    }

    func signupPage(_ call: WebCall, username: String, error: String?) -> Response {
        call.page("signup", title: call.strings["signup_title"], ["username": username, "error": error as Any,
                                                                   "min_password": String(Self.minPasswordLength)])
    }

    /// At most `loginAttempts` failures per IP and username in `loginWindow`; while blocked,
    /// not even a correct password is checked.
    func login(_ call: inout WebCall) async throws -> Response {
        let username = call.field("username") ?? ""
        let password = call.form["password"] ?? ""
        let configuration = web.configuration
        let ip = ClientAddress.of(call.request, peer: call.context.remoteAddress, trustForwardedFor: configuration.trustForwardedFor)
        let attemptKey = "\(ip)|\(username.lowercased())"
        let now = call.store.clock.now()
        if try await call.store.loginFailures(key: attemptKey, since: now - configuration.loginWindow) >= configuration.loginAttempts {
            return loginPage(call, username: username, error: call.strings["login_too_many"], status: .tooManyRequests)
        }
        let user = username.isEmpty ? nil : try await call.store.user(named: username)
        let valid = try await call.verifyPassword(password, hash: user?.passwordHash)
        guard let user, valid else {
            try await call.store.recordLoginFailure(key: attemptKey, pruneBefore: now - configuration.loginWindow)
            return loginPage(call, username: username, error: call.strings["login_failed"])
        }
        guard !user.disabled else { return loginPage(call, username: username, error: call.strings["login_disabled"]) }
        try await call.store.clearLoginFailures(key: attemptKey)
        try await call.startSession(userID: user.id)
        return call.redirect(WebApp.localPath(call.field("next")) ?? (user.isAdmin ? "/admin" : "/dashboard"))
    }

    func signup(_ call: inout WebCall) async throws -> Response {
        let username = call.field("username") ?? ""
        let password = call.form["password"] ?? ""
        if let problem = Self.usernameProblem(username) ?? Self.passwordProblem(password, confirm: call.form["confirm"]) {
            return signupPage(call, username: username, error: call.strings[problem])
        }
        let hash = try await call.hashPassword(password)
        let user: User
        do {
            user = try await call.store.createUser(username: username, passwordHash: hash).0
        } catch is PanelError {
            // The name is valid (checked above), so the store refused it as taken.
            return signupPage(call, username: username, error: call.strings["signup_taken"])
        }
        try await call.store.setLanguage(userID: user.id, call.language.rawValue)
        try await call.startSession(userID: user.id)
        return call.redirect("/dashboard", notice: "notice_welcome")
    }

    func accountPage(_ call: WebCall, error: String? = nil) -> Response {
        call.page("account", title: call.strings["account_title"], [
            "error": error as Any,
            "languages": Language.allCases.map { language in
                ["code": language.rawValue, "label": web.views.translations.strings(language)["language_name"],
                 "selected": language == call.language]
            },
        ])
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
        try await call.store.setPassword(userID: user.id, hash: try await call.hashPassword(password), keepSession: call.token)
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
