import SMMDomain
import SMMStorage

/// The operator's providers, and the orders held for them.
public struct ProviderService: Sendable {
    let repository: any ProviderAdministration

    public init(repository: any ProviderAdministration) {
        self.repository = repository
    }

    /// Adds a provider; its address and key are checked against the provider by the caller.
    public func create(_ new: NewProvider) async throws -> Provider {
        try await repository.createProvider(new)
    }

    /// Changes the operator's exceptions and call limit; nil keeps a setting, `.some(nil)`
    /// returns the call limit to the default.
    public func updateOptions(id: ProviderID, allowHTTP: Bool? = nil, allowPrivateAddress: Bool? = nil, concurrency: Int?? = nil) async throws {
        if case .some(let value) = concurrency { try NewProvider.checkConcurrency(value) }
        try await repository.updateProviderOptions(id: id, allowHTTP: allowHTTP, allowPrivateAddress: allowPrivateAddress, concurrency: concurrency)
    }

    /// Disabling a provider stops every call to it; its orders wait, queued.
    public func setEnabled(id: ProviderID, _ enabled: Bool) async throws {
        try await repository.setProviderEnabled(id: id, enabled)
    }

    public func setAlert(id: ProviderID, _ alert: String) async throws {
        try await repository.setProviderAlert(id: id, alert)
    }

    public func recordBalance(id: ProviderID, balance: String, currency: String) async throws {
        try await repository.recordProviderBalance(id: id, balance: balance, currency: currency)
    }

    /// The operator says the provider's trouble is over: its alert goes, and the orders held
    /// for that trouble (their reason carries `marker`) are queued again. Returns how many.
    public func resume(id: ProviderID, heldWith marker: String) async throws -> Int {
        try await repository.setProviderAlert(id: id, "")
        return try await repository.resendHeld(providerID: id, reasonContaining: marker)
    }

    /// Queues a held order again: the operator checked that the provider does not have it.
    public func resendHeld(orderID: OrderID) async throws {
        try await repository.resendHeld(orderID: orderID)
    }

    /// Records the provider's id of a held order: the operator found it there.
    public func linkUpstreamOrder(orderID: OrderID, upstreamOrderID: String) async throws {
        try await repository.linkUpstreamOrder(orderID: orderID, upstreamOrderID: upstreamOrderID)
    }
}
