import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    /// `name` as `CatalogRules.categoryName` makes it.
    public func createCategory(name clean: String, sort: Int64 = 0) async throws -> Category {
        do {
            return try await transaction(noting: changes.catalog) { db in
                let row = try await db.raw("INSERT INTO categories (name, sort) VALUES (\(bind: clean), \(bind: sort)) RETURNING id").first()
                return Category(id: try row!.id("id"), name: clean, sort: sort)
            }
        } catch where backend.uniqueViolation(in: error) != nil {
            throw PanelError.rejected(.categoryExists(name: clean))
        }
    }

    public func categories() async throws -> [Category] {
        try await backend.read { db in
            try await db.raw("SELECT id, name, sort FROM categories ORDER BY sort, id").all().map {
                Category(id: try $0.id("id"), name: try $0.decode(column: "name", as: String.self),
                         sort: try $0.decode(column: "sort", as: Int64.self))
            }
        }
    }

    /// Creates a service; its category is found by name, or created.
    public func createService(_ new: NewService) async throws -> Service {
        let now = clock.now()
        let id = try await transaction(noting: changes.catalog) { db in try await insertService(db, new, now: now) }
        return try await service(id: id)!
    }

    /// Inserts the service inside the caller's transaction.
    func insertService(_ db: any SQLDatabase, _ new: NewService, now: Int64) async throws -> ServiceID {
        let categoryID = try await findOrCreateCategory(db, name: new.categoryName)
        let row = try await db.raw("""
            INSERT INTO services (name, category_id, type, rate, min_quantity, max_quantity, refill, refill_days,
                                  cancel, dripfeed, description, sort, created_at, updated_at)
            VALUES (\(bind: new.name), \(bind: categoryID), \(bind: new.type.rawValue), \(bind: new.rate.minorUnits), \(bind: new.min),
                    \(bind: new.max), \(bind: new.refill), \(bind: Int64(new.refillDays)), \(bind: new.cancel), \(bind: new.dripFeed),
                    \(bind: new.description), \(bind: new.sort), \(bind: now), \(bind: now))
            RETURNING id
            """).first()
        return try row!.id("id")
    }

    /// Writes `edit` of the service as it is now (and, with `categoryName`, moves it to that
    /// category, found or created), in one transaction so that two operators editing at once
    /// cannot undo each other's fields.
    public func updateService(id: ServiceID, categoryName: String?, _ edit: @escaping @Sendable (Service) throws -> Service) async throws -> Service {
        let now = clock.now()
        let backend = self.backend
        try await transaction(noting: changes.catalog) { db in
            guard let current = try await db.raw("""
                SELECT \(unsafeRaw: Columns.service) FROM services s JOIN categories c ON c.id = s.category_id
                WHERE s.id = \(bind: id)\(unsafeRaw: backend.engine == .postgres ? " FOR UPDATE OF s" : "")
                """).first()?.service() else { throw PanelError.incorrectServiceID }
            var edited = try edit(current)
            if let categoryName { edited.categoryID = try await findOrCreateCategory(db, name: categoryName) }
            try await db.raw("""
                UPDATE services SET name = \(bind: edited.name), category_id = \(bind: edited.categoryID), type = \(bind: edited.type.rawValue),
                    rate = \(bind: edited.rate.minorUnits), min_quantity = \(bind: edited.min), max_quantity = \(bind: edited.max),
                    refill = \(bind: edited.refill), refill_days = \(bind: Int64(edited.refillDays)), cancel = \(bind: edited.cancel),
                    dripfeed = \(bind: edited.dripFeed), description = \(bind: edited.description), sort = \(bind: edited.sort),
                    updated_at = \(bind: now)
                WHERE id = \(bind: id)
                """).run()
        }
        return try await service(id: id)!
    }

    public func setServiceEnabled(id: ServiceID, _ enabled: Bool) async throws {
        let now = clock.now()
        let found = try await transaction(noting: changes.catalog) { db in
            try await db.raw("UPDATE services SET enabled = \(bind: enabled), updated_at = \(bind: now) WHERE id = \(bind: id) RETURNING id").first() != nil
        }
        guard found else { throw PanelError.incorrectServiceID }
    }

    public func service(id: ServiceID) async throws -> Service? {
        try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.service) FROM services s JOIN categories c ON c.id = s.category_id WHERE s.id = \(bind: id)
                """).first()?.service()
        }
    }

    /// The catalog in display order: categories by their sort, then services by theirs.
    public func services(includeDisabled: Bool = false) async throws -> [Service] {
        try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.service) FROM services s JOIN categories c ON c.id = s.category_id
                \(unsafeRaw: includeDisabled ? "" : "WHERE s.enabled = TRUE")
                ORDER BY c.sort, c.id, s.sort, s.id
                """).all().map { try $0.service() }
        }
    }

    private func findOrCreateCategory(_ db: any SQLDatabase, name: String) async throws -> CategoryID {
        if let row = try await db.raw("SELECT id FROM categories WHERE name = \(bind: name)").first() {
            return try row.id("id")
        }
        let row = try await db.raw("INSERT INTO categories (name) VALUES (\(bind: name)) RETURNING id").first()
        return try row!.id("id")
    }
}
