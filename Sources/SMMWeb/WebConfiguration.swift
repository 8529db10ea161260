/// How the web panel behaves; `serve` fills it from flags and environment.
public struct WebConfiguration: Sendable {
    public var currency: String
    /// The panel is served over HTTPS (`serve --secure-cookies`): cookies are `Secure` and pages
    /// send `Strict-Transport-Security`.
    public var secureCookies: Bool
    /// The panel listens on a loopback address only (`serve --host 127.0.0.1`, the default):
    /// the one case where cookies may go without `Secure`, so `serve --demo` works on plain
    /// http://127.0.0.1. A panel reachable from elsewhere marks them `Secure` whatever the flag.
    public var loopbackOnly: Bool
    /// bcrypt cost of new password hashes (2^cost rounds).
    public var bcryptCost: UInt8
    /// Where bcrypt runs, and how many computations may wait for it (the rest get 429).
    public var passwordHasher: PasswordHasher
    /// Seconds a session lives.
    public var sessionLifetime: Int64
    /// Seconds the login and sign-up forms of a visitor without a session stay usable (their
    /// CSRF token lives in a signed cookie, not in the database).
    public var guestTokenLifetime: Int64
    /// Failed (or not yet judged) logins allowed per IP and username within `loginWindow`
    /// seconds; a successful login clears its own.
    public var loginAttempts: Int
    /// The same per IP across every username (one password sprayed over many accounts).
    public var loginAttemptsPerAddress: Int
    /// The same per account across every address (one account guessed from many).
    public var loginAttemptsPerAccount: Int
    public var loginWindow: Int64
    /// Sign-ups allowed per client address within `signupWindow` seconds.
    public var signupsPerAddress: Int
    public var signupWindow: Int64
    /// Key the login limit on the last `X-Forwarded-For` entry (behind one trusted reverse
    /// proxy): otherwise every visitor has the proxy's address. `serve --trust-forwarded-for`
    /// sets it with the API's.
    public var trustForwardedFor: Bool

    public init(currency: String = "USD", secureCookies: Bool = false, loopbackOnly: Bool = false, bcryptCost: UInt8 = 12,
                passwordHasher: PasswordHasher = .shared, sessionLifetime: Int64 = 14 * 86_400, guestTokenLifetime: Int64 = 86_400,
                loginAttempts: Int = 5, loginAttemptsPerAddress: Int = 20, loginAttemptsPerAccount: Int = 50, loginWindow: Int64 = 15 * 60,
                signupsPerAddress: Int = 3, signupWindow: Int64 = 3600, trustForwardedFor: Bool = false) {
        self.currency = currency
        self.secureCookies = secureCookies
        self.loopbackOnly = loopbackOnly
        self.bcryptCost = bcryptCost
        self.passwordHasher = passwordHasher
        self.sessionLifetime = sessionLifetime
        self.guestTokenLifetime = guestTokenLifetime
        self.loginAttempts = loginAttempts
        self.loginAttemptsPerAddress = loginAttemptsPerAddress
        self.loginAttemptsPerAccount = loginAttemptsPerAccount
        self.loginWindow = loginWindow
        self.signupsPerAddress = signupsPerAddress
        self.signupWindow = signupWindow
        self.trustForwardedFor = trustForwardedFor
    }

    /// Whether `host` (as given to `serve --host`) is a loopback address only.
    public static func isLoopback(host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in
            (1...3).contains(part.utf8.count) && part.utf8.allSatisfy { (0x30...0x39).contains($0) } && Int(part)! <= 255
        }
    }
}
