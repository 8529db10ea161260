import SMMDomain
import SMMServices
import SMMStorage

/// A catalog with one service of every type and a customer with money, so a fresh panel can
/// be tried at once.
public enum DemoData {
    public static let customerName = "demo"
    public static let startingBalance = Money(minorUnits: 100 * Money.unitsPerWhole)

    static let catalog: [(category: String, name: String, type: ServiceType, rate: String, min: Int64, max: Int64,
                          refill: Bool, cancel: Bool, dripFeed: Bool)] = [
        ("Instagram Followers", "Instagram Followers [Real, 30 days refill]", .default, "0.90", 50, 10_000, true, true, true),
        ("Instagram Followers", "Instagram Followers Package [1000]", .package, "1.20", 1, 1, false, false, false),
        ("Instagram Comments", "Instagram Custom Comments", .customComments, "8", 10, 1_500, false, true, false),
        ("Instagram Comments", "Instagram Custom Comments Package [10]", .customCommentsPackage, "2.50", 1, 10, false, false, false),
        ("Instagram Comments", "Instagram Comment Likes", .commentLikes, "1.50", 20, 5_000, false, true, false),
        ("Instagram Comments", "Instagram Comment Replies", .commentReplies, "9", 5, 500, false, false, false),
        ("Instagram Mentions", "Instagram Mentions", .mentions, "2.50", 100, 10_000, false, true, false),
        ("Instagram Mentions", "Instagram Mentions with Hashtags", .mentionsWithHashtags, "3", 100, 10_000, false, true, false),
        ("Instagram Mentions", "Instagram Mentions Custom List", .mentionsCustomList, "4", 10, 1_000, false, true, false),
        ("Instagram Mentions", "Instagram Mentions Hashtag", .mentionsHashtag, "2.80", 100, 10_000, false, true, false),
        ("Instagram Mentions", "Instagram Mentions User Followers", .mentionsUserFollowers, "3.20", 100, 10_000, false, true, false),
        ("Instagram Mentions", "Instagram Mentions Media Likers", .mentionsMediaLikers, "3.40", 100, 10_000, false, true, false),
        ("Twitter Polls", "Twitter Poll Votes", .poll, "1.20", 100, 50_000, false, true, false),
        ("Telegram", "Telegram Invites from Groups", .invitesFromGroups, "5", 100, 10_000, false, true, false),
        ("Website", "Google Keyword SEO Traffic", .seo, "2", 100, 100_000, false, true, false),
        ("Website", "Website Traffic [Worldwide]", .webTraffic, "0.05", 100, 1_000_000, false, true, true),
        ("Instagram Auto", "Instagram Auto Likes [Subscription]", .subscriptions, "1.10", 50, 5_000, false, true, false),
    ]

    /// Seeds the catalog if the panel has none, funds the demo customer once, and issues a
    /// fresh key for it (keys are stored only as hashes, so showing one means making one).
    public static func seed(_ store: PanelStore) async throws -> (customer: User, key: String) {
        let services = PanelServices(store)
        if try await store.services(includeDisabled: true).isEmpty {
            for entry in catalog {
                _ = try await services.catalog.createService(ServiceDraft(
                    name: entry.name, categoryName: entry.category, type: entry.type, rate: Money(parsing: entry.rate)!,
                    min: entry.min, max: entry.max, refill: entry.refill, refillDays: 30, cancel: entry.cancel,
                    dripFeed: entry.dripFeed, description: "Demo service: \(entry.type.rawValue)."))
            }
        }
        if let existing = try await store.user(named: customerName) {
            let key = try await services.accounts.rotateKey(userID: existing.id)
            return (try await store.user(id: existing.id)!, key)
        }
        let (created, key) = try await services.accounts.createUser(username: customerName)
        _ = try await services.ledger.addFunds(userID: created.id, amount: startingBalance, memo: "demo funds")
        return (try await store.user(id: created.id)!, key)
    }

    public static let adminName = "admin"

    /// Web logins for the demo: the admin `admin` (created if missing) and the customer get
    /// fresh random passwords, printed by `serve --demo`.
    public static func seedWebLogins(_ store: PanelStore) async throws -> (admin: String, customer: String) {
        let adminPassword = randomPassword(), customerPassword = randomPassword()
        let accounts = AccountService(repository: store)
        var admin = try await store.user(named: adminName)
        if admin == nil { admin = try await accounts.createUser(username: adminName, isAdmin: true).0 }
        guard let admin else { return (adminPassword, customerPassword) }
        try await accounts.setAdmin(userID: admin.id, true)
        try await accounts.setPassword(userID: admin.id, hash: try await hashPassword(adminPassword))
        if let customer = try await store.user(named: customerName) {
            try await accounts.setPassword(userID: customer.id, hash: try await hashPassword(customerPassword))
        }
        return (adminPassword, customerPassword)
    }

    /// 16 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
