/// The id of one row of a kind (`UserID`, `OrderID`, …): an `Int64` that only goes where an id
/// of that kind is expected, so an order's id cannot be passed as its user's. Written and read
/// as the bare number (JSON, SQL, text).
///
/// Inlinable: ids are hashed and compared on hot paths (the 100-id `status`) in other modules,
/// where an unspecialized generic call would cost more than the work.
public struct EntityID<Entity>: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible, ExpressibleByIntegerLiteral {
    public let rawValue: Int64

    @inlinable
    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// An id as a request writes it, read by `IDList.parseID`'s rule (digits, in `IDList.idRange`).
    public init?(_ description: String) {
        guard let value = IDList.parseNumber(description) else { return nil }
        rawValue = value
    }

    @inlinable
    public init(integerLiteral value: Int64) {
        rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    @inlinable
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }

    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

public typealias UserID = EntityID<User>
public typealias OrderID = EntityID<Order>
public typealias ServiceID = EntityID<Service>
public typealias CategoryID = EntityID<Category>
public typealias RefillID = EntityID<Refill>
public typealias ProviderID = EntityID<Provider>
public typealias PaymentRequestID = EntityID<PaymentRequest>
public typealias APIKeyID = EntityID<APIKeyInfo>
public typealias LedgerEntryID = EntityID<LedgerEntry>
public typealias AuditEntryID = EntityID<AuditEntry>
