import SMMDomain
import SMMServices
import SMMStorage

/// The use cases the tests set their panels up with, run through the services (the path the
/// API, the pages and the commands take), so the domain's rules check every input.
extension PanelStore {
    var services: PanelServices { PanelServices(self) }

    func placeOrder(user: User, service: Service, fields: [String: String], requestID: String? = nil) async throws -> Order {
        try await placeOrder(user: user, serviceID: service.id, fields: fields, requestID: requestID)
    }

    func placeOrder(user: User, serviceID: ServiceID, fields: [String: String], requestID: String? = nil) async throws -> Order {
        try await services.orders.place(user: user, serviceID: serviceID, fields: fields, requestID: requestID)
    }

    func createService(_ draft: ServiceDraft) async throws -> Service {
        try await services.catalog.createService(draft)
    }

    func updateService(id: ServiceID, _ draft: ServiceDraft) async throws -> Service {
        try await services.catalog.updateService(id: id, draft)
    }

    func importServices(_ drafts: [ServiceDraft]) async throws {
        try await importServices(try drafts.map(CatalogRules.newService))
    }

    func importUpstreamService(providerID: ProviderID, entry: UpstreamCatalogEntry, type: ServiceType, categoryName: String,
                               markup: Money) async throws -> Service? {
        let new = try CatalogRules.importedService(entry, type: type, categoryName: categoryName, markup: markup)
        return try await importUpstreamService(providerID: providerID, entry: entry, as: new, markup: markup)
    }

    func createKey(userID: UserID, name: String) async throws -> (APIKeyInfo, String) {
        try await services.accounts.createKey(userID: userID, name: name)
    }

    func createPaymentRequest(userID: UserID, method: String, amount: Money, reference: String) async throws -> PaymentRequest {
        try await services.payments.file(userID: userID, method: method, amount: amount, reference: reference)
    }

    func createProvider(name: String, url: String, apiKey: String, honorsRequestID: Bool, statusCodes: [Int: OrderStatus] = [:],
                        allowHTTP: Bool = false, allowPrivateAddress: Bool = false, concurrency: Int? = nil) async throws -> Provider {
        try await services.providers.create(try NewProvider(name: name, url: url, apiKey: apiKey, honorsRequestID: honorsRequestID,
                                                            statusCodes: statusCodes, allowHTTP: allowHTTP,
                                                            allowPrivateAddress: allowPrivateAddress, concurrency: concurrency))
    }
}
