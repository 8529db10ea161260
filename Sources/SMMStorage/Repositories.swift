import SMMDomain

/// What placing an order reads and writes. `PanelStore` is the SQL implementation; services
/// see only this.
public protocol OrderPlacementRepository: Sendable {
    /// The service's terms at this customer's rate, and whether it is on sale; nil: no such service.
    func orderTerms(serviceID: ServiceID, pricedFor userID: UserID) async throws -> (ServiceTerms, enabled: Bool)?
    /// The customer's order placed with `requestID`, if any.
    func order(userID: UserID, requestID: String) async throws -> Order?
    /// Charges and writes a validated order in one transaction (see `PanelStore.recordNewOrder`).
    func recordNewOrder(_ new: NewOrder, userID: UserID, requestID: String?) async throws -> Order
}

/// Accounts as API calls find them.
public protocol AccountReading: Sendable {
    /// The enabled user holding the key with this hash.
    func user(apiKeyHash: String) async throws -> User?
    func balance(userID: UserID) async throws -> Money?
}

/// The catalog as customers see it.
public protocol CatalogReading: Sendable {
    func services(includeDisabled: Bool) async throws -> [Service]
    /// The customer's own rates by service id.
    func customRates(userID: UserID) async throws -> [ServiceID: Money]
}

/// A customer's orders and refills, read (ids of others are absent from every answer).
public protocol OrderReading: Sendable {
    func orders(ids: [OrderID], userID: UserID) async throws -> [OrderID: Order]
    func orderStatuses(ids: [OrderID], userID: UserID) async throws -> [OrderID: OrderStatusView]
    func childOrderIDs(parentIDs: [OrderID]) async throws -> [OrderID: [OrderID]]
    func refills(ids: [RefillID], userID: UserID) async throws -> [RefillID: Refill]
}

/// What a customer may ask of an order once placed.
public protocol OrderRequests: Sendable {
    func createRefill(orderID: OrderID, userID: UserID) async throws -> Refill
    func cancelOrder(id: OrderID, userID: UserID) async throws -> Order
}

/// The counters of changes this process made, for caches that must show them at once.
public protocol ChangeSource: Sendable {
    var changes: LocalChanges { get }
}

extension PanelStore: OrderPlacementRepository, AccountReading, CatalogReading, OrderReading, OrderRequests, ChangeSource {}

/// The upstream queue: orders, cancels and refills on their way to providers, claimed by one
/// sender at a time, and the reports that come back.
public protocol UpstreamQueue: Sendable {
    func claimDispatch(providerID: ProviderID?, limit: Int, lease: Int64) async throws -> [DispatchJob]
    func renewClaim(orderID: OrderID, attempt: Int64, lease: Int64) async throws -> Bool
    func releaseClaim(orderID: OrderID, attempt: Int64) async throws
    func recordSent(orderID: OrderID, upstreamOrderID: String, response: String) async throws -> Bool
    func recordRetry(orderID: OrderID, attempt: Int64, reason: String, response: String, retryAt: Int64,
                     mayExistUpstream: Bool) async throws
    func recordHeld(orderID: OrderID, attempt: Int64, reason: String, response: String, mayExistUpstream: Bool) async throws
    @discardableResult
    func recordFailed(orderID: OrderID, attempt: Int64, reason: String, response: String) async throws -> Order?

    func providersDueForSync(checkedBefore: Int64) async throws -> [ProviderID]
    func claimSync(providerID: ProviderID, checkedBefore: Int64, limit: Int) async throws -> [SyncItem]
    func applyUpstreamReports(_ reports: [ReportedOrder]) async throws -> [ReportedChange]

    func providersWithCancelRequests() async throws -> [ProviderID]
    func claimCancels(providerID: ProviderID, limit: Int, lease: Int64) async throws -> [CancelJob]
    func recordCancel(orderID: OrderID, outcome: CancelOutcome, retryAt: Int64?) async throws

    func claimRefillSends(providerID: ProviderID?, limit: Int) async throws -> [RefillJob]
    func releaseRefillClaims(_ jobs: [RefillJob]) async throws
    func recordRefillSent(refillID: RefillID, upstreamRefillID: String) async throws
    func recordRefillRetry(refillID: RefillID, reason: String, retryAt: Int64) async throws
    func recordRefillRefused(refillID: RefillID, reason: String) async throws
    func providersDueForRefillSync(checkedBefore: Int64) async throws -> [ProviderID]
    func claimRefillSync(providerID: ProviderID, checkedBefore: Int64, limit: Int) async throws -> [RefillJob]
    func applyUpstreamRefillStatus(refillID: RefillID, label: String) async throws

    /// Orders waiting for the operator, and the oldest status check due (seconds), for metrics.
    func attentionCount() async throws -> Int
    func syncLag() async throws -> Int64
}

/// Providers and the services imported from them, as the engine keeps them up to date.
public protocol ProviderRecords: Sendable {
    func providers() async throws -> [Provider]
    func recordProviderBalance(id: ProviderID, balance: String, currency: String) async throws
    func forgetProviderBalance(id: ProviderID) async throws
    func setProviderAlert(id: ProviderID, _ alert: String) async throws
    func importUpstreamService(providerID: ProviderID, entry: UpstreamCatalogEntry, as new: NewService, markup: Money) async throws -> Service?
    func mappedServices(providerID: ProviderID) async throws -> [MappedService]
    func applyCatalogUpdate(_ update: CatalogUpdate) async throws
    func disableServicesGoneUpstream(providerID: ProviderID, upstreamService: String) async throws -> [ServiceID]
}

/// Jobs that one process at a time runs every so often, whichever node it is.
public protocol PeriodicJobs: Sendable {
    /// Runs `body` if no process ran `name` within `interval` seconds; whether it ran.
    @discardableResult
    func runPeriodic(_ name: String, every interval: Int64, _ body: @escaping @Sendable () async throws -> Void) async throws -> Bool
}

/// The panel's clock (tests move it by hand).
public protocol ClockSource: Sendable {
    var clock: any PanelClock { get }
}

extension PanelStore: UpstreamQueue, ProviderRecords, PeriodicJobs, ClockSource {}
