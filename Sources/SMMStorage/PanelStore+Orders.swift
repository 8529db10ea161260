import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    /// Statuses that hold a link; the same list as the `orders_active_link` index (a test keeps
    /// the two equal).
    static let activeStatusList = OrderStatus.activeStatuses.map(\.rawValue)

    /// The `orders_active_link` index's own condition, as literals. A planner can use a partial
    /// index only when the query's WHERE restates the index's; with the statuses as bound
    /// parameters SQLite cannot tell, and the link check walks every pending order instead
    /// (`EXPLAIN QUERY PLAN`), slower as orders pile up. The values are our constants.
    static let activeLinkCondition = "parent_id IS NULL AND link <> '' AND status IN ("
        + activeStatusList.map { "'\($0)'" }.joined(separator: ", ") + ")"

    /// Records a validated order in one transaction: enforces the one-active-order-per-link
    /// rule, charges the balance (never below zero) and writes the order, its place in the
    /// provider queue and its ledger row. Racing the same `requestID`, the loser gets the
    /// winner's order.
    public func recordNewOrder(_ new: NewOrder, userID: UserID, requestID: String?) async throws -> Order {
        let now = clock.now()
        let backend = self.backend
        do {
            return try await backend.transaction { db in
                if !new.link.isEmpty, try await Self.busyLinkStatement.on(db, .int(new.serviceID.rawValue), .text(new.link)).first() != nil {
                    throw PanelError.activeOrderWithLink
                }
                // Money first: a refused charge then leaves no trace at all, not even a used-up
                // order id (PostgreSQL sequences do not roll back).
                let balanceAfter = new.charge > .zero ? try await Ledger.take(db, userID: userID, amount: new.charge) : nil
                let status: OrderStatus = new.type == .subscriptions ? .active : .pending
                // A provider-backed order goes to the dispatch queue; its provider runs a
                // drip-feed itself, so no local runs are scheduled for it.
                let upstream = try await Self.upstreamMapping(db, serviceID: new.serviceID)
                let firstRunAt: Int64? = new.dripFeed == nil || upstream != nil ? nil : now
                // The new order is built from the values written (only its id comes back): decoding
                // the whole row, its fields' JSON included, would lengthen the writer's critical section.
                let row = try await Self.insertOrderStatement.on(
                    db, .int(userID.rawValue), .int(new.serviceID.rawValue), .text(new.type.rawValue), .text(new.link), .int(new.quantity),
                    .int(new.charge.minorUnits), .int(new.quantity), .text(status.rawValue), .text(FieldsCoding.encode(new.fields)),
                    .int(new.dripFeed?.runs), .int(new.dripFeed?.intervalMinutes), .int(firstRunAt), .text(requestID), .int(now), .int(now)
                ).first()
                let order = Order(
                    id: try row!.id("id"), userID: userID, serviceID: new.serviceID, type: new.type,
                    link: new.link, quantity: new.quantity, charge: new.charge, startCount: 0, remains: new.quantity, status: status,
                    fields: new.fields, parentID: nil, runs: new.dripFeed?.runs, intervalMinutes: new.dripFeed?.intervalMinutes,
                    runsDone: 0, nextRunAt: firstRunAt, requestID: requestID, createdAt: now, updatedAt: now, completedAt: nil)
                if let upstream { try await Self.enqueueUpstream(db, order: order, mapping: upstream, now: now) }
                if let balanceAfter {
                    try await Ledger.recordCharge(db, userID: userID, amount: new.charge, balanceAfter: balanceAfter,
                                                  orderID: order.id, now: now)
                }
                return order
            }
        } catch {
            guard let index = backend.uniqueViolation(in: error) else { throw error }
            if index.contains("request_id"), let requestID, let first = try await order(userID: userID, requestID: requestID) {
                return first
            }
            if index.contains("link") { throw PanelError.activeOrderWithLink }
            throw error
        }
    }

    /// What an order needs of its service: its terms at the customer's rate (their own, if the
    /// operator set one), and whether it is on sale; nil for an unknown id. Not the whole
    /// `Service`: its name, category and description would be decoded on every `add` for nothing.
    public func orderTerms(serviceID: ServiceID, pricedFor userID: UserID) async throws -> (ServiceTerms, enabled: Bool)? {
        try await backend.read { db in
            guard let row = try await Self.orderTermsStatement.on(db, .int(userID.rawValue), .int(serviceID.rawValue)).first() else { return nil }
            let label = try row.decode(column: "type", as: String.self)
            guard let type = ServiceType(rawValue: label) else { throw CorruptRow(description: "unknown service type \(label)") }
            let terms = ServiceTerms(
                id: try row.id("id"), type: type,
                rate: Money(minorUnits: try row.decode(column: "rate", as: Int64.self)),
                min: try row.decode(column: "min_quantity", as: Int64.self), max: try row.decode(column: "max_quantity", as: Int64.self),
                dripFeed: try row.decode(column: "dripfeed", as: Bool.self), refill: try row.decode(column: "refill", as: Bool.self),
                refillDays: Int(try row.decode(column: "refill_days", as: Int64.self)), cancel: try row.decode(column: "cancel", as: Bool.self))
            return (terms, try row.decode(column: "enabled", as: Bool.self))
        }
    }

    static let orderTermsStatement = SQLStatement("""
        SELECT s.id, s.type, \(Columns.pricedRate), s.min_quantity, s.max_quantity, s.dripfeed, s.refill, s.refill_days,
               s.cancel, s.enabled
        FROM services s LEFT JOIN user_service_rates r ON r.service_id = s.id AND r.user_id = ?
        WHERE s.id = ?
        """)

    /// An active order of the service on the link, if any.
    static let busyLinkStatement = SQLStatement(
        "SELECT id FROM orders WHERE service_id = ? AND link = ? AND \(activeLinkCondition) LIMIT 1")

    static let insertOrderStatement = SQLStatement("""
        INSERT INTO orders (user_id, service_id, type, link, quantity, charge, start_count, remains, status, fields,
                            runs, interval_minutes, next_run_at, request_id, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING id
        """)

    /// The user's order placed with this `request_id`, if any.
    public func order(userID: UserID, requestID: String) async throws -> Order? {
        try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.user_id = \(bind: userID) AND o.request_id = \(bind: requestID)
                """).first()?.order()
        }
    }

    /// One order, or nil if it does not exist or (with `userID`) belongs to someone else.
    public func order(id: OrderID, userID: UserID? = nil) async throws -> Order? {
        try await backend.read { db in
            try await db.raw("SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.id = \(bind: id)").first()?.order()
        }.flatMap { userID == nil || $0.userID == userID ? $0 : nil }
    }

    /// The user's orders among `ids`, keyed by id; ids of others are simply absent.
    public func orders(ids: [OrderID], userID: UserID) async throws -> [OrderID: Order] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.id IN (\(binds: ids)) AND o.user_id = \(bind: userID)
                """).all().map { try $0.order() }
        }
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The user's orders among `ids` as the `status` action shows them, keyed by id; ids of
    /// others are simply absent. Only the columns shown are read: decoding whole order rows would
    /// be most of the cost of a 100-id status call (BENCHMARKS.md).
    public func orderStatuses(ids: [OrderID], userID: UserID) async throws -> [OrderID: OrderStatusView] {
        guard !ids.isEmpty else { return [:] }
        // A statement per list length, written once: nothing is built per call (one id is the
        // usual `status` call, 100 a reseller's sync).
        let statement = Self.orderStatusesStatements.statement(length: ids.count)
        let values = ids.map { SQLValue.int($0.rawValue) } + [.int(userID.rawValue)]
        let rows = try await backend.read { db in
            try await statement.on(db, values: values).all().map { try $0.orderStatusView() }
        }
        return Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// What `status` shows of an order (`orderStatusView`); a subscription's fields for its expiry.
    private static let orderStatusColumns = """
        o.id, o.type, o.charge, o.start_count, o.remains, o.status, o.runs,
        CASE WHEN o.type = '\(ServiceType.subscriptions.rawValue)' THEN o.fields ELSE NULL END AS subscription_fields
        """
    private static let orderStatusesStatements = SQLStatementList(keepingLengthsUpTo: IDList.maximumCount) {
        "SELECT \(orderStatusColumns) FROM orders o WHERE o.id IN (\($0)) AND o.user_id = ?"
    }

    /// Child order ids of drip-feed parents and subscriptions, in creation order.
    public func childOrderIDs(parentIDs: [OrderID]) async throws -> [OrderID: [OrderID]] {
        guard !parentIDs.isEmpty else { return [:] }
        let pairs = try await backend.read { db in
            try await db.raw("SELECT id, parent_id FROM orders WHERE parent_id IN (\(binds: parentIDs)) ORDER BY id").all().map {
                (try $0.id("parent_id") as OrderID, try $0.id("id") as OrderID)
            }
        }
        return Dictionary(grouping: pairs, by: \.0).mapValues { $0.map(\.1) }
    }

    public struct OrderFilter: Sendable {
        public var userID: UserID?
        public var status: OrderStatus?
        public var limit: Int
        public init(userID: UserID? = nil, status: OrderStatus? = nil, limit: Int = 100) {
            self.userID = userID
            self.status = status
            self.limit = limit
        }
    }

    /// Newest first.
    public func listOrders(_ filter: OrderFilter) async throws -> [Order] {
        try await backend.read { db in
            var query: SQLQueryString = "SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE 1 = 1"
            if let userID = filter.userID { query += " AND o.user_id = \(bind: userID)" }
            if let status = filter.status { query += " AND o.status = \(bind: status.rawValue)" }
            query += " ORDER BY o.id DESC LIMIT \(bind: Int64(filter.limit))"
            return try await db.raw(query).all().map { try $0.order() }
        }
    }

    /// Applies an operator's or a worker's change through the order state machine, with the
    /// refund it owes, in one transaction. A child of a drip-feed settles its parent when it is
    /// the last to finish.
    @discardableResult
    public func updateOrder(id: OrderID, _ change: OrderChange) async throws -> Order {
        let now = clock.now()
        return try await backend.transaction { db in
            guard let current = try await lockedOrder(db, id: id) else { throw PanelError.incorrectOrderID }
            if let status = change.status, status.isFinal, !current.status.isFinal,
               let upstream = try await Self.upstreamState(db, orderID: id, lock: backend.forUpdate) {
                switch OperatorSettlement.route(to: status, upstream: upstream.state) {
                case .refusedWhileSending:
                    throw PanelError.rejected(.orderBeingSent(id: id))
                case .applyAndAskProvider:
                    try await db.raw("""
                        UPDATE upstream_orders SET cancel_state = \(state: UpstreamCancelState.requested), cancel_attempts = 0, cancel_after = 0, updated_at = \(bind: now)
                        WHERE order_id = \(bind: id) AND (cancel_state IS NULL OR cancel_state = \(state: UpstreamCancelState.refused))
                        """).run()
                case .apply:
                    break
                }
            }
            if current.isDripFeedParent, current.runsDone > 0, let status = change.status, status.isFinal, !current.status.isFinal {
                return try await stopDripFeed(db, current, requested: status, now: now)
            }
            let updated = try await applyTransition(db, to: current, change, now: now)
            if let parentID = updated.parentID, updated.status.isFinal {
                try await settleDripFeedIfDone(db, parentID: parentID, now: now)
            }
            return updated
        }
    }

    /// Customer cancel: only for services with cancel, and orders whose delivery has not
    /// started; the whole charge comes back. An order its provider already has is canceled
    /// there: the request is queued for the provider, and the refund follows the provider's
    /// Canceled status (the order is returned unchanged meanwhile).
    public func cancelOrder(id: OrderID, userID: UserID) async throws -> Order {
        let now = clock.now()
        return try await backend.transaction { db in
            guard let current = try await lockedOrder(db, id: id), current.userID == userID, current.parentID == nil else {
                throw PanelError.incorrectOrderID
            }
            let allowsCancel = try await db.raw("SELECT cancel FROM services WHERE id = \(bind: current.serviceID)").first()?
                .decode(column: "cancel", as: Bool.self) ?? false
            guard OrderLifecycle.canCancel(status: current.status, serviceAllowsCancel: allowsCancel, deliveryStarted: current.runsDone > 0) else {
                throw PanelError.cancelNotAvailable
            }
            let upstream = try await Self.upstreamState(db, orderID: id, lock: backend.forUpdate)
            switch CustomerCancel.route(upstream: upstream?.state, mayExistUpstream: upstream?.mayExistUpstream ?? false,
                                        cancelState: upstream?.cancelState) {
            case .refused:
                throw PanelError.cancelNotAvailable
            case .askProvider:
                try await db.raw("""
                    UPDATE upstream_orders SET cancel_state = \(state: UpstreamCancelState.requested), cancel_attempts = 0, cancel_after = 0, updated_at = \(bind: now)
                    WHERE order_id = \(bind: id)
                    """).run()
                return current
            case .askedAlready:
                return current
            case .cancelHere:
                break
            }
            return try await applyTransition(db, to: current, OrderChange(status: .canceled), now: now)
        }
    }

    func lockedOrder(_ db: any SQLDatabase, id: OrderID) async throws -> Order? {
        try await db.raw("SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.id = \(bind: id)\(unsafeRaw: backend.forUpdate)").first()?.order()
    }

    /// Writes one state-machine step and, for a top-level order, its refund.
    func applyTransition(_ db: any SQLDatabase, to current: Order, _ change: OrderChange, now: Int64) async throws -> Order {
        let transition = try OrderLifecycle.apply(change, to: current.state)
        var updated = current
        updated.status = transition.state.status
        updated.startCount = transition.state.startCount
        updated.remains = transition.state.remains
        updated.charge = transition.state.charge
        updated.updatedAt = now
        if updated.status.isFinal, updated.completedAt == nil { updated.completedAt = now }
        if updated.status.isFinal {
            updated.nextRunAt = nil
            try await Self.closeUpstream(db, orderID: current.id, now: now)
        }
        try await db.raw("""
            UPDATE orders SET status = \(bind: updated.status.rawValue), start_count = \(bind: updated.startCount),
                remains = \(bind: updated.remains), charge = \(bind: updated.charge.minorUnits), updated_at = \(bind: now),
                completed_at = \(bind: updated.completedAt), next_run_at = \(bind: updated.nextRunAt)
            WHERE id = \(bind: current.id)
            """).run()
        // Children of a drip-feed carry a share of the parent's charge for display only: the
        // money moved on the parent, so only the parent is refunded.
        if transition.refund > .zero, current.parentID == nil {
            _ = try await Ledger.credit(db, userID: current.userID, amount: transition.refund, kind: .refund,
                                        orderID: current.id, memo: LedgerMemo.refund(orderID: current.id, status: updated.status), now: now)
        }
        return updated
    }

    // MARK: Drip-feed

    /// Creates the child orders of drip-feed runs that are due, oldest first, at most `limit`.
    /// Returns how many runs were started.
    @discardableResult
    public func startDueDripFeedRuns(limit: Int = 100) async throws -> Int {
        let now = clock.now()
        let skipLocked = backend.skipLocked()
        return try await backend.transaction { db in
            let parents = try await db.raw("""
                SELECT \(unsafeRaw: Columns.order) FROM orders o
                WHERE o.next_run_at IS NOT NULL AND o.next_run_at <= \(bind: now) AND o.status IN (\(binds: Self.activeStatusList))
                ORDER BY o.next_run_at, o.id LIMIT \(bind: Int64(limit))\(unsafeRaw: skipLocked)
                """).all().map { try $0.order() }
            for parent in parents {
                guard let runs = parent.runs, parent.intervalMinutes != nil, parent.runsDone < runs else { continue }
                let perRun = DripFeed.quantityPerRun(parent)
                let run = parent.runsDone + 1
                let childCharge = DripFeed.chargeShare(parent, run: run).minorUnits
                try await db.raw("""
                    INSERT INTO orders (user_id, service_id, type, link, quantity, charge, start_count, remains, status, fields,
                                        parent_id, created_at, updated_at)
                    VALUES (\(bind: parent.userID), \(bind: parent.serviceID), \(bind: parent.type.rawValue), \(bind: parent.link),
                            \(bind: perRun), \(bind: childCharge), 0, \(bind: perRun), \(state: OrderStatus.pending), \(bind: FieldsCoding.encode(parent.fields)),
                            \(bind: parent.id), \(bind: now), \(bind: now))
                    """).run()
                let nextRun = DripFeed.nextRun(after: run, of: parent, now: now)
                try await db.raw("""
                    UPDATE orders SET runs_done = \(bind: run), next_run_at = \(bind: nextRun), updated_at = \(bind: now),
                        status = CASE WHEN status = \(state: OrderStatus.pending) THEN \(state: OrderStatus.inProgress) ELSE status END
                    WHERE id = \(bind: parent.id)
                    """).run()
            }
            return parents.count
        }
    }

    /// A drip-feed whose runs have started is settled from what its runs delivered, never by
    /// decree: an operator may only stop it (Canceled), which cancels the runs still open and
    /// refunds exactly the undelivered part.
    private func stopDripFeed(_ db: any SQLDatabase, _ parent: Order, requested: OrderStatus, now: Int64) async throws -> Order {
        guard requested == .canceled else {
            throw PanelError.rejected(.dripFeedStarted(id: parent.id))
        }
        try await db.raw("""
            UPDATE orders SET status = \(state: OrderStatus.canceled), remains = quantity, completed_at = \(bind: now), updated_at = \(bind: now)
            WHERE parent_id = \(bind: parent.id) AND status IN (\(binds: Self.activeStatusList))
            """).run()
        return try await settleDripFeed(db, parent, now: now)
    }

    /// When every run of a drip-feed has started and every child is final, the parent takes
    /// the outcome of its runs.
    func settleDripFeedIfDone(_ db: any SQLDatabase, parentID: OrderID, now: Int64) async throws {
        guard let parent = try await lockedOrder(db, id: parentID), let runs = parent.runs,
              parent.runsDone >= runs, !parent.status.isFinal else { return }
        _ = try await settleDripFeed(db, parent, now: now)
    }

    /// The parent takes `DripFeed.settlement` of its runs, with its refund; nothing happens
    /// while a run is still open.
    @discardableResult
    private func settleDripFeed(_ db: any SQLDatabase, _ parent: Order, now: Int64) async throws -> Order {
        let children = try await db.raw("""
            SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.parent_id = \(bind: parent.id)
            """).all().map { try $0.order() }
        guard let change = DripFeed.settlement(of: parent, runs: children) else { return parent }
        return try await applyTransition(db, to: parent, change, now: now)
    }
}
