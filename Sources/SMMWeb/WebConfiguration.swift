/// How the web panel behaves; `serve` fills it from flags and environment.
public struct WebConfiguration: Sendable {
    public var currency: String
    /// Mark cookies `Secure` (only sent over HTTPS). Off by default so `serve --demo` works on
    /// plain http://127.0.0.1; turn it on behind TLS.
    public var secureCookies: Bool
    /// bcrypt cost of new password hashes (2^cost rounds).
    public var bcryptCost: UInt8
    /// Seconds a session lives.
    public var sessionLifetime: Int64
    /// Failed logins allowed per IP and username within `loginWindow` seconds.
    public var loginAttempts: Int
    public var loginWindow: Int64
    /// Key the login limit on the last `X-Forwarded-For` entry (behind one trusted reverse
    /// proxy): otherwise every visitor has the proxy's address. `serve --trust-forwarded-for`
    /// sets it with the API's.
    public var trustForwardedFor: Bool

    public init(currency: String = "USD", secureCookies: Bool = false, bcryptCost: UInt8 = 12,
                sessionLifetime: Int64 = 14 * 86_400, loginAttempts: Int = 5, loginWindow: Int64 = 15 * 60,
                trustForwardedFor: Bool = false) {
        self.currency = currency
        self.secureCookies = secureCookies
        self.bcryptCost = bcryptCost
        self.sessionLifetime = sessionLifetime
        self.loginAttempts = loginAttempts
        self.loginWindow = loginWindow
        self.trustForwardedFor = trustForwardedFor
    }
}
