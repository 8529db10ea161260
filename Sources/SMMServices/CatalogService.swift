import SMMDomain
import SMMStorage

/// The operator's catalog: categories, services, customers' own rates. The domain's rules
/// check every input; the repository writes it.
public struct CatalogService: Sendable {
    let repository: any CatalogRepository

    public init(repository: any CatalogRepository) {
        self.repository = repository
    }

    public func createCategory(name: String, sort: Int64 = 0) async throws -> Category {
        try await repository.createCategory(name: try CatalogRules.categoryName(name), sort: sort)
    }

    /// Renames or reorders a category.
    public func updateCategory(id: CategoryID, name: String, sort: Int64) async throws {
        try await repository.updateCategory(id: id, name: try CatalogRules.categoryName(name), sort: sort)
    }

    public func createService(_ draft: ServiceDraft) async throws -> Service {
        try await repository.createService(try CatalogRules.newService(draft))
    }

    /// Changes what the draft sets and keeps the rest (a blank category name keeps the category).
    public func updateService(id: ServiceID, _ draft: ServiceDraft) async throws -> Service {
        let category = draft.categoryName?.trimmingSpaces()
        return try await repository.updateService(id: id, categoryName: category?.isEmpty == false ? category : nil) { current in
            try CatalogRules.edited(current, by: draft)
        }
    }

    public func setServiceEnabled(id: ServiceID, _ enabled: Bool) async throws {
        try await repository.setServiceEnabled(id: id, enabled)
    }

    /// A price that follows the provider's cost with this markup, or (nil) the price as set.
    public func setServiceMarkup(serviceID: ServiceID, markup: Money?) async throws {
        try await repository.setServiceMarkup(serviceID: serviceID, markup: markup)
    }

    /// Sets (or with nil removes) a customer's own rate for a service.
    public func setCustomRate(userID: UserID, serviceID: ServiceID, rate: Money?) async throws {
        try await repository.setCustomRate(userID: userID, serviceID: serviceID, rate: try CatalogRules.customRate(rate))
    }
}
