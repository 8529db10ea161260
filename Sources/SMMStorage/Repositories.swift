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

extension PanelStore: OrderPlacementRepository {}
