import SMMDomain
import SMMStorage

/// Placing orders: the domain's rules decide, the repository records.
public struct OrderService: Sendable {
    let repository: any OrderPlacementRepository

    public init(repository: any OrderPlacementRepository) {
        self.repository = repository
    }

    /// Places an order from the fields a customer sent (API v2 `add` or the order form). With a
    /// `requestID`, a repeat returns the first order before the service's state or the fields
    /// are checked: they may have changed since. The terms are read afresh, at the customer's
    /// own rate if the operator set one; an unknown or disabled service is refused as unknown.
    public func place(user: User, serviceID: ServiceID, fields: [String: String], requestID: String? = nil) async throws -> Order {
        guard let (terms, enabled) = try await repository.orderTerms(serviceID: serviceID, pricedFor: user.id) else {
            throw PanelError.incorrectServiceID
        }
        let requestID = requestID?.trimmingSpaces()
        if let requestID {
            guard !requestID.isEmpty, requestID.count <= OrderLimits.maxRequestIDLength, !requestID.containsControlCharacter else {
                throw PanelError.incorrectField("request_id")
            }
            if let first = try await repository.order(userID: user.id, requestID: requestID) { return first }
        }
        guard enabled else { throw PanelError.incorrectServiceID }
        let new = try OrderValidator.validate(fields, for: terms)
        return try await repository.recordNewOrder(new, userID: user.id, requestID: requestID)
    }
}
