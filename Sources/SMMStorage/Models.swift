import SMMDomain

public struct User: Sendable, Hashable {
    public var id: Int64
    public var username: String
    public var isAdmin: Bool
    public var disabled: Bool
    public var balance: Money
    public var createdAt: Int64
    public var passwordHash: String?
}

public struct Category: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var sort: Int64
}

public struct Service: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var categoryID: Int64
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
    public var id: Int64
    public var userID: Int64
    public var serviceID: Int64
    public var type: ServiceType
    public var link: String
    public var quantity: Int64
    public var charge: Money
    public var startCount: Int64
    public var remains: Int64
    public var status: OrderStatus
    public var fields: [String: String]
    public var parentID: Int64?
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
}

public struct Refill: Sendable, Hashable {
    public var id: Int64
    public var orderID: Int64
    public var userID: Int64
    public var status: RefillStatus
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// Why a ledger row moved money.
public enum LedgerKind: String, Sendable {
    case deposit, deduction, charge, refund
}

/// What the `status` action shows of an order.
public struct OrderStatusView: Sendable, Hashable {
    public var id: Int64
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
}
