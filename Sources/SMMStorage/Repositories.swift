import SMMDomain

/// What placing an order reads and writes. `PanelStore` is the SQL implementation; services
/// see only this.
public protocol OrderPlacementRepository: Sendable {
    /// The service's terms at this customer's rate, and whether it is on sale; nil: no such service.
    func orderTerms(serviceID: Int64, pricedFor userID: Int64) async throws -> (ServiceTerms, enabled: Bool)?
    /// The customer's order placed with `requestID`, if any.
    func order(userID: Int64, requestID: String) async throws -> Order?
    /// Charges and writes a validated order in one transaction (see `PanelStore.recordNewOrder`).
    func recordNewOrder(_ new: NewOrder, userID: Int64, requestID: String?) async throws -> Order
}

/// Accounts as API calls find them.
public protocol AccountReading: Sendable {
    /// The enabled user holding the key with this hash.
    func user(apiKeyHash: String) async throws -> User?
    func balance(userID: Int64) async throws -> Money?
}

/// The catalog as customers see it.
public protocol CatalogReading: Sendable {
    func services(includeDisabled: Bool) async throws -> [Service]
    /// The customer's own rates by service id.
    func customRates(userID: Int64) async throws -> [Int64: Money]
}

/// A customer's orders and refills, read (ids of others are absent from every answer).
public protocol OrderReading: Sendable {
    func orders(ids: [Int64], userID: Int64) async throws -> [Int64: Order]
    func orderStatuses(ids: [Int64], userID: Int64) async throws -> [Int64: OrderStatusView]
    func childOrderIDs(parentIDs: [Int64]) async throws -> [Int64: [Int64]]
    func refills(ids: [Int64], userID: Int64) async throws -> [Int64: Refill]
}

/// What a customer may ask of an order once placed.
public protocol OrderRequests: Sendable {
    func createRefill(orderID: Int64, userID: Int64) async throws -> Refill
    func cancelOrder(id: Int64, userID: Int64) async throws -> Order
}

/// The counters of changes this process made, for caches that must show them at once.
public protocol ChangeSource: Sendable {
    var changes: LocalChanges { get }
}

extension PanelStore: OrderPlacementRepository, AccountReading, CatalogReading, OrderReading, OrderRequests, ChangeSource {}

/// The upstream queue: orders, cancels and refills on their way to providers, claimed by one
/// sender at a time, and the reports that come back.
public protocol UpstreamQueue: Sendable {
    func claimDispatch(providerID: Int64?, limit: Int, lease: Int64) async throws -> [DispatchJob]
    func renewClaim(orderID: Int64, attempt: Int64, lease: Int64) async throws -> Bool
    func releaseClaim(orderID: Int64, attempt: Int64) async throws
    func recordSent(orderID: Int64, upstreamOrderID: String, response: String) async throws -> Bool
    func recordRetry(orderID: Int64, attempt: Int64, reason: String, response: String, retryAt: Int64,
                     mayExistUpstream: Bool) async throws
    func recordHeld(orderID: Int64, attempt: Int64, reason: String, response: String, mayExistUpstream: Bool) async throws
    @discardableResult
    func recordFailed(orderID: Int64, attempt: Int64, reason: String, response: String) async throws -> Order?

    func providersDueForSync(checkedBefore: Int64) async throws -> [Int64]
    func claimSync(providerID: Int64, checkedBefore: Int64, limit: Int) async throws -> [SyncItem]
    func applyUpstreamReports(_ reports: [ReportedOrder]) async throws -> [ReportedChange]

    func providersWithCancelRequests() async throws -> [Int64]
    func claimCancels(providerID: Int64, limit: Int, lease: Int64) async throws -> [CancelJob]
    func recordCancel(orderID: Int64, outcome: CancelOutcome, retryAt: Int64?) async throws

    func claimRefillSends(providerID: Int64?, limit: Int) async throws -> [RefillJob]
    func releaseRefillClaims(_ jobs: [RefillJob]) async throws
    func recordRefillSent(refillID: Int64, upstreamRefillID: String) async throws
    func recordRefillRetry(refillID: Int64, reason: String, retryAt: Int64) async throws
    func recordRefillRefused(refillID: Int64, reason: String) async throws
    func providersDueForRefillSync(checkedBefore: Int64) async throws -> [Int64]
    func claimRefillSync(providerID: Int64, checkedBefore: Int64, limit: Int) async throws -> [RefillJob]
    func applyUpstreamRefillStatus(refillID: Int64, label: String) async throws

    /// Orders waiting for the operator, and the oldest status check due (seconds), for metrics.
    func attentionCount() async throws -> Int
    func syncLag() async throws -> Int64
}

/// Providers and the services imported from them, as the engine keeps them up to date.
public protocol ProviderRecords: Sendable {
    func providers() async throws -> [Provider]
    func recordProviderBalance(id: Int64, balance: String, currency: String) async throws
    func forgetProviderBalance(id: Int64) async throws
    func setProviderAlert(id: Int64, _ alert: String) async throws
    func importUpstreamService(providerID: Int64, entry: UpstreamCatalogEntry, as new: NewService, markup: Money) async throws -> Service?
    func mappedServices(providerID: Int64) async throws -> [MappedService]
    func applyCatalogUpdate(_ update: CatalogUpdate) async throws
    func disableServicesGoneUpstream(providerID: Int64, upstreamService: String) async throws -> [Int64]
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
