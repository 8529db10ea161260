import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    /// Creates a refill for the user's order if the rules allow it (service with refill,
    /// Completed or Partial, inside the refill window, no refill open).
    public func createRefill(orderID: OrderID, userID: UserID) async throws -> Refill {
        let now = clock.now()
        let backend = self.backend
        do {
            return try await backend.transaction { db in
                guard let order = try await lockedOrder(db, id: orderID), order.userID == userID, order.parentID == nil else {
                    throw PanelError.incorrectOrderID
                }
                guard let serviceRow = try await db.raw("""
                    SELECT \(unsafeRaw: Columns.service) FROM services s JOIN categories c ON c.id = s.category_id
                    WHERE s.id = \(bind: order.serviceID)
                    """).first() else { throw PanelError.refillNotAvailable }
                let service = try serviceRow.service()
                let open = try await db.raw("""
                    SELECT id FROM refills WHERE order_id = \(bind: orderID) AND status IN (\(binds: RefillStatus.openStatuses.map(\.rawValue)))
                    """).first() != nil
                guard OrderLifecycle.canRefill(status: order.status, service: service.terms, completedAt: order.completedAt, now: now,
                                               hasOpenRefill: open, isSubscription: order.isSubscription) else {
                    throw PanelError.refillNotAvailable
                }
                let row = try await db.raw("""
                    INSERT INTO refills (order_id, user_id, status, created_at, updated_at)
                    VALUES (\(bind: orderID), \(bind: userID), \(state: RefillStatus.pending), \(bind: now), \(bind: now))
                    RETURNING id
                    """).first()
                let refillID: RefillID = try row!.id("id")
                // A provider-backed order is refilled by its provider: queue the request there.
                try await db.raw("""
                    INSERT INTO upstream_refills (refill_id, provider_id, upstream_order_id, state, next_attempt_at, created_at, updated_at)
                    SELECT \(bind: refillID), provider_id, upstream_order_id, \(state: UpstreamState.queued), \(bind: now), \(bind: now), \(bind: now)
                    FROM upstream_orders WHERE order_id = \(bind: orderID) AND upstream_order_id IS NOT NULL
                    """).run()
                return Refill(id: refillID, orderID: orderID, userID: userID,
                              status: .pending, createdAt: now, updatedAt: now)
            }
        } catch where backend.uniqueViolation(in: error) != nil {
            throw PanelError.refillNotAvailable
        }
    }

    /// The user's refills among `ids`, keyed by id.
    public func refills(ids: [RefillID], userID: UserID) async throws -> [RefillID: Refill] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.refill) FROM refills r WHERE r.id IN (\(binds: ids)) AND r.user_id = \(bind: userID)")
                .all().map { try $0.refill() }
        }
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func listRefills(userID: UserID? = nil, limit: Int = 100) async throws -> [Refill] {
        try await backend.read { db in
            var query: SQLQueryString = "SELECT \(unsafeRaw: Columns.refill) FROM refills r WHERE 1 = 1"
            if let userID { query += " AND r.user_id = \(bind: userID)" }
            query += " ORDER BY r.id DESC LIMIT \(bind: Int64(limit))"
            return try await db.raw(query).all().map { try $0.refill() }
        }
    }

    /// Moves a refill through its state machine (operator or worker).
    @discardableResult
    public func updateRefill(id: RefillID, status: RefillStatus) async throws -> Refill {
        let now = clock.now()
        return try await backend.transaction { db in
            guard var refill = try await db.raw("SELECT \(unsafeRaw: Columns.refill) FROM refills r WHERE r.id = \(bind: id)\(unsafeRaw: backend.forUpdate)")
                .first()?.refill() else { throw PanelError.refillNotFound }
            guard refill.status.canMove(to: status) else {
                throw PanelError.rejected(.refillCannotMove(id: id, from: refill.status, to: status))
            }
            try await db.raw("UPDATE refills SET status = \(bind: status.rawValue), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
            if status.isFinal {
                // Settled here: nothing more to ask the provider about it.
                try await db.raw("""
                    UPDATE upstream_refills SET state = \(state: UpstreamState.closed), reason = \(bind: "\(status.rawValue) here"), updated_at = \(bind: now)
                    WHERE refill_id = \(bind: id) AND state IN (\(states: [UpstreamState.queued, .sent]))
                    """).run()
            }
            refill.status = status
            refill.updatedAt = now
            return refill
        }
    }
}
