/// What the domain needs to know of a service to validate and price an order.
public struct ServiceTerms: Sendable, Hashable {
    public var id: ServiceID
    public var type: ServiceType
    /// Price per 1000 (or per package for flat types), already the customer's own rate.
    public var rate: Money
    public var min: Int64
    public var max: Int64
    public var dripFeed: Bool
    public var refill: Bool
    public var refillDays: Int
    public var cancel: Bool

    public init(id: ServiceID, type: ServiceType, rate: Money, min: Int64, max: Int64,
                dripFeed: Bool = false, refill: Bool = false, refillDays: Int = 30, cancel: Bool = false) {
        self.id = id
        self.type = type
        self.rate = rate
        self.min = min
        self.max = max
        self.dripFeed = dripFeed
        self.refill = refill
        self.refillDays = refillDays
        self.cancel = cancel
    }

    /// Checks an operator's definition of a service.
    public static func validateDefinition(rate: Money, min: Int64, max: Int64, refillDays: Int) throws(PanelError) {
        guard rate.minorUnits >= 0 else { throw .rejected(.negativeRate) }
        guard min >= 1 else { throw .rejected(.minBelowOne) }
        guard max >= min else { throw .rejected(.maxBelowMin) }
        guard refillDays >= 0, refillDays <= 3650 else { throw .rejected(.refillDaysRange(max: 3650)) }
    }
}
