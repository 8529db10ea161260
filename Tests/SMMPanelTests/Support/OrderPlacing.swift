import SMMDomain
import SMMServices
import SMMStorage

extension PanelStore {
    /// Places an order through `OrderService`, the path the API's `add` and the order form take.
    func placeOrder(user: User, service: Service, fields: [String: String], requestID: String? = nil) async throws -> Order {
        try await placeOrder(user: user, serviceID: service.id, fields: fields, requestID: requestID)
    }

    func placeOrder(user: User, serviceID: Int64, fields: [String: String], requestID: String? = nil) async throws -> Order {
        try await OrderService(repository: self).place(user: user, serviceID: serviceID, fields: fields, requestID: requestID)
    }
}
