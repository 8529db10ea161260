import Foundation
import SMMDomain
import SQLKit

/// Column lists and row mappers: one place that knows how each table maps to its model.
enum Columns {
    static let user = "u.id, u.username, u.is_admin, u.disabled, u.balance, u.created_at, u.password_hash"
    static let service = """
        s.id, s.name, s.category_id, c.name AS category_name, s.type, s.rate, s.min_quantity, s.max_quantity,
        s.refill, s.refill_days, s.cancel, s.dripfeed, s.description, s.enabled, s.sort
        """
    /// The rate a customer pays: their own (`r`, a LEFT JOIN of user_service_rates) where the
    /// operator set one.
    static let pricedRate = "COALESCE(r.rate, s.rate) AS rate"
    /// `service` with the rate a customer pays.
    static let pricedService = service.replacingOccurrences(of: "s.rate,", with: pricedRate + ",")
    static let order = """
        o.id, o.user_id, o.service_id, o.type, o.link, o.quantity, o.charge, o.start_count, o.remains, o.status,
        o.fields, o.parent_id, o.runs, o.interval_minutes, o.runs_done, o.next_run_at, o.request_id,
        o.created_at, o.updated_at, o.completed_at
        """
    static let refill = "r.id, r.order_id, r.user_id, r.status, r.created_at, r.updated_at"
}

/// A stored value that no longer reads back as the domain expects (a hand-edited row).
struct CorruptRow: Error, CustomStringConvertible {
    let description: String
}

extension SQLRow {
    func user() throws -> User {
        User(id: try id("id"),
             username: try decode(column: "username", as: String.self),
             isAdmin: try decode(column: "is_admin", as: Bool.self),
             disabled: try decode(column: "disabled", as: Bool.self),
             balance: Money(minorUnits: try decode(column: "balance", as: Int64.self)),
             createdAt: try decode(column: "created_at", as: Int64.self),
             passwordHash: try decode(column: "password_hash", as: String?.self))
    }

    func service() throws -> Service {
        let typeLabel = try decode(column: "type", as: String.self)
        guard let type = ServiceType(rawValue: typeLabel) else { throw CorruptRow(description: "unknown service type \(typeLabel)") }
        return Service(
            id: try id("id"),
            name: try decode(column: "name", as: String.self),
            categoryID: try id("category_id"),
            categoryName: try decode(column: "category_name", as: String.self),
            type: type,
            rate: Money(minorUnits: try decode(column: "rate", as: Int64.self)),
            min: try decode(column: "min_quantity", as: Int64.self),
            max: try decode(column: "max_quantity", as: Int64.self),
            refill: try decode(column: "refill", as: Bool.self),
            refillDays: Int(try decode(column: "refill_days", as: Int64.self)),
            cancel: try decode(column: "cancel", as: Bool.self),
            dripFeed: try decode(column: "dripfeed", as: Bool.self),
            description: try decode(column: "description", as: String.self),
            enabled: try decode(column: "enabled", as: Bool.self),
            sort: try decode(column: "sort", as: Int64.self))
    }

    /// An order row's `type` and `status` columns, refused if this build does not know them.
    private func orderTypeAndStatus() throws -> (ServiceType, OrderStatus) {
        let typeLabel = try decode(column: "type", as: String.self)
        let statusLabel = try decode(column: "status", as: String.self)
        guard let type = ServiceType(rawValue: typeLabel), let status = OrderStatus(rawValue: statusLabel) else {
            throw CorruptRow(description: "order with unknown type \(typeLabel) or status \(statusLabel)")
        }
        return (type, status)
    }

    func order() throws -> Order {
        let (type, status) = try orderTypeAndStatus()
        return Order(
            id: try id("id"),
            userID: try id("user_id"),
            serviceID: try id("service_id"),
            type: type,
            link: try decode(column: "link", as: String.self),
            quantity: try decode(column: "quantity", as: Int64.self),
            charge: Money(minorUnits: try decode(column: "charge", as: Int64.self)),
            startCount: try decode(column: "start_count", as: Int64.self),
            remains: try decode(column: "remains", as: Int64.self),
            status: status,
            fields: FieldsCoding.decode(try decode(column: "fields", as: String.self)),
            parentID: try optionalID("parent_id"),
            runs: try decode(column: "runs", as: Int64?.self),
            intervalMinutes: try decode(column: "interval_minutes", as: Int64?.self),
            runsDone: try decode(column: "runs_done", as: Int64.self),
            nextRunAt: try decode(column: "next_run_at", as: Int64?.self),
            requestID: try decode(column: "request_id", as: String?.self),
            createdAt: try decode(column: "created_at", as: Int64.self),
            updatedAt: try decode(column: "updated_at", as: Int64.self),
            completedAt: try decode(column: "completed_at", as: Int64?.self))
    }

    func orderStatusView() throws -> OrderStatusView {
        let (type, status) = try orderTypeAndStatus()
        let fields = try decode(column: "subscription_fields", as: String?.self)
        return OrderStatusView(id: try id("id"), type: type,
                               charge: Money(minorUnits: try decode(column: "charge", as: Int64.self)),
                               startCount: try decode(column: "start_count", as: Int64.self),
                               remains: try decode(column: "remains", as: Int64.self), status: status,
                               runs: try decode(column: "runs", as: Int64?.self),
                               expiry: fields.map { FieldsCoding.decode($0)["expiry"] ?? "" })
    }

    func refill() throws -> Refill {
        Refill(id: try id("id"),
               orderID: try id("order_id"),
               userID: try id("user_id"),
               status: try decodeState(column: "status", as: RefillStatus.self),
               createdAt: try decode(column: "created_at", as: Int64.self),
               updatedAt: try decode(column: "updated_at", as: Int64.self))
    }
}

/// Type-specific order fields are stored as one JSON object of strings.
enum FieldsCoding {
    static func encode(_ fields: [String: String]) -> String {
        guard !fields.isEmpty else { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(fields), as: UTF8.self)) ?? "{}"
    }

    static func decode(_ text: String) -> [String: String] {
        guard text != "{}" else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}

extension SQLRow {
    /// An id column read as the id of the kind the context expects.
    func id<Entity>(_ column: String) throws -> EntityID<Entity> {
        EntityID(try decode(column: column, as: Int64.self))
    }

    func optionalID<Entity>(_ column: String) throws -> EntityID<Entity>? {
        try decode(column: column, as: Int64?.self).map { EntityID($0) }
    }
}
