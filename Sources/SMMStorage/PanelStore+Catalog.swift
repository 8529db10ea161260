import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    /// Longest category and service names, in characters.
    public static let maxCategoryName = 200
    public static let maxServiceName = 500

    /// A category's name as stored: trimmed, 1 to `maxCategoryName` characters.
    static func categoryName(_ name: String) throws -> String {
        let clean = name.trimmingSpaces()
        guard !clean.isEmpty, clean.count <= maxCategoryName else { throw PanelError.rejected(.categoryNameLength(max: maxCategoryName)) }
        return clean
    }

    public func createCategory(name: String, sort: Int64 = 0) async throws -> Category {
        let clean = try Self.categoryName(name)
        do {
            return try await transaction(noting: changes.catalog) { db in
                let row = try await db.raw("INSERT INTO categories (name, sort) VALUES (\(bind: clean), \(bind: sort)) RETURNING id").first()
                return Category(id: try row!.decode(column: "id", as: Int64.self), name: clean, sort: sort)
            }
        } catch where backend.uniqueViolation(in: error) != nil {
            throw PanelError.rejected(.categoryExists(name: clean))
        }
    }

    public func categories() async throws -> [Category] {
        try await backend.read { db in
            try await db.raw("SELECT id, name, sort FROM categories ORDER BY sort, id").all().map {
                Category(id: try $0.decode(column: "id", as: Int64.self), name: try $0.decode(column: "name", as: String.self),
                         sort: try $0.decode(column: "sort", as: Int64.self))
            }
        }
    }

    /// Creates a service; its category is found by name, or created.
    public func createService(_ draft: ServiceDraft) async throws -> Service {
        let now = clock.now()
        let id = try await transaction(noting: changes.catalog) { db in try await insertService(db, draft, now: now) }
        return try await service(id: id)!
    }

    /// Validates a draft and inserts the service inside the caller's transaction.
    func insertService(_ db: any SQLDatabase, _ draft: ServiceDraft, now: Int64) async throws -> Int64 {
        guard let name = draft.name?.trimmingSpaces(), !name.isEmpty, name.count <= Self.maxServiceName else {
            throw PanelError.rejected(.serviceNeedsName(max: Self.maxServiceName))
        }
        guard let categoryName = draft.categoryName?.trimmingSpaces(), !categoryName.isEmpty else {
            throw PanelError.rejected(.serviceNeedsCategory)
        }
        guard let type = draft.type, let rate = draft.rate, let min = draft.min, let max = draft.max else {
            throw PanelError.rejected(.serviceNeedsTerms)
        }
        let refillDays = draft.refillDays ?? 30
        try ServiceTerms.validateDefinition(rate: rate, min: min, max: max, refillDays: refillDays)
        let categoryID = try await findOrCreateCategory(db, name: categoryName)
        let row = try await db.raw("""
            INSERT INTO services (name, category_id, type, rate, min_quantity, max_quantity, refill, refill_days,
                                  cancel, dripfeed, description, sort, created_at, updated_at)
            VALUES (\(bind: name), \(bind: categoryID), \(bind: type.rawValue), \(bind: rate.minorUnits), \(bind: min), \(bind: max),
                    \(bind: draft.refill ?? false), \(bind: Int64(refillDays)), \(bind: draft.cancel ?? false),
                    \(bind: draft.dripFeed ?? false), \(bind: draft.description ?? ""), \(bind: draft.sort ?? 0),
                    \(bind: now), \(bind: now))
            RETURNING id
            """).first()
        return try row!.decode(column: "id", as: Int64.self)
    }

    /// Changes what the draft sets and keeps the rest, in one transaction so that two operators
    /// editing at once cannot undo each other's fields.
    public func updateService(id: Int64, _ draft: ServiceDraft) async throws -> Service {
        let now = clock.now()
        let backend = self.backend
        try await transaction(noting: changes.catalog) { db in
            guard var current = try await db.raw("""
                SELECT \(unsafeRaw: Columns.service) FROM services s JOIN categories c ON c.id = s.category_id
                WHERE s.id = \(bind: id)\(unsafeRaw: backend.engine == .postgres ? " FOR UPDATE OF s" : "")
                """).first()?.service() else { throw PanelError.incorrectServiceID }
            if let name = draft.name?.trimmingSpaces() {
                guard !name.isEmpty, name.count <= Self.maxServiceName else { throw PanelError.rejected(.serviceNameLength(max: Self.maxServiceName)) }
                current.name = name
            }
            if let type = draft.type { current.type = type }
            if let rate = draft.rate { current.rate = rate }
            if let min = draft.min { current.min = min }
            if let max = draft.max { current.max = max }
            if let refill = draft.refill { current.refill = refill }
            if let days = draft.refillDays { current.refillDays = days }
            if let cancel = draft.cancel { current.cancel = cancel }
            if let dripFeed = draft.dripFeed { current.dripFeed = dripFeed }
            if let description = draft.description { current.description = description }
            if let sort = draft.sort { current.sort = sort }
            try ServiceTerms.validateDefinition(rate: current.rate, min: current.min, max: current.max, refillDays: current.refillDays)
            if let categoryName = draft.categoryName?.trimmingSpaces(), !categoryName.isEmpty {
                current.categoryID = try await findOrCreateCategory(db, name: categoryName)
            }
            try await db.raw("""
                UPDATE services SET name = \(bind: current.name), category_id = \(bind: current.categoryID), type = \(bind: current.type.rawValue),
                    rate = \(bind: current.rate.minorUnits), min_quantity = \(bind: current.min), max_quantity = \(bind: current.max),
                    refill = \(bind: current.refill), refill_days = \(bind: Int64(current.refillDays)), cancel = \(bind: current.cancel),
                    dripfeed = \(bind: current.dripFeed), description = \(bind: current.description), sort = \(bind: current.sort),
                    updated_at = \(bind: now)
                WHERE id = \(bind: id)
                """).run()
        }
        return try await service(id: id)!
    }

    public func setServiceEnabled(id: Int64, _ enabled: Bool) async throws {
        let now = clock.now()
        let found = try await transaction(noting: changes.catalog) { db in
            try await db.raw("UPDATE services SET enabled = \(bind: enabled), updated_at = \(bind: now) WHERE id = \(bind: id) RETURNING id").first() != nil
        }
        guard found else { throw PanelError.incorrectServiceID }
    }

    public func service(id: Int64) async throws -> Service? {
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

    private func findOrCreateCategory(_ db: any SQLDatabase, name: String) async throws -> Int64 {
        if let row = try await db.raw("SELECT id FROM categories WHERE name = \(bind: name)").first() {
            return try row.decode(column: "id", as: Int64.self)
        }
        let row = try await db.raw("INSERT INTO categories (name) VALUES (\(bind: name)) RETURNING id").first()
        return try row!.decode(column: "id", as: Int64.self)
    }
}
