/// One service of an upstream provider's catalog, read from its `services` answer.
public struct UpstreamCatalogEntry: Sendable, Hashable {
    /// The upstream id, kept as text: some panels send numbers, some strings.
    public var id: String
    public var name: String
    /// The upstream's type label, as sent.
    public var typeLabel: String
    public var category: String
    /// The upstream's rate: its price to us (per 1000, or per package for flat types).
    public var rate: Money
    public var min: Int64
    public var max: Int64
    public var refill: Bool
    public var cancel: Bool
    public var dripFeed: Bool
    public var description: String
    /// Whether the catalog says anything about refill and cancel: many panels' catalogs omit
    /// them, and an omission is no reason to undo what the operator turned on.
    public var statesRefill: Bool
    public var statesCancel: Bool

    public init(id: String, name: String, typeLabel: String, category: String, rate: Money, min: Int64, max: Int64,
                refill: Bool, cancel: Bool, dripFeed: Bool, description: String, statesRefill: Bool = true, statesCancel: Bool = true) {
        self.statesRefill = statesRefill
        self.statesCancel = statesCancel
        self.id = id
        self.name = name
        self.typeLabel = typeLabel
        self.category = category
        self.rate = rate
        self.min = min
        self.max = max
        self.refill = refill
        self.cancel = cancel
        self.dripFeed = dripFeed
        self.description = description
    }

    /// Our type for the upstream's label; nil for a type this panel does not sell.
    public var type: ServiceType? { ServiceType(label: typeLabel) }
}

/// What a local service sold from an upstream one currently says, as catalog sync compares it.
public struct MappedService: Sendable, Hashable {
    public var serviceID: ServiceID
    public var upstreamID: String
    public var type: ServiceType
    public var rate: Money
    public var cost: Money
    /// Markup in minor units of a percent (`Money` of 25 = 25 %); nil: priced by hand.
    public var markup: Money?
    public var min: Int64
    public var max: Int64
    public var refill: Bool
    public var cancel: Bool
    public var dripFeed: Bool
    public var enabled: Bool
    /// Disabled by a previous sync because the upstream service had vanished.
    public var vanished: Bool

    public init(serviceID: ServiceID, upstreamID: String, type: ServiceType, rate: Money, cost: Money, markup: Money?,
                min: Int64, max: Int64, refill: Bool, cancel: Bool, dripFeed: Bool, enabled: Bool, vanished: Bool) {
        self.serviceID = serviceID
        self.upstreamID = upstreamID
        self.type = type
        self.rate = rate
        self.cost = cost
        self.markup = markup
        self.min = min
        self.max = max
        self.refill = refill
        self.cancel = cancel
        self.dripFeed = dripFeed
        self.enabled = enabled
        self.vanished = vanished
    }
}

/// The changes a sync makes to one local service, with a line for the operator per change.
public struct CatalogUpdate: Sendable, Hashable {
    public var serviceID: ServiceID
    public var after: MappedService
    public var changes: [String]
}

/// Compares an upstream catalog with the local services sold from it.
public enum CatalogSync {
    /// Limits that fit our storage: panels announce max up to 2147483647.
    public static func clampLimits(min: Int64, max: Int64) -> (Int64, Int64) {
        let low = Swift.max(min, 1)
        return (low, Swift.max(max, low))
    }

    /// For every mapped service, what changes: cost; price when it follows a markup; limits;
    /// refill, cancel and drip-feed flags (refill and cancel only where the catalog states them:
    /// the operator's choice stands otherwise); disabled when the upstream service vanished (or
    /// changed to a type this panel cannot sell), enabled again when it comes back.
    public static func plan(upstream: [UpstreamCatalogEntry], mapped: [MappedService]) -> [CatalogUpdate] {
        let byID = Dictionary(upstream.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var updates: [CatalogUpdate] = []
        for local in mapped {
            var after = local
            var changes: [String] = []
            guard let entry = byID[local.upstreamID], let type = entry.type else {
                // A service the operator disabled is left alone: marked vanished, it would be
                // enabled again when the upstream service comes back.
                if local.enabled {
                    after.enabled = false
                    after.vanished = true
                    changes.append("disabled: upstream service \(local.upstreamID) is gone")
                }
                if !changes.isEmpty { updates.append(CatalogUpdate(serviceID: local.serviceID, after: after, changes: changes)) }
                continue
            }
            if local.vanished {
                after.vanished = false
                after.enabled = true
                changes.append("enabled: upstream service \(local.upstreamID) is back")
            }
            if type != local.type {
                after.type = type
                changes.append("type \(local.type.rawValue) → \(type.rawValue)")
            }
            if entry.rate != local.cost {
                after.cost = entry.rate
                changes.append("cost \(local.cost.rateString) → \(entry.rate.rateString)")
            }
            if let markup = local.markup, let price = Pricing.markedUp(after.cost, percent: markup), price != local.rate {
                after.rate = price
                changes.append("rate \(local.rate.rateString) → \(price.rateString)")
            }
            let (min, max) = clampLimits(min: entry.min, max: entry.max)
            if min != local.min { after.min = min; changes.append("min \(local.min) → \(min)") }
            if max != local.max { after.max = max; changes.append("max \(local.max) → \(max)") }
            if entry.statesRefill, entry.refill != local.refill {
                after.refill = entry.refill
                changes.append("refill \(local.refill) → \(entry.refill)")
            }
            if entry.statesCancel, entry.cancel != local.cancel {
                after.cancel = entry.cancel
                changes.append("cancel \(local.cancel) → \(entry.cancel)")
            }
            if entry.dripFeed != local.dripFeed {
                after.dripFeed = entry.dripFeed
                changes.append("dripfeed \(local.dripFeed) → \(entry.dripFeed)")
            }
            if !changes.isEmpty { updates.append(CatalogUpdate(serviceID: local.serviceID, after: after, changes: changes)) }
        }
        return updates
    }
}
