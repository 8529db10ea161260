import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    // MARK: Providers

    /// A new provider. `allowHTTP`, `allowPrivateAddress` and `concurrency` are the operator's
    /// exceptions to the outbound rules and its call limit (see `Provider`).
    public func createProvider(_ new: NewProvider) async throws -> Provider {
        let (name, url, apiKey, honorsRequestID, allowHTTP, allowPrivateAddress, concurrency) =
            (new.name, new.url, new.apiKey, new.honorsRequestID, new.allowHTTP, new.allowPrivateAddress, new.concurrency)
        let now = clock.now()
        let codes = UpstreamDialect.formatStatusCodes(new.statusCodes)
        let backend = self.backend
        do {
            let id: ProviderID = try await backend.transaction { db in
                try await db.raw("""
                    INSERT INTO providers (name, url, api_key, honors_request_id, status_codes, allow_http, allow_private_address,
                                           concurrency, created_at, updated_at)
                    VALUES (\(bind: name), \(bind: url), \(bind: apiKey), \(bind: honorsRequestID), \(bind: codes), \(bind: allowHTTP),
                            \(bind: allowPrivateAddress), \(bind: concurrency.map(Int64.init)), \(bind: now), \(bind: now))
                    RETURNING id
                    """).first()!.id("id")
            }
            return try await provider(id: id)!
        } catch where backend.uniqueViolation(in: error) != nil {
            throw PanelError.rejected(.providerExists(name: name))
        }
    }

    public func providers() async throws -> [Provider] {
        try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.provider) FROM providers p ORDER BY p.id").all().map { try $0.provider() }
        }
    }

    public func provider(id: ProviderID) async throws -> Provider? {
        try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.provider) FROM providers p WHERE p.id = \(bind: id)").first()?.provider()
        }
    }

    public func provider(named name: String) async throws -> Provider? {
        try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.provider) FROM providers p WHERE p.name = \(bind: name)").first()?.provider()
        }
    }

    /// Changes the operator's exceptions and call limit of a provider; nil leaves a setting as
    /// it is, `concurrency: .some(nil)` returns it to the default.
    public func updateProviderOptions(id: ProviderID, allowHTTP: Bool? = nil, allowPrivateAddress: Bool? = nil,
                                      concurrency: Int?? = nil) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            if let allowHTTP {
                try await db.raw("UPDATE providers SET allow_http = \(bind: allowHTTP), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
            }
            if let allowPrivateAddress {
                try await db.raw("""
                    UPDATE providers SET allow_private_address = \(bind: allowPrivateAddress), updated_at = \(bind: now) WHERE id = \(bind: id)
                    """).run()
            }
            if let concurrency {
                try await db.raw("""
                    UPDATE providers SET concurrency = \(bind: concurrency.map(Int64.init)), updated_at = \(bind: now) WHERE id = \(bind: id)
                    """).run()
            }
        }
    }

    /// Disabling a provider stops every call to it: its orders wait, queued, until it is enabled.
    public func setProviderEnabled(id: ProviderID, _ enabled: Bool) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("UPDATE providers SET enabled = \(bind: enabled), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
        }
    }

    public func recordProviderBalance(id: ProviderID, balance: String, currency: String) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE providers SET balance = \(bind: String(balance.prefix(64))), currency = \(bind: String(currency.prefix(16))),
                    balance_checked_at = \(bind: now) WHERE id = \(bind: id)
                """).run()
        }
    }

    /// The provider refused to tell our balance (our key is refused): the last one seen is no
    /// longer shown as if it were live.
    public func forgetProviderBalance(id: ProviderID) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE providers SET balance = NULL, currency = NULL, balance_checked_at = \(bind: now) WHERE id = \(bind: id)
                """).run()
        }
    }

    /// Sets (or, with "", clears) the alert shown for a provider.
    public func setProviderAlert(id: ProviderID, _ alert: String) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE providers SET alert = \(bind: String(alert.prefix(1000))), updated_at = \(bind: now)
                WHERE id = \(bind: id) AND alert <> \(bind: alert)
                """).run()
        }
    }

    // MARK: Catalog mapping

    /// Creates a local service sold from an upstream one, in one transaction with its mapping.
    /// Returns nil when that upstream service is imported already.
    public func importUpstreamService(providerID: ProviderID, entry: UpstreamCatalogEntry, as new: NewService, markup: Money) async throws -> Service? {
        let now = clock.now()
        let backend = self.backend
        do {
            let id = try await transaction(noting: changes.catalog) { db -> ServiceID? in
                let known = try await db.raw("""
                    SELECT service_id FROM service_upstreams WHERE provider_id = \(bind: providerID) AND upstream_service = \(bind: entry.id)
                    """).first()
                if known != nil { return nil }
                let id = try await insertService(db, new, now: now)
                try await db.raw("""
                    INSERT INTO service_upstreams (service_id, provider_id, upstream_service, cost, markup, synced_at)
                    VALUES (\(bind: id), \(bind: providerID), \(bind: entry.id), \(bind: entry.rate.minorUnits), \(bind: markup.minorUnits),
                            \(bind: now))
                    """).run()
                return id
            }
            guard let id else { return nil }
            return try await service(id: id)
        } catch where backend.uniqueViolation(in: error) != nil {
            return nil
        }
    }

    /// The local services sold from a provider, as catalog sync compares them.
    public func mappedServices(providerID: ProviderID) async throws -> [MappedService] {
        try await backend.read { db in
            try await db.raw("""
                SELECT s.id, s.type, s.rate, s.min_quantity, s.max_quantity, s.refill, s.cancel, s.dripfeed, s.enabled,
                       m.upstream_service, m.cost, m.markup, m.vanished_at
                FROM service_upstreams m JOIN services s ON s.id = m.service_id
                WHERE m.provider_id = \(bind: providerID) ORDER BY s.id
                """).all().map { row in
                let label = try row.decode(column: "type", as: String.self)
                guard let type = ServiceType(rawValue: label) else { throw CorruptRow(description: "service type \(label)") }
                return MappedService(
                    serviceID: try row.id("id"),
                    upstreamID: try row.decode(column: "upstream_service", as: String.self),
                    type: type,
                    rate: Money(minorUnits: try row.decode(column: "rate", as: Int64.self)),
                    cost: Money(minorUnits: try row.decode(column: "cost", as: Int64.self)),
                    markup: try row.decode(column: "markup", as: Int64?.self).map(Money.init(minorUnits:)),
                    min: try row.decode(column: "min_quantity", as: Int64.self),
                    max: try row.decode(column: "max_quantity", as: Int64.self),
                    refill: try row.decode(column: "refill", as: Bool.self),
                    cancel: try row.decode(column: "cancel", as: Bool.self),
                    dripFeed: try row.decode(column: "dripfeed", as: Bool.self),
                    enabled: try row.decode(column: "enabled", as: Bool.self),
                    vanished: try row.decode(column: "vanished_at", as: Int64?.self) != nil)
            }
        }
    }

    /// Writes what catalog sync decided for one service, and stamps the mapping as synced.
    public func applyCatalogUpdate(_ update: CatalogUpdate) async throws {
        let now = clock.now()
        let after = update.after
        try await transaction(noting: changes.catalog) { db in
            try await db.raw("""
                UPDATE services SET type = \(bind: after.type.rawValue), rate = \(bind: after.rate.minorUnits),
                    min_quantity = \(bind: after.min), max_quantity = \(bind: after.max), refill = \(bind: after.refill),
                    cancel = \(bind: after.cancel), dripfeed = \(bind: after.dripFeed), enabled = \(bind: after.enabled),
                    updated_at = \(bind: now)
                WHERE id = \(bind: update.serviceID)
                """).run()
            try await db.raw("""
                UPDATE service_upstreams SET cost = \(bind: after.cost.minorUnits), vanished_at = \(bind: after.vanished ? now : nil),
                    synced_at = \(bind: now)
                WHERE service_id = \(bind: update.serviceID)
                """).run()
        }
    }

    /// Sets how a service's price relates to its cost: a markup it follows on every sync, or
    /// nil to keep the price the operator set.
    public func setServiceMarkup(serviceID: ServiceID, markup: Money?) async throws {
        try await transaction(noting: changes.catalog) { db in
            guard try await db.raw("UPDATE service_upstreams SET markup = \(bind: markup?.minorUnits) WHERE service_id = \(bind: serviceID) RETURNING service_id").first() != nil else {
                throw PanelError.rejected(.serviceNotFromProvider(id: serviceID))
            }
        }
    }
}

extension Columns {
    static let provider = """
        p.id, p.name, p.url, p.api_key, p.enabled, p.honors_request_id, p.status_codes, p.balance, p.currency,
        p.balance_checked_at, p.alert, p.created_at, p.allow_http, p.allow_private_address, p.concurrency
        """
}

extension SQLRow {
    func provider() throws -> Provider {
        Provider(id: try id("id"),
                 name: try decode(column: "name", as: String.self),
                 url: try decode(column: "url", as: String.self),
                 apiKey: try decode(column: "api_key", as: String.self),
                 enabled: try decode(column: "enabled", as: Bool.self),
                 honorsRequestID: try decode(column: "honors_request_id", as: Bool.self),
                 statusCodes: UpstreamDialect.statusCodes(try decode(column: "status_codes", as: String.self)) ?? [:],
                 balance: try decode(column: "balance", as: String?.self),
                 currency: try decode(column: "currency", as: String?.self),
                 balanceCheckedAt: try decode(column: "balance_checked_at", as: Int64?.self),
                 alert: try decode(column: "alert", as: String.self),
                 createdAt: try decode(column: "created_at", as: Int64.self),
                 allowHTTP: try decode(column: "allow_http", as: Bool.self),
                 allowPrivateAddress: try decode(column: "allow_private_address", as: Bool.self),
                 concurrency: try decode(column: "concurrency", as: Int64?.self).map { Int(clamping: $0) })
    }
}
