public struct User: Sendable, Hashable {
    public var id: UserID
    public var username: String
    public var isAdmin: Bool
    public var disabled: Bool
    public var balance: Money
    public var createdAt: Int64
    public var passwordHash: String?

    public init(id: UserID, username: String, isAdmin: Bool, disabled: Bool, balance: Money, createdAt: Int64, passwordHash: String? = nil) {
        self.id = id
        self.username = username
        self.isAdmin = isAdmin
        self.disabled = disabled
        self.balance = balance
        self.createdAt = createdAt
        self.passwordHash = passwordHash
    }
}

public struct Category: Sendable, Hashable {
    public var id: CategoryID
    public var name: String
    public var sort: Int64

    public init(id: CategoryID, name: String, sort: Int64) {
        self.id = id
        self.name = name
        self.sort = sort
    }
}

public struct Service: Sendable, Hashable {
    public var id: ServiceID
    public var name: String
    public var categoryID: CategoryID
    public var categoryName: String
    public var type: ServiceType
    public var rate: Money
    public var min: Int64
    public var max: Int64
    public var refill: Bool
    public var refillDays: Int
    public var cancel: Bool
    public var dripFeed: Bool
    public var description: String
    public var enabled: Bool
    public var sort: Int64

    public var terms: ServiceTerms {
        ServiceTerms(id: id, type: type, rate: rate, min: min, max: max, dripFeed: dripFeed,
                     refill: refill, refillDays: refillDays, cancel: cancel)
    }

    public init(id: ServiceID, name: String, categoryID: CategoryID, categoryName: String, type: ServiceType, rate: Money, min: Int64, max: Int64, refill: Bool, refillDays: Int, cancel: Bool, dripFeed: Bool, description: String, enabled: Bool, sort: Int64) {
        self.id = id
        self.name = name
        self.categoryID = categoryID
        self.categoryName = categoryName
        self.type = type
        self.rate = rate
        self.min = min
        self.max = max
        self.refill = refill
        self.refillDays = refillDays
        self.cancel = cancel
        self.dripFeed = dripFeed
        self.description = description
        self.enabled = enabled
        self.sort = sort
    }
}

extension Service {
    /// The service at a customer's own rates (by service id), where the operator set one.
    public func priced(with rates: [ServiceID: Money]) -> Service {
        var priced = self
        if let rate = rates[id] { priced.rate = rate }
        return priced
    }
}

/// What an operator sets when creating a service; `nil` in an update means "keep".
public struct ServiceDraft: Sendable, Hashable {
    public var name: String?
    public var categoryName: String?
    public var type: ServiceType?
    public var rate: Money?
    public var min: Int64?
    public var max: Int64?
    public var refill: Bool?
    public var refillDays: Int?
    public var cancel: Bool?
    public var dripFeed: Bool?
    public var description: String?
    public var sort: Int64?

    public init(name: String? = nil, categoryName: String? = nil, type: ServiceType? = nil, rate: Money? = nil,
                min: Int64? = nil, max: Int64? = nil, refill: Bool? = nil, refillDays: Int? = nil,
                cancel: Bool? = nil, dripFeed: Bool? = nil, description: String? = nil, sort: Int64? = nil) {
        self.name = name
        self.categoryName = categoryName
        self.type = type
        self.rate = rate
        self.min = min
        self.max = max
        self.refill = refill
        self.refillDays = refillDays
        self.cancel = cancel
        self.dripFeed = dripFeed
        self.description = description
        self.sort = sort
    }
}

public struct Order: Sendable, Hashable {
    public var id: OrderID
    public var userID: UserID
    public var serviceID: ServiceID
    public var type: ServiceType
    public var link: String
    public var quantity: Int64
    public var charge: Money
    public var startCount: Int64
    public var remains: Int64
    public var status: OrderStatus
    public var fields: [String: String]
    public var parentID: OrderID?
    public var runs: Int64?
    public var intervalMinutes: Int64?
    public var runsDone: Int64
    public var nextRunAt: Int64?
    public var requestID: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var completedAt: Int64?

    public var isDripFeedParent: Bool { runs != nil }
    public var isSubscription: Bool { type == .subscriptions }

    public var state: OrderState {
        OrderState(status: status, quantity: quantity, charge: charge, startCount: startCount,
                   remains: remains, isSubscription: isSubscription)
    }

    public init(id: OrderID, userID: UserID, serviceID: ServiceID, type: ServiceType, link: String, quantity: Int64, charge: Money, startCount: Int64, remains: Int64, status: OrderStatus, fields: [String: String], parentID: OrderID? = nil, runs: Int64? = nil, intervalMinutes: Int64? = nil, runsDone: Int64, nextRunAt: Int64? = nil, requestID: String? = nil, createdAt: Int64, updatedAt: Int64, completedAt: Int64? = nil) {
        self.id = id
        self.userID = userID
        self.serviceID = serviceID
        self.type = type
        self.link = link
        self.quantity = quantity
        self.charge = charge
        self.startCount = startCount
        self.remains = remains
        self.status = status
        self.fields = fields
        self.parentID = parentID
        self.runs = runs
        self.intervalMinutes = intervalMinutes
        self.runsDone = runsDone
        self.nextRunAt = nextRunAt
        self.requestID = requestID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.completedAt = completedAt
    }
}

public struct Refill: Sendable, Hashable {
    public var id: RefillID
    public var orderID: OrderID
    public var userID: UserID
    public var status: RefillStatus
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: RefillID, orderID: OrderID, userID: UserID, status: RefillStatus, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.orderID = orderID
        self.userID = userID
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What the `status` action shows of an order.
public struct OrderStatusView: Sendable, Hashable {
    public var id: OrderID
    public var type: ServiceType
    public var charge: Money
    public var startCount: Int64
    public var remains: Int64
    public var status: OrderStatus
    /// Set on drip-feed parents.
    public var runs: Int64?
    /// Set on subscriptions (empty when none was given).
    public var expiry: String?

    public var isDripFeedParent: Bool { runs != nil }
    public var isSubscription: Bool { type == .subscriptions }

    public init(id: OrderID, type: ServiceType, charge: Money, startCount: Int64, remains: Int64, status: OrderStatus, runs: Int64? = nil, expiry: String? = nil) {
        self.id = id
        self.type = type
        self.charge = charge
        self.startCount = startCount
        self.remains = remains
        self.status = status
        self.runs = runs
        self.expiry = expiry
    }
}
