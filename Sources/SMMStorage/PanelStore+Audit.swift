import Foundation
import SMMDatabase
import SMMDomain
import SQLKit

/// What an audited change touched: a row of one of the panel's tables.
public struct AuditTarget: Sendable, Hashable, CustomStringConvertible {
    public enum Table: String, Sendable {
        case users, api_keys, categories, services, orders, refills, providers, payment_requests
        /// The audit log's name of a row of this table (`user:3`, `service:7`).
        var noun: String {
            switch self {
            case .users: return "user"
            case .api_keys: return "key"
            case .categories: return "category"
            case .services: return "service"
            case .orders: return "order"
            case .refills: return "refill"
            case .providers: return "provider"
            case .payment_requests: return "payment"
            }
        }
    }

    public let table: Table
    public let id: Int64

    public init(_ table: Table, _ id: Int64) {
        self.table = table
        self.id = id
    }

    public init<Entity>(_ table: Table, _ id: EntityID<Entity>) {
        self.init(table, id.rawValue)
    }

    public var description: String { "\(table.noun):\(id)" }
}

extension PanelStore {
    /// Columns never copied into the audit log.
    static let secretColumns: Set<String> = ["password_hash", "key_hash", "api_key"]

    /// Runs an operator's (or admin's) change and records it: the target's row before, the
    /// action, and the row after. The record is written before the change with no "after", and
    /// completed once the change has committed; a failed change (which changed nothing, every
    /// store call being one transaction) removes it again. So a change can never happen without
    /// its record; a crash between the two leaves a record with no "after", which reads as
    /// "outcome unknown", never as "nothing happened".
    ///
    /// `created` names the row a creation made (its id is unknown before the change).
    public func audited<T: Sendable>(_ action: String, target: AuditTarget?, actor: AuditActor = AuditActor.current,
                                     created: (@Sendable (T) -> AuditTarget)? = nil,
                                     _ change: () async throws -> T) async throws -> T {
        let before = try await target.asyncMap { try await snapshot($0) } ?? nil
        let now = clock.now()
        let label = target?.description ?? "new"
        let recordID = try await backend.transaction { db in
            try await db.raw("""
                INSERT INTO audit_log (created_at, actor, action, target, before_state)
                VALUES (\(bind: now), \(bind: actor.description), \(bind: action), \(bind: label), \(bind: before))
                RETURNING id
                """).first()!.decode(column: "id", as: Int64.self)
        }
        let result: T
        do {
            result = try await change()
        } catch {
            try? await backend.transaction { db in try await db.raw("DELETE FROM audit_log WHERE id = \(bind: recordID)").run() }
            throw error
        }
        let finalTarget = created.map { $0(result) } ?? target
        let after = try await finalTarget.asyncMap { try await snapshot($0) } ?? nil
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE audit_log SET target = \(bind: finalTarget?.description ?? label), after_state = \(bind: after ?? "done")
                WHERE id = \(bind: recordID)
                """).run()
        }
        return result
    }

    /// The newest audit rows, optionally of one target (`user:3`) only.
    public func auditLog(target: String? = nil, limit: Int = 100) async throws -> [AuditEntry] {
        try await backend.read { db in
            var query: SQLQueryString = """
                SELECT id, created_at, actor, action, target, before_state, after_state, ledger_id FROM audit_log WHERE 1 = 1
                """
            if let target { query += " AND target = \(bind: target)" }
            query += " ORDER BY id DESC LIMIT \(bind: Int64(limit))"
            return try await db.raw(query).all().map { row in
                AuditEntry(id: try row.id("id"),
                           createdAt: try row.decode(column: "created_at", as: Int64.self),
                           actor: try row.decode(column: "actor", as: String.self),
                           action: try row.decode(column: "action", as: String.self),
                           target: try row.decode(column: "target", as: String.self),
                           before: try row.decode(column: "before_state", as: String?.self),
                           after: try row.decode(column: "after_state", as: String?.self),
                           ledgerID: try row.optionalID("ledger_id"))
            }
        }
    }

    /// Writes one audit row inside the caller's transaction (key changes, balance changes).
    static func recordAudit(_ db: any SQLDatabase, actor: AuditActor, action: String, target: String,
                            before: String?, after: String?, ledgerID: Int64? = nil, now: Int64) async throws {
        try await auditStatement.on(db, .int(now), .text(actor.description), .text(action), .text(target), .text(before), .text(after),
                                    .int(ledgerID)).run()
    }

    private static let auditStatement = SQLStatement("""
        INSERT INTO audit_log (created_at, actor, action, target, before_state, after_state, ledger_id) VALUES (?, ?, ?, ?, ?, ?, ?)
        """)

    /// The target's row as a JSON object with sorted keys, secrets left out; nil if it is gone.
    func snapshot(_ target: AuditTarget) async throws -> String? {
        try await backend.read { db in
            guard let row = try await db.raw("SELECT * FROM \(unsafeRaw: target.table.rawValue) WHERE id = \(bind: target.id)").first() else {
                return nil
            }
            return try Self.json(row, leaving: Self.secretColumns)
        }
    }

    /// The BOOLEAN columns of the audited tables: SQLite stores them as integers, so they are
    /// named here to read the same on both engines.
    static let booleanColumns: Set<String> = ["is_admin", "disabled", "refill", "cancel", "dripfeed", "enabled", "honors_request_id"]

    /// Each column as the first type it decodes as: these tables hold integers, booleans and
    /// text only.
    static func json(_ row: any SQLRow, leaving secret: Set<String>) throws -> String {
        var object: [String: Any] = [:]
        for column in row.allColumns where !secret.contains(column) {
            if try row.decodeNil(column: column) {
                object[column] = NSNull()
            } else if booleanColumns.contains(column) {
                object[column] = try row.decode(column: column, as: Bool.self)
            } else if let value = try? row.decode(column: column, as: Int64.self) {
                object[column] = value
            } else if let value = try? row.decode(column: column, as: Bool.self) {
                object[column] = value
            } else {
                object[column] = try row.decode(column: column, as: String.self)
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
