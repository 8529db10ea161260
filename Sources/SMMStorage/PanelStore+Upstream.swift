import SMMDatabase
import SMMDomain
import SQLKit

/// The sending and syncing state of provider-backed orders and refills.
///
/// Every step is a short transaction that records a decision *before* or *after* a call to the
/// provider, never around it: a claim marks the order `sending` (committed) before the call, and
/// the call's result is written afterwards only if the claim still holds. A sender that dies
/// mid-call leaves a `sending` row whose lease runs out; the next claim reconciles it.
extension PanelStore {
    /// The upstream row an order gets when its service is sold from a provider; called inside
    /// `placeOrder`'s transaction so the order and its place in the queue exist together.
    static func enqueueUpstream(_ db: any SQLDatabase, order: Order, mapping: (providerID: ProviderID, upstreamService: String),
                                now: Int64) async throws {
        try await db.raw("""
            INSERT INTO upstream_orders (order_id, provider_id, upstream_service, state, request_id, next_attempt_at, created_at, updated_at)
            VALUES (\(bind: order.id), \(bind: mapping.providerID), \(bind: mapping.upstreamService), \(state: UpstreamState.queued),
                    \(bind: "smm-\(order.id)-\(order.createdAt)"), \(bind: now), \(bind: now), \(bind: now))
            """).run()
    }

    /// The provider and upstream service a local service is sold from, if any.
    static func upstreamMapping(_ db: any SQLDatabase, serviceID: ServiceID) async throws -> (providerID: ProviderID, upstreamService: String)? {
        guard let row = try await mappingStatement.on(db, .int(serviceID.rawValue)).first() else { return nil }
        return (try row.id("provider_id"), try row.decode(column: "upstream_service", as: String.self))
    }

    private static let mappingStatement = SQLStatement("SELECT provider_id, upstream_service FROM service_upstreams WHERE service_id = ?")

    /// An order that became final needs nothing more from its provider, nor from the operator:
    /// settling it (`order update`) resolves a review too.
    static func closeUpstream(_ db: any SQLDatabase, orderID: OrderID, now: Int64) async throws {
        try await db.raw("""
            UPDATE upstream_orders SET state = \(state: UpstreamState.closed), review = FALSE, updated_at = \(bind: now)
            WHERE order_id = \(bind: orderID) AND state IN (\(states: [UpstreamState.queued, .held, .sent]))
            """).run()
    }

    static func upstreamState(_ db: any SQLDatabase, orderID: OrderID, lock: String) async throws
        -> (state: UpstreamState, providerID: ProviderID, upstreamOrderID: String?, mayExistUpstream: Bool, cancelState: UpstreamCancelState?)? {
        guard let row = try await db.raw("""
            SELECT state, provider_id, upstream_order_id, may_exist_upstream, cancel_state FROM upstream_orders
            WHERE order_id = \(bind: orderID)\(unsafeRaw: lock)
            """).first() else { return nil }
        let state = try row.decodeState(column: "state", as: UpstreamState.self)
        let cancelState = try row.decodeState(column: "cancel_state", as: UpstreamCancelState?.self)
        return (state, try row.id("provider_id"), try row.decode(column: "upstream_order_id", as: String?.self),
                try row.decode(column: "may_exist_upstream", as: Bool.self), cancelState)
    }

    // MARK: Dispatch

    /// Claims up to `limit` queued orders of enabled providers, oldest due first, marking them
    /// `sending` until `lease` seconds from now. First reconciles sends abandoned mid-call: they
    /// are queued again when the provider honours `request_id` (the resend returns the first
    /// order), and otherwise held for the operator, because the provider may have the order.
    /// `providerID` limits the claim (and the reconciliation) to one provider's orders.
    public func claimDispatch(providerID: ProviderID? = nil, limit: Int, lease: Int64) async throws -> [DispatchJob] {
        let now = clock.now()
        let skipLocked = backend.skipLocked(of: "u")
        // NULL matches every provider.
        let only = providerID
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.queued), next_attempt_at = \(bind: now), lease_until = NULL, updated_at = \(bind: now), may_exist_upstream = TRUE,
                    reason = 'an earlier send was interrupted; sending again with the same request_id'
                WHERE state = \(state: UpstreamState.sending) AND lease_until < \(bind: now)
                  AND provider_id IN (SELECT id FROM providers WHERE honors_request_id = TRUE)
                  AND (CAST(\(bind: only) AS BIGINT) IS NULL OR provider_id = \(bind: only))
                """).run()
            try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.held), lease_until = NULL, updated_at = \(bind: now), may_exist_upstream = TRUE,
                    reason = 'a send was interrupted (crash or timeout) and this provider does not honour request_id: it may or may not have the order; check at the provider, then resend it, link its upstream id, or cancel it'
                WHERE state = \(state: UpstreamState.sending) AND lease_until < \(bind: now) AND (CAST(\(bind: only) AS BIGINT) IS NULL OR provider_id = \(bind: only))
                """).run()
            // The active-order check is an EXISTS, not a join: joined, SQLite's planner starts
            // from every active order (status index) and each claim costs O(active orders);
            // as an EXISTS it walks the queue index (BENCHMARKS.md).
            let claimed = try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.sending), attempts = attempts + 1, lease_until = \(bind: now + lease),
                    updated_at = \(bind: now)
                WHERE order_id IN (
                    SELECT u.order_id FROM upstream_orders u JOIN providers p ON p.id = u.provider_id
                    WHERE u.state = \(state: UpstreamState.queued) AND u.next_attempt_at <= \(bind: now) AND p.enabled = TRUE
                      AND (CAST(\(bind: only) AS BIGINT) IS NULL OR u.provider_id = \(bind: only))
                      AND EXISTS (SELECT 1 FROM orders o WHERE o.id = u.order_id AND o.status IN (\(binds: Self.activeStatusList)))
                    ORDER BY u.next_attempt_at, u.order_id LIMIT \(bind: Int64(limit))\(unsafeRaw: skipLocked))
                RETURNING order_id, provider_id, upstream_service, request_id, attempts
                """).all()
            guard !claimed.isEmpty else { return [] }
            let ids = try claimed.map { try $0.id("order_id") as OrderID }
            let orders = try await db.raw("SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.id IN (\(binds: ids))").all()
                .map { try $0.order() }
            let byID = Dictionary(orders.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return try claimed.compactMap { row in
                let id: OrderID = try row.id("order_id")
                guard let order = byID[id] else { return nil }
                return DispatchJob(order: order, providerID: try row.id("provider_id"),
                                   upstreamService: try row.decode(column: "upstream_service", as: String.self),
                                   requestID: try row.decode(column: "request_id", as: String.self),
                                   attempt: try row.decode(column: "attempts", as: Int64.self))
            }.sorted { $0.order.id < $1.order.id }
        }
    }

    /// Renews a claim just before its call (a batch waits for free call slots), and says
    /// whether the claim still holds: a claim that expired meanwhile was reconciled by someone
    /// else, and calling now could send the order twice.
    public func renewClaim(orderID: OrderID, attempt: Int64, lease: Int64) async throws -> Bool {
        let now = clock.now()
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET lease_until = \(bind: now + lease)
                WHERE order_id = \(bind: orderID) AND state = \(state: UpstreamState.sending) AND attempts = \(bind: attempt) AND lease_until >= \(bind: now)
                RETURNING order_id
                """).first() != nil
        }
    }

    /// The provider accepted the order. An upstream id is the truth about where the order is,
    /// so it is recorded even if this claim was overtaken (then held or queued again).
    /// Returns false when the order was already sent or closed meanwhile.
    @discardableResult
    public func recordSent(orderID: OrderID, upstreamOrderID: String, response: String) async throws -> Bool {
        let now = clock.now()
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.sent), upstream_order_id = \(bind: upstreamOrderID), lease_until = NULL,
                    sent_at = \(bind: now), checked_at = 0, reason = '', last_response = \(bind: String(response.prefix(2000))),
                    updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID) AND state IN (\(states: [UpstreamState.sending, .queued, .held])) AND upstream_order_id IS NULL
                RETURNING order_id
                """).first() != nil
        }
    }

    /// A claim given back before its call was made (the worker is stopping): the order goes
    /// back to the queue as it was, still due, and the attempt does not count — the provider
    /// never saw it. Nothing happens if the claim was overtaken meanwhile.
    public func releaseClaim(orderID: OrderID, attempt: Int64) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.queued), attempts = attempts - 1, lease_until = NULL, updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID) AND state = \(state: UpstreamState.sending) AND attempts = \(bind: attempt)
                """).run()
        }
    }

    /// A failure worth another try: back to the queue until `retryAt`.
    public func recordRetry(orderID: OrderID, attempt: Int64, reason: String, response: String, retryAt: Int64,
                            mayExistUpstream: Bool = false) async throws {
        try await finishClaim(orderID: orderID, attempt: attempt, state: .queued, reason: reason, response: response, nextAttemptAt: retryAt,
                              mayExistUpstream: mayExistUpstream)
    }

    /// A failure only the operator can resolve. `mayExistUpstream`: the provider may have the
    /// order (an answer never came), so the customer may not cancel it; the operator decides.
    public func recordHeld(orderID: OrderID, attempt: Int64, reason: String, response: String, mayExistUpstream: Bool = false) async throws {
        try await finishClaim(orderID: orderID, attempt: attempt, state: .held, reason: reason, response: response, nextAttemptAt: nil,
                              mayExistUpstream: mayExistUpstream)
    }

    private func finishClaim(orderID: OrderID, attempt: Int64, state: UpstreamState, reason: String, response: String,
                             nextAttemptAt: Int64?, mayExistUpstream: Bool = false) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET state = \(bind: state.rawValue), reason = \(bind: String(reason.prefix(1000))),
                    last_response = \(bind: String(response.prefix(2000))), lease_until = NULL,
                    next_attempt_at = \(bind: nextAttemptAt ?? now), updated_at = \(bind: now),
                    may_exist_upstream = (may_exist_upstream OR \(bind: mayExistUpstream))
                WHERE order_id = \(bind: orderID) AND state = \(state: UpstreamState.sending) AND attempts = \(bind: attempt)
                """).run()
        }
    }

    /// The provider refused the order for good: cancel it with a full refund, keeping the
    /// provider's message as the reason. Returns the canceled order, or nil if the claim was
    /// overtaken meanwhile.
    @discardableResult
    public func recordFailed(orderID: OrderID, attempt: Int64, reason: String, response: String) async throws -> Order? {
        let now = clock.now()
        return try await backend.transaction { db in
            // Orders before their upstream rows, as every other path locks them: no deadlock.
            let locked = try await lockedOrder(db, id: orderID)
            guard try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.failed), reason = \(bind: String(reason.prefix(1000))),
                    last_response = \(bind: String(response.prefix(2000))), lease_until = NULL, updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID) AND state = \(state: UpstreamState.sending) AND attempts = \(bind: attempt)
                RETURNING order_id
                """).first() != nil else { return nil }
            guard let order = locked, !order.status.isFinal else { return nil }
            return try await applyTransition(db, to: order, OrderChange(status: .canceled), now: now)
        }
    }

    /// The provider says its service is gone (`Service ID does not exists`): the local services
    /// sold from it stop selling now, not at the next catalog sync, which enables them again if
    /// the service comes back. Returns the ids disabled.
    public func disableServicesGoneUpstream(providerID: ProviderID, upstreamService: String) async throws -> [ServiceID] {
        let now = clock.now()
        return try await transaction(noting: changes.catalog) { db in
            let ids = try await db.raw("""
                UPDATE services SET enabled = FALSE, updated_at = \(bind: now)
                WHERE enabled = TRUE AND id IN (SELECT service_id FROM service_upstreams
                                                WHERE provider_id = \(bind: providerID) AND upstream_service = \(bind: upstreamService))
                RETURNING id
                """).all().map { try $0.id("id") as ServiceID }
            guard !ids.isEmpty else { return [] }
            try await db.raw("""
                UPDATE service_upstreams SET vanished_at = \(bind: now) WHERE service_id IN (\(binds: ids))
                """).run()
            return ids
        }
    }

    /// Operator: send a held order again (after checking the provider does not have it).
    public func resendHeld(orderID: OrderID) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            guard try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.queued), next_attempt_at = \(bind: now), reason = 'resent by the operator',
                    review = FALSE, updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID) AND state = \(state: UpstreamState.held) RETURNING order_id
                """).first() != nil else {
                throw PanelError.rejected(.orderNotHeld(id: orderID))
            }
        }
    }

    /// Operator: the provider does have the order, under this id; follow it from now on.
    public func linkUpstreamOrder(orderID: OrderID, upstreamOrderID: String) async throws {
        let upstreamOrderID = upstreamOrderID.trimmingSpaces()
        guard !upstreamOrderID.isEmpty else { throw PanelError.rejected(.upstreamIDNeeded) }
        let now = clock.now()
        try await backend.transaction { db in
            guard try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.sent), upstream_order_id = \(bind: upstreamOrderID), sent_at = \(bind: now),
                    checked_at = 0, reason = 'linked by the operator', review = FALSE, updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID) AND state = \(state: UpstreamState.held) RETURNING order_id
                """).first() != nil else {
                throw PanelError.rejected(.orderNotHeld(id: orderID))
            }
        }
    }

    /// Operator: release every order held because of one provider (after topping up the
    /// balance there, or fixing the key).
    public func resendHeld(providerID: ProviderID, reasonContaining marker: String) async throws -> Int {
        let now = clock.now()
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET state = \(state: UpstreamState.queued), next_attempt_at = \(bind: now), review = FALSE, updated_at = \(bind: now)
                WHERE provider_id = \(bind: providerID) AND state = \(state: UpstreamState.held) AND reason LIKE \(bind: "\(marker)%")
                  AND may_exist_upstream = FALSE
                RETURNING order_id
                """).all().count
        }
    }

    // MARK: Status sync

    /// Providers with sent orders not checked since `checkedBefore`.
    public func providersDueForSync(checkedBefore: Int64) async throws -> [ProviderID] {
        try await backend.read { db in
            try await db.raw("""
                SELECT DISTINCT u.provider_id FROM upstream_orders u JOIN providers p ON p.id = u.provider_id
                WHERE u.state = \(state: UpstreamState.sent) AND u.checked_at < \(bind: checkedBefore) AND p.enabled = TRUE
                """).all().map { try $0.id("provider_id") }
        }
    }

    /// Claims the `limit` least recently checked sent orders of a provider, stamping them as
    /// checked now so that concurrent syncers (and the next round) take others: none starves.
    public func claimSync(providerID: ProviderID, checkedBefore: Int64, limit: Int = 100) async throws -> [SyncItem] {
        let now = clock.now()
        let skipLocked = backend.skipLocked()
        return try await backend.transaction { db in
            let claimed = try await db.raw(Self.syncClaim(providerID: providerID, checkedBefore: checkedBefore, now: now, limit: limit,
                                                          skipLocked: skipLocked)).all()
            guard !claimed.isEmpty else { return [] }
            var remote: [Int64: String] = [:]
            for row in claimed {
                remote[try row.decode(column: "order_id", as: Int64.self)] = try row.decode(column: "upstream_order_id", as: String?.self)
            }
            let orders = try await db.raw("SELECT \(unsafeRaw: Columns.order) FROM orders o WHERE o.id IN (\(binds: Array(remote.keys)))")
                .all().map { try $0.order() }
            return orders.compactMap { order in remote[order.id.rawValue].flatMap { $0 }.map { SyncItem(order: order, upstreamOrderID: $0) } }
                .sorted { $0.order.id < $1.order.id }
        }
    }

    /// The statement of `claimSync` (its query plan is tested: it must read `limit` index
    /// entries, not sort every order checked at the same second).
    static func syncClaim(providerID: ProviderID, checkedBefore: Int64, now: Int64, limit: Int, skipLocked: String) -> SQLQueryString {
        """
        UPDATE upstream_orders SET checked_at = \(bind: now)
        WHERE order_id IN (
            SELECT order_id FROM upstream_orders
            WHERE provider_id = \(bind: providerID) AND state = \(state: UpstreamState.sent) AND checked_at < \(bind: checkedBefore)
            ORDER BY checked_at, order_id LIMIT \(bind: Int64(limit))\(unsafeRaw: skipLocked))
        RETURNING order_id, upstream_order_id
        """
    }

    /// Applies what the provider reported for one order, in one transaction: the status change
    /// through the state machine (so each refund happens once), the cost, the raw status, a
    /// review flag when the report cannot be read, and the mirrored child orders of a drip-feed.
    @discardableResult
    public func applyUpstreamReport(orderID: OrderID, _ report: UpstreamReport, raw: String) async throws -> Order? {
        try await applyOneReport(orderID: orderID, report, raw: raw)?.order
    }

    private func applyOneReport(orderID: OrderID, _ report: UpstreamReport, raw: String) async throws -> (order: Order, change: ReportedChange?)? {
        let now = clock.now()
        return try await backend.transaction { db in
            try await applyReport(db, orderID: orderID, report, raw: raw, now: now)
        }
    }

    /// A status call's reports (up to 100), applied as `applyUpstreamReport` would, in one
    /// transaction: one COMMIT (on SQLite one fsync) instead of one per order. If that
    /// transaction fails (one report's statement failed, a deadlock on PostgreSQL), nothing of
    /// it stays, and each report is applied again on its own, so one bad order cannot hold the
    /// others back; the first failure of those is thrown.
    /// Returns the status changes made, for the log (even when some report failed, those applied
    /// are not returned then: the failure is thrown).
    @discardableResult
    public func applyUpstreamReports(_ reports: [ReportedOrder]) async throws -> [ReportedChange] {
        guard !reports.isEmpty else { return [] }
        let now = clock.now()
        // In order id order: concurrent syncers on PostgreSQL then lock rows in one order.
        let sorted = reports.sorted { $0.orderID < $1.orderID }
        do {
            return try await backend.transaction { db in
                var changes: [ReportedChange] = []
                for item in sorted {
                    if let change = try await applyReport(db, orderID: item.orderID, item.report, raw: item.raw, now: now)?.change {
                        changes.append(change)
                    }
                }
                return changes
            }
        } catch {}
        var firstFailure: (any Error)?
        var changes: [ReportedChange] = []
        for item in sorted {
            do {
                if let change = try await applyOneReport(orderID: item.orderID, item.report, raw: item.raw)?.change { changes.append(change) }
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
        return changes
    }

    private func applyReport(_ db: any SQLDatabase, orderID: OrderID, _ report: UpstreamReport, raw: String, now: Int64) async throws
        -> (order: Order, change: ReportedChange?)? {
        guard var order = try await lockedOrder(db, id: orderID) else { return nil }
        guard let upstream = try await Self.upstreamState(db, orderID: orderID, lock: backend.forUpdate), upstream.state == .sent else {
            return (order, nil)
        }
        let before = order
        let raw = String(raw.prefix(2000))
        switch report.content {
        case .error(let message):
            try await db.raw("""
                UPDATE upstream_orders SET review = TRUE, reason = \(bind: OperatorNote.providerError(message)),
                    last_response = \(bind: raw), updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID)
                """).run()
            return (order, nil)
        case let .status(status, label, startCount, remains, charge, children):
            var review: String?
            if !children.isEmpty, order.isDripFeedParent || order.isSubscription {
                review = try await mirrorChildren(db, parent: order, upstreamIDs: children, providerID: upstream.providerID, now: now)
            }
            switch UpstreamDialect.outcome(of: status, startCount: startCount, remains: remains, for: order.state) {
            case .unchanged:
                break
            case .review(let reason):
                review = reason + (review.map { "; \($0)" } ?? "")
            case .apply(let change):
                do {
                    order = try await applyTransition(db, to: order, change, now: now)
                    if let parentID = order.parentID, order.status.isFinal {
                        try await settleDripFeedIfDone(db, parentID: parentID, now: now)
                    }
                } catch let error as PanelError {
                    review = OperatorNote.reportCannotApply(error)
                }
            }
            // Final at the provider: a customer's cancel still waiting to be forwarded is moot.
            let cancelState = order.status.isFinal
                ? "CASE WHEN cancel_state = \(UpstreamCancelState.requested.literal) THEN NULL ELSE cancel_state END" : "cancel_state"
            try await db.raw("""
                UPDATE upstream_orders SET upstream_status = \(bind: String(label.prefix(100))), cost = COALESCE(\(bind: charge?.minorUnits), cost),
                    review = \(bind: review != nil), reason = \(bind: review ?? ""), last_response = \(bind: raw),
                    state = \(state: order.status.isFinal ? UpstreamState.closed : .sent), cancel_state = \(unsafeRaw: cancelState), updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID)
                """).run()
            guard order.status != before.status else { return (order, nil) }
            let refund = order.parentID == nil ? before.charge - order.charge : .zero
            return (order, ReportedChange(orderID: orderID, from: before.status, to: order.status, refund: refund))
        }
    }

    /// New child mirrors made per report of one order; the rest follow on the next reports.
    static let mirrorsPerReport = 100

    /// Creates local mirrors of a provider-backed drip-feed's runs (or a subscription's posts)
    /// as the provider reports them. They carry display-only charge shares like local runs; the
    /// money stays on the parent, which follows the provider's own status for it. A post's
    /// quantity is not in the protocol's status answer, so subscription mirrors show none.
    ///
    /// At most `runs` children for a drip-feed and `UpstreamDialect.maxMirroredChildren` in
    /// any case: a provider cannot make us create rows without end. Returns the review reason
    /// when it reported more (those are not mirrored).
    private func mirrorChildren(_ db: any SQLDatabase, parent: Order, upstreamIDs: [String], providerID: ProviderID, now: Int64) async throws -> String? {
        let cap = Swift.min(Int(clamping: parent.runs ?? Int64.max), UpstreamDialect.maxMirroredChildren)
        var seen = Set<String>()
        let distinct = upstreamIDs.filter { seen.insert($0).inserted }
        let known = Set(try await db.raw("""
            SELECT u.upstream_order_id FROM upstream_orders u JOIN orders o ON o.id = u.order_id
            WHERE o.parent_id = \(bind: parent.id)
            """).all().compactMap { try $0.decode(column: "upstream_order_id", as: String?.self) })
        let perRun = parent.isDripFeedParent ? DripFeed.quantityPerRun(parent) : 0
        let share = parent.isDripFeedParent ? DripFeed.evenChargeShare(parent).minorUnits : 0
        // Mirrors made earlier count: a provider naming new ids every time cannot go past the cap.
        let room = max(cap - known.count, 0)
        let fresh = distinct.filter { !known.contains($0) }
        let excess = fresh.count > room
            ? OperatorNote.tooManyChildOrders(cap: cap) : nil
        // A long list is mirrored over several reports, so no sync transaction grows with it.
        for upstreamID in fresh.prefix(min(room, Self.mirrorsPerReport)) {
            let row = try await db.raw("""
                INSERT INTO orders (user_id, service_id, type, link, quantity, charge, start_count, remains, status, fields,
                                    parent_id, created_at, updated_at)
                VALUES (\(bind: parent.userID), \(bind: parent.serviceID), \(bind: parent.type.rawValue), \(bind: parent.link),
                        \(bind: perRun), \(bind: share), 0, \(bind: perRun), \(state: OrderStatus.pending), \(bind: FieldsCoding.encode(parent.fields)),
                        \(bind: parent.id), \(bind: now), \(bind: now))
                RETURNING id
                """).first()
            let childID = try row!.decode(column: "id", as: Int64.self)
            try await db.raw("""
                INSERT INTO upstream_orders (order_id, provider_id, upstream_service, state, request_id, next_attempt_at,
                                             upstream_order_id, sent_at, created_at, updated_at)
                SELECT \(bind: childID), provider_id, upstream_service, \(state: UpstreamState.sent), \(bind: "mirror-\(childID)"), \(bind: now),
                       \(bind: upstreamID), \(bind: now), \(bind: now), \(bind: now)
                FROM upstream_orders WHERE order_id = \(bind: parent.id)
                """).run()
        }
        return excess
    }

    // MARK: Cancel requests

    /// Claims the customers' cancel requests waiting for a provider, at most `limit`, until
    /// `lease` seconds from now. A claim whose lease ran out (its sender died mid-call) is
    /// claimed again: asking a provider to cancel twice is harmless, losing the request is not.
    /// (`lease_until` is free on a sent order: only the dispatch claim uses it.)
    public func claimCancels(providerID: ProviderID, limit: Int = 100, lease: Int64 = 120) async throws -> [CancelJob] {
        let now = clock.now()
        let skipLocked = backend.skipLocked()
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET cancel_state = \(state: UpstreamCancelState.sending), lease_until = \(bind: now + lease), cancel_attempts = cancel_attempts + 1,
                    updated_at = \(bind: now)
                WHERE order_id IN (SELECT order_id FROM upstream_orders WHERE provider_id = \(bind: providerID)
                                   AND ((cancel_state = \(state: UpstreamCancelState.requested) AND cancel_after <= \(bind: now))
                                        OR (cancel_state = \(state: UpstreamCancelState.sending) AND lease_until < \(bind: now)))
                                   ORDER BY order_id LIMIT \(bind: Int64(limit))\(unsafeRaw: skipLocked))
                RETURNING order_id, upstream_order_id, cancel_attempts
                """).all().compactMap { row in
                guard let remote = try row.decode(column: "upstream_order_id", as: String?.self) else { return nil }
                return CancelJob(orderID: try row.id("order_id"), upstreamOrderID: remote,
                                 attempt: try row.decode(column: "cancel_attempts", as: Int64.self))
            }
        }
    }

    public func providersWithCancelRequests() async throws -> [ProviderID] {
        let now = clock.now()
        return try await backend.read { db in
            try await db.raw("""
                SELECT DISTINCT provider_id FROM upstream_orders
                WHERE (cancel_state = \(state: UpstreamCancelState.requested) AND cancel_after <= \(bind: now)) OR (cancel_state = \(state: UpstreamCancelState.sending) AND lease_until < \(bind: now))
                """).all()
                .map { try $0.id("provider_id") }
        }
    }

    /// Orders among `orderIDs` whose cancel the provider refused: the customer cannot cancel
    /// them any more, so their pages offer no cancel.
    public func ordersWithRefusedCancel(_ orderIDs: [OrderID]) async throws -> Set<OrderID> {
        guard !orderIDs.isEmpty else { return [] }
        return try await backend.read { db in
            Set(try await db.raw("""
                SELECT order_id FROM upstream_orders WHERE order_id IN (\(binds: orderIDs)) AND cancel_state = \(state: UpstreamCancelState.refused)
                """).all().map { try $0.id("order_id") })
        }
    }

    /// The provider's answer to a forwarded cancel: accepted (the refund follows with its
    /// Canceled status), refused (with its message: the cancel ends, and the customer cannot
    /// ask again), or to be asked again at `retryAt` (default: at once).
    public func recordCancel(orderID: OrderID, outcome: CancelOutcome, retryAt: Int64? = nil) async throws {
        let now = clock.now()
        let (state, reason): (UpstreamCancelState, String?) = switch outcome {
        case .accepted: (.accepted, nil)
        case .refused(let message): (.refused, OperatorNote.cancelRefused(message))
        case .retry: (.requested, nil)
        }
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_orders SET cancel_state = \(state: state), reason = COALESCE(\(bind: reason), reason), lease_until = NULL,
                    cancel_after = \(bind: retryAt ?? now), updated_at = \(bind: now)
                WHERE order_id = \(bind: orderID) AND cancel_state = \(state: UpstreamCancelState.sending)
                """).run()
        }
    }

    // MARK: Refills

    /// Claims refills waiting to be forwarded to enabled providers.
    public func claimRefillSends(providerID: ProviderID? = nil, limit: Int) async throws -> [RefillJob] {
        let now = clock.now()
        // NULL matches every provider.
        let only = providerID
        let skipLocked = backend.skipLocked(of: "f")
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_refills SET attempts = attempts + 1, next_attempt_at = \(bind: now + 600), updated_at = \(bind: now)
                WHERE refill_id IN (SELECT f.refill_id FROM upstream_refills f JOIN providers p ON p.id = f.provider_id
                                    WHERE f.state = \(state: UpstreamState.queued) AND f.next_attempt_at <= \(bind: now) AND p.enabled = TRUE
                                      AND (CAST(\(bind: only) AS BIGINT) IS NULL OR f.provider_id = \(bind: only))
                                      AND EXISTS (SELECT 1 FROM refills r WHERE r.id = f.refill_id
                                                  AND r.status IN (\(binds: RefillStatus.openStatuses.map(\.rawValue))))
                                    ORDER BY f.next_attempt_at, f.refill_id LIMIT \(bind: Int64(limit))\(unsafeRaw: skipLocked))
                RETURNING refill_id, provider_id, upstream_order_id, upstream_refill_id, attempts
                """).all().map { try $0.refillJob() }
        }
    }

    /// Gives back refills claimed by `claimRefillSends` that were never sent (the panel is
    /// stopping): due again at once, the attempt not counted. A claim taken over meanwhile (its
    /// attempt moved on) is left alone.
    public func releaseRefillClaims(_ jobs: [RefillJob]) async throws {
        guard !jobs.isEmpty else { return }
        let now = clock.now()
        try await backend.transaction { db in
            for job in jobs {
                try await db.raw("""
                    UPDATE upstream_refills SET attempts = attempts - 1, next_attempt_at = \(bind: now), updated_at = \(bind: now)
                    WHERE refill_id = \(bind: job.refillID) AND state = \(state: UpstreamState.queued) AND attempts = \(bind: job.attempt)
                    """).run()
            }
        }
    }

    public func recordRefillSent(refillID: RefillID, upstreamRefillID: String) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_refills SET state = \(state: UpstreamState.sent), upstream_refill_id = \(bind: upstreamRefillID), checked_at = 0, reason = '',
                    updated_at = \(bind: now)
                WHERE refill_id = \(bind: refillID) AND state = \(state: UpstreamState.queued)
                """).run()
        }
    }

    public func recordRefillRetry(refillID: RefillID, reason: String, retryAt: Int64) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_refills SET next_attempt_at = \(bind: retryAt), reason = \(bind: String(reason.prefix(1000))),
                    updated_at = \(bind: now)
                WHERE refill_id = \(bind: refillID) AND state = \(state: UpstreamState.queued)
                """).run()
        }
    }

    /// The provider refused the refill: the customer's refill is Rejected, with the reason kept.
    public func recordRefillRefused(refillID: RefillID, reason: String) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_refills SET state = \(state: UpstreamState.failed), reason = \(bind: String(reason.prefix(1000))), updated_at = \(bind: now)
                WHERE refill_id = \(bind: refillID) AND state = \(state: UpstreamState.queued)
                """).run()
            try await db.raw("""
                UPDATE refills SET status = \(state: RefillStatus.rejected), updated_at = \(bind: now)
                WHERE id = \(bind: refillID) AND status IN (\(binds: RefillStatus.openStatuses.map(\.rawValue)))
                """).run()
        }
    }

    public func providersDueForRefillSync(checkedBefore: Int64) async throws -> [ProviderID] {
        try await backend.read { db in
            try await db.raw("""
                SELECT DISTINCT provider_id FROM upstream_refills WHERE state = \(state: UpstreamState.sent) AND checked_at < \(bind: checkedBefore)
                """).all().map { try $0.id("provider_id") }
        }
    }

    /// Claims sent refills of a provider for a `refill_status` check, least recently checked first.
    public func claimRefillSync(providerID: ProviderID, checkedBefore: Int64, limit: Int = 100) async throws -> [RefillJob] {
        let now = clock.now()
        let skipLocked = backend.skipLocked()
        return try await backend.transaction { db in
            try await db.raw("""
                UPDATE upstream_refills SET checked_at = \(bind: now)
                WHERE refill_id IN (SELECT refill_id FROM upstream_refills WHERE provider_id = \(bind: providerID) AND state = \(state: UpstreamState.sent)
                                    AND checked_at < \(bind: checkedBefore) ORDER BY checked_at, refill_id
                                    LIMIT \(bind: Int64(limit))\(unsafeRaw: skipLocked))
                RETURNING refill_id, provider_id, upstream_order_id, upstream_refill_id, attempts
                """).all().map { try $0.refillJob() }
        }
    }

    /// Mirrors the provider's refill status; an unreadable one is kept as text for the operator.
    public func applyUpstreamRefillStatus(refillID: RefillID, label: String) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            let status = RefillStatus(label: label)
            if let status, let current = try await db.raw("SELECT status FROM refills WHERE id = \(bind: refillID)\(unsafeRaw: backend.forUpdate)")
                .first().flatMap({ RefillStatus(rawValue: try $0.decode(column: "status", as: String.self)) }),
                current != status, current.canMove(to: status) {
                try await db.raw("UPDATE refills SET status = \(bind: status.rawValue), updated_at = \(bind: now) WHERE id = \(bind: refillID)").run()
            }
            try await db.raw("""
                UPDATE upstream_refills SET upstream_status = \(bind: String(label.prefix(100))),
                    state = \(state: status?.isFinal == true ? UpstreamState.closed : .sent),
                    reason = \(bind: status == nil ? OperatorNote.unknownRefillStatus(label) : ""), updated_at = \(bind: now)
                WHERE refill_id = \(bind: refillID)
                """).run()
        }
    }

    // MARK: Operator views

    /// Orders held for the operator, failed sends and unreadable upstream reports, newest first.
    public func attentionItems(limit: Int = 200) async throws -> [AttentionItem] {
        try await backend.read { db in
            try await db.raw("""
                SELECT u.order_id, o.user_id, p.name AS provider_name, u.state, u.review, u.upstream_order_id, u.upstream_status,
                       u.reason, u.updated_at
                FROM upstream_orders u JOIN orders o ON o.id = u.order_id JOIN providers p ON p.id = u.provider_id
                WHERE u.state IN (\(states: [UpstreamState.held, .failed])) OR u.review = TRUE
                ORDER BY u.updated_at DESC, u.order_id DESC LIMIT \(bind: Int64(limit))
                """).all().map { row in
                let label = try row.decode(column: "state", as: String.self)
                return AttentionItem(orderID: try row.id("order_id"),
                                     userID: try row.id("user_id"),
                                     providerName: try row.decode(column: "provider_name", as: String.self),
                                     state: UpstreamState(rawValue: label) ?? .held,
                                     review: try row.decode(column: "review", as: Bool.self),
                                     upstreamOrderID: try row.decode(column: "upstream_order_id", as: String?.self),
                                     upstreamStatus: try row.decode(column: "upstream_status", as: String.self),
                                     reason: try row.decode(column: "reason", as: String.self),
                                     updatedAt: try row.decode(column: "updated_at", as: Int64.self))
            }
        }
    }

    /// How many orders `attentionItems` would list, counted by the database.
    public func attentionCount() async throws -> Int {
        try await backend.read { db in
            let row = try await db.raw("""
                SELECT COUNT(*) AS n FROM upstream_orders WHERE state IN (\(states: [UpstreamState.held, .failed])) OR review = TRUE
                """).first()
            return Int(try row?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }

    /// The provider side of orders, for `order list`: upstream id, state, cost.
    public func upstreamInfo(orderIDs: [OrderID]) async throws -> [OrderID: UpstreamOrderInfo] {
        guard !orderIDs.isEmpty else { return [:] }
        let rows = try await backend.read { db in
            try await db.raw("""
                SELECT u.order_id, p.name AS provider_name, u.state, u.upstream_order_id, u.upstream_status, u.cost, u.reason,
                       u.last_response, u.attempts
                FROM upstream_orders u JOIN providers p ON p.id = u.provider_id WHERE u.order_id IN (\(binds: orderIDs))
                """).all().map { row in
                UpstreamOrderInfo(orderID: try row.id("order_id"),
                                  providerName: try row.decode(column: "provider_name", as: String.self),
                                  state: UpstreamState(rawValue: try row.decode(column: "state", as: String.self)) ?? .held,
                                  upstreamOrderID: try row.decode(column: "upstream_order_id", as: String?.self),
                                  upstreamStatus: try row.decode(column: "upstream_status", as: String.self),
                                  cost: try row.decode(column: "cost", as: Int64?.self).map(Money.init(minorUnits:)),
                                  reason: try row.decode(column: "reason", as: String.self),
                                  lastResponse: try row.decode(column: "last_response", as: String.self),
                                  attempts: try row.decode(column: "attempts", as: Int64.self))
            }
        }
        return Dictionary(rows.map { ($0.orderID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Charge minus cost over the provider-backed orders placed since `since` whose cost is
    /// known (the dashboard's profit of the day).
    public func upstreamProfit(since: Int64) async throws -> Money {
        try await backend.read { db in
            let row = try await db.raw("""
                SELECT CAST(COALESCE(SUM(o.charge - u.cost), 0) AS BIGINT) AS profit
                FROM upstream_orders u JOIN orders o ON o.id = u.order_id
                WHERE u.cost IS NOT NULL AND o.created_at >= \(bind: since)
                """).first()
            return Money(minorUnits: try row?.decode(column: "profit", as: Int64.self) ?? 0)
        }
    }

    /// Counts by upstream state, for metrics and the dashboard.
    public func upstreamCounts() async throws -> [UpstreamState: Int64] {
        try await backend.read { db in
            var counts: [UpstreamState: Int64] = [:]
            for row in try await db.raw("SELECT state, COUNT(*) AS n FROM upstream_orders GROUP BY state").all() {
                if let state = UpstreamState(rawValue: try row.decode(column: "state", as: String.self)) {
                    counts[state] = try row.decode(column: "n", as: Int64.self)
                }
            }
            return counts
        }
    }

    /// Seconds since the least recently checked sent order was checked (0 when none): how far
    /// status sync lags behind.
    public func syncLag() async throws -> Int64 {
        let now = clock.now()
        return try await backend.read { db in
            let row = try await db.raw("""
                SELECT CAST(MIN(CASE WHEN checked_at = 0 THEN sent_at ELSE checked_at END) AS BIGINT) AS oldest
                FROM upstream_orders WHERE state = \(state: UpstreamState.sent)
                """).first()
            guard let oldest = try row?.decode(column: "oldest", as: Int64?.self) else { return 0 }
            return max(0, now - oldest)
        }
    }
}

extension SQLRow {
    func refillJob() throws -> RefillJob {
        RefillJob(refillID: try id("refill_id"),
                  providerID: try id("provider_id"),
                  upstreamOrderID: try decode(column: "upstream_order_id", as: String.self),
                  upstreamRefillID: try decode(column: "upstream_refill_id", as: String?.self),
                  attempt: try decode(column: "attempts", as: Int64.self))
    }
}
