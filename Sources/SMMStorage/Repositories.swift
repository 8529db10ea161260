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
