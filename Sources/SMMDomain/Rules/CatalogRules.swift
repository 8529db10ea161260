/// A service as the operator may put it on sale: every field checked.
public struct NewService: Sendable, Hashable {
    public var name: String
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
    public var sort: Int64

    public init(name: String, categoryName: String, type: ServiceType, rate: Money, min: Int64, max: Int64, refill: Bool,
                refillDays: Int, cancel: Bool, dripFeed: Bool, description: String, sort: Int64) {
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

/// What a catalog may hold: names, terms, and the services imported from a provider.
public enum CatalogRules {
    /// Longest category and service names and descriptions, in characters.
    public static let maxCategoryName = 200
    public static let maxServiceName = 500
    public static let maxDescription = 5000

    /// A category's name as stored: trimmed, 1 to `maxCategoryName` characters.
    public static func categoryName(_ name: String) throws -> String {
        let clean = name.trimmingSpaces()
        guard !clean.isEmpty, clean.count <= maxCategoryName else { throw PanelError.rejected(.categoryNameLength(max: maxCategoryName)) }
        return clean
    }

    /// A draft made whole: a name, a category, and terms that `ServiceTerms` accepts.
    public static func newService(_ draft: ServiceDraft) throws -> NewService {
        guard let name = draft.name?.trimmingSpaces(), !name.isEmpty, name.count <= maxServiceName else {
            throw PanelError.rejected(.serviceNeedsName(max: maxServiceName))
        }
        guard let categoryName = draft.categoryName?.trimmingSpaces(), !categoryName.isEmpty else {
            throw PanelError.rejected(.serviceNeedsCategory)
        }
        guard let type = draft.type, let rate = draft.rate, let min = draft.min, let max = draft.max else {
            throw PanelError.rejected(.serviceNeedsTerms)
        }
        let refillDays = draft.refillDays ?? 30
        try ServiceTerms.validateDefinition(rate: rate, min: min, max: max, refillDays: refillDays)
        return NewService(name: name, categoryName: categoryName, type: type, rate: rate, min: min, max: max,
                          refill: draft.refill ?? false, refillDays: refillDays, cancel: draft.cancel ?? false,
                          dripFeed: draft.dripFeed ?? false, description: draft.description ?? "", sort: draft.sort ?? 0)
    }

    /// The service with what the draft sets changed and the rest kept (a new category, which
    /// needs the database, is the draft's `categoryName`).
    public static func edited(_ current: Service, by draft: ServiceDraft) throws -> Service {
        var service = current
        if let name = draft.name?.trimmingSpaces() {
            guard !name.isEmpty, name.count <= maxServiceName else { throw PanelError.rejected(.serviceNameLength(max: maxServiceName)) }
            service.name = name
        }
        if let type = draft.type { service.type = type }
        if let rate = draft.rate { service.rate = rate }
        if let min = draft.min { service.min = min }
        if let max = draft.max { service.max = max }
        if let refill = draft.refill { service.refill = refill }
        if let days = draft.refillDays { service.refillDays = days }
        if let cancel = draft.cancel { service.cancel = cancel }
        if let dripFeed = draft.dripFeed { service.dripFeed = dripFeed }
        if let description = draft.description { service.description = description }
        if let sort = draft.sort { service.sort = sort }
        try ServiceTerms.validateDefinition(rate: service.rate, min: service.min, max: service.max, refillDays: service.refillDays)
        return service
    }

    /// The local service sold from an upstream one: its rate with `markup` percent on top,
    /// its limits made sane, over-long texts cut (a provider's catalog is not ours to refuse),
    /// then checked as any other new service.
    public static func importedService(_ entry: UpstreamCatalogEntry, type: ServiceType, categoryName: String,
                                       markup: Money) throws -> NewService {
        guard let price = Pricing.markedUp(entry.rate, percent: markup) else { throw PanelError.rejected(.markupRange) }
        let (min, max) = CatalogSync.clampLimits(min: entry.min, max: entry.max)
        let name = String(entry.name.trimmingSpaces().prefix(maxServiceName)).isEmpty ? "Service \(entry.id)" : String(entry.name.prefix(maxServiceName))
        return try newService(ServiceDraft(name: name, categoryName: String(categoryName.prefix(maxCategoryName)), type: type, rate: price,
                                           min: min, max: max, refill: entry.refill, refillDays: 30, cancel: entry.cancel,
                                           dripFeed: entry.dripFeed, description: String(entry.description.prefix(maxDescription))))
    }

    /// A customer's own rate for a service (nil removes it).
    public static func customRate(_ rate: Money?) throws -> Money? {
        if let rate, rate < .zero { throw PanelError.rejected(.negativeRate) }
        return rate
    }
}
