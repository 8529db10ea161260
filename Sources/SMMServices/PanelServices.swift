import SMMDomain
import SMMStorage

/// What a customer may ask of an order once placed: to cancel it, to refill it. The domain's
/// rules decide (`CustomerCancel`, `OrderLifecycle.canRefill`) on the rows the repository locks.
public struct OrderRequestService: Sendable {
    let repository: any OrderRequests

    public init(repository: any OrderRequests) {
        self.repository = repository
    }

    /// The order, canceled with its whole charge back, or unchanged while its provider is
    /// asked to cancel it.
    public func cancel(orderID: OrderID, userID: UserID) async throws -> Order {
        try await repository.cancelOrder(id: orderID, userID: userID)
    }

    public func requestRefill(orderID: OrderID, userID: UserID) async throws -> Refill {
        try await repository.createRefill(orderID: orderID, userID: userID)
    }
}

/// Orders and refills as an operator changes them (the worker's drip-feed runs too).
public struct OrderAdminService: Sendable {
    let repository: any OrderAdministration

    public init(repository: any OrderAdministration) {
        self.repository = repository
    }

    /// One step of the order's state machine, with the refund it owes.
    @discardableResult
    public func update(orderID: OrderID, _ change: OrderChange) async throws -> Order {
        try await repository.updateOrder(id: orderID, change)
    }

    @discardableResult
    public func updateRefill(id: RefillID, status: RefillStatus) async throws -> Refill {
        try await repository.updateRefill(id: id, status: status)
    }

    /// Starts the drip-feed runs that are due, at most `limit`; returns how many.
    @discardableResult
    public func startDueDripFeedRuns(limit: Int = 100) async throws -> Int {
        try await repository.startDueDripFeedRuns(limit: limit)
    }
}

/// Every use case of the panel, over one set of repositories: what the web pages and the
/// operator's commands call to change anything.
public struct PanelServices: Sendable {
    public let orders: OrderService
    public let requests: OrderRequestService
    public let orderAdmin: OrderAdminService
    public let catalog: CatalogService
    public let accounts: AccountService
    public let ledger: LedgerService
    public let payments: PaymentService
    public let providers: ProviderService

    public typealias Repositories = OrderPlacementRepository & OrderRequests & OrderAdministration & CatalogRepository & AccountRepository
        & LedgerRepository & PaymentRepository & ProviderAdministration

    public init(_ repositories: any Repositories) {
        orders = OrderService(repository: repositories)
        requests = OrderRequestService(repository: repositories)
        orderAdmin = OrderAdminService(repository: repositories)
        catalog = CatalogService(repository: repositories)
        accounts = AccountService(repository: repositories)
        ledger = LedgerService(repository: repositories)
        payments = PaymentService(repository: repositories)
        providers = ProviderService(repository: repositories)
    }
}
