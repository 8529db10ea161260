import SMMDomain

// The repositories the panel's use cases write through and its pages read from, one per
// aggregate. `PanelStore` is the SQL implementation of them all; each consumer names only the
// ones it uses. Inputs arrive checked by the domain's rules (`NewService`, `NewProvider`, …).

public typealias OrderSearch = PanelStore.OrderSearch
public typealias OrderFilter = PanelStore.OrderFilter
public typealias AttemptLimit = PanelStore.AttemptLimit
public typealias AdminStats = PanelStore.AdminStats

/// Users, their settings and their API keys.
public protocol AccountRepository: Sendable {
    func createUser(username: String, passwordHash: String?, isAdmin: Bool) async throws -> (User, String)
    func setPassword(userID: UserID, hash: String, keepSession: String?) async throws
    func setUserDisabled(userID: UserID, _ disabled: Bool) async throws
    func setAdmin(userID: UserID, _ isAdmin: Bool) async throws
    func setLanguage(userID: UserID, _ language: String) async throws
    func rotateKey(userID: UserID) async throws -> String
    func createKey(userID: UserID, name: String, maxLive: Int64) async throws -> (APIKeyInfo, String)
    @discardableResult
    func revokeKey(userID: UserID, keyID: APIKeyID) async throws -> APIKeyInfo
    func setSignupOpen(_ open: Bool) async throws
}

/// Categories, services and the customers' own rates.
public protocol CatalogRepository: Sendable {
    func createCategory(name: String, sort: Int64) async throws -> Category
    func updateCategory(id: CategoryID, name: String, sort: Int64) async throws
    func createService(_ new: NewService) async throws -> Service
    func updateService(id: ServiceID, categoryName: String?, _ edit: @escaping @Sendable (Service) throws -> Service) async throws -> Service
    func setServiceEnabled(id: ServiceID, _ enabled: Bool) async throws
    func setServiceMarkup(serviceID: ServiceID, markup: Money?) async throws
    func setCustomRate(userID: UserID, serviceID: ServiceID, rate: Money?) async throws
}

/// Balances changed by hand; every change writes its ledger row.
public protocol LedgerRepository: Sendable {
    func addFunds(userID: UserID, amount: Money, memo: String) async throws -> Money
    func deductFunds(userID: UserID, amount: Money, memo: String) async throws -> Money
}

/// Customers' payment requests and the admins' decisions on them.
public protocol PaymentRepository: Sendable {
    func createPaymentRequest(userID: UserID, _ new: NewPaymentRequest, maxPending: Int) async throws -> PaymentRequest
    @discardableResult
    func decidePaymentRequest(id: PaymentRequestID, approve: Bool, adminID: UserID, note: String) async throws -> PaymentRequest
}

/// Providers as the operator keeps them, and the orders waiting on one.
public protocol ProviderAdministration: Sendable {
    func createProvider(_ new: NewProvider) async throws -> Provider
    func updateProviderOptions(id: ProviderID, allowHTTP: Bool?, allowPrivateAddress: Bool?, concurrency: Int??) async throws
    func setProviderEnabled(id: ProviderID, _ enabled: Bool) async throws
    func setProviderAlert(id: ProviderID, _ alert: String) async throws
    func recordProviderBalance(id: ProviderID, balance: String, currency: String) async throws
    func resendHeld(orderID: OrderID) async throws
    func resendHeld(providerID: ProviderID, reasonContaining marker: String) async throws -> Int
    func linkUpstreamOrder(orderID: OrderID, upstreamOrderID: String) async throws
}

/// Orders and refills changed by an operator (or a worker) rather than by their customer.
public protocol OrderAdministration: Sendable {
    @discardableResult
    func updateOrder(id: OrderID, _ change: OrderChange) async throws -> Order
    @discardableResult
    func updateRefill(id: RefillID, status: RefillStatus) async throws -> Refill
    @discardableResult
    func startDueDripFeedRuns(limit: Int) async throws -> Int
}

extension PanelStore: AccountRepository, CatalogRepository, LedgerRepository, PaymentRepository, ProviderAdministration,
                      OrderAdministration {}

// MARK: Reading

/// Accounts as the pages list them.
public protocol AccountQueries: Sendable {
    func user(id: UserID) async throws -> User?
    func user(named username: String) async throws -> User?
    func usernames(ids: [UserID]) async throws -> [UserID: String]
    func searchUsers(_ text: String, limit: Int) async throws -> [User]
    func keys(userID: UserID) async throws -> [APIKeyInfo]
    func totalSpent(userID: UserID) async throws -> Money
    func signupOpen() async throws -> Bool
}

/// The catalog with its disabled services and categories, and one customer's view of it.
public protocol CatalogQueries: CatalogReading {
    func categories() async throws -> [Category]
    func service(id: ServiceID) async throws -> Service?
    func services(pricedFor userID: UserID) async throws -> [Service]
    func service(id: ServiceID, pricedFor userID: UserID) async throws -> Service?
}

/// Orders and refills as the pages list them.
public protocol OrderQueries: Sendable {
    func order(id: OrderID, userID: UserID?) async throws -> Order?
    func orders(ids: [OrderID], userID: UserID) async throws -> [OrderID: Order]
    func childOrderIDs(parentIDs: [OrderID]) async throws -> [OrderID: [OrderID]]
    func searchOrders(_ search: OrderSearch) async throws -> (orders: [Order], more: Bool)
    func listOrders(_ filter: OrderFilter) async throws -> [Order]
    func ordersWithOpenRefill(_ orderIDs: [OrderID]) async throws -> Set<OrderID>
    func ordersWithRefusedCancel(_ orderIDs: [OrderID]) async throws -> Set<OrderID>
    func listRefills(userID: UserID?, limit: Int) async throws -> [Refill]
    func staleOrders(before: Int64, limit: Int) async throws -> [Order]
    func upstreamInfo(orderIDs: [OrderID]) async throws -> [OrderID: UpstreamOrderInfo]
}

/// Money as the pages show it: ledger rows and payment requests.
public protocol MoneyQueries: Sendable {
    func ledgerEntries(userID: UserID?, limit: Int) async throws -> [LedgerEntry]
    func paymentRequests(userID: UserID?, status: PaymentStatus?, limit: Int) async throws -> [PaymentRequest]
}

/// Providers and the figures of the admin's dashboard.
public protocol PanelReports: Sendable {
    func providers() async throws -> [Provider]
    func provider(id: ProviderID) async throws -> Provider?
    func provider(named name: String) async throws -> Provider?
    func adminStats(dayStart: Int64) async throws -> AdminStats
    func attentionItems(limit: Int) async throws -> [AttentionItem]
    func attentionCount() async throws -> Int
    func upstreamProfit(since: Int64) async throws -> Money
    /// Balances that disagree with their ledger, described; empty when all agree.
    func ledgerProblems() async throws -> [String]
}

/// Web sessions, the attempts counted against guessing, and the key guest cookies are signed with.
public protocol WebSessions: Sendable {
    func createSession(userID: UserID?, lifetime: Int64) async throws -> (token: String, session: WebSession)
    func session(token: String) async throws -> WebSession?
    func deleteSession(token: String) async throws
    func recordAttempt(_ limits: [AttemptLimit]) async throws -> [Int64]?
    func forgetAttempts(ids: [Int64], clearing key: String?) async throws
    func webSigningKey() async throws -> String
}

/// Changes recorded with who made them, the row before and the row after.
public protocol AuditTrail: Sendable {
    func audited<T: Sendable>(_ action: String, target: AuditTarget?, actor: AuditActor, created: (@Sendable (T) -> AuditTarget)?,
                              _ change: () async throws -> T) async throws -> T
    func auditLog(target: String?, limit: Int) async throws -> [AuditEntry]
}

extension AuditTrail {
    /// `audited` as the current actor (`AuditActor.current`).
    public func audited<T: Sendable>(_ action: String, target: AuditTarget?, created: (@Sendable (T) -> AuditTarget)? = nil,
                                     _ change: () async throws -> T) async throws -> T {
        try await audited(action, target: target, actor: AuditActor.current, created: created, change)
    }
}

extension PanelStore: AccountQueries, CatalogQueries, OrderQueries, MoneyQueries, PanelReports, WebSessions, AuditTrail {}
