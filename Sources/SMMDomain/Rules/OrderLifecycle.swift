/// The state of an order as far as the lifecycle rules need it.
public struct OrderState: Sendable, Hashable {
    public var status: OrderStatus
    public var quantity: Int64
    /// What the order currently costs the customer (after any refund).
    public var charge: Money
    public var startCount: Int64
    public var remains: Int64
    public var isSubscription: Bool

    public init(status: OrderStatus, quantity: Int64, charge: Money, startCount: Int64, remains: Int64, isSubscription: Bool = false) {
        self.status = status
        self.quantity = quantity
        self.charge = charge
        self.startCount = startCount
        self.remains = remains
        self.isSubscription = isSubscription
    }
}

/// A change an operator, a worker or an upstream asks for.
public struct OrderChange: Sendable, Hashable {
    public var status: OrderStatus?
    public var startCount: Int64?
    public var remains: Int64?

    public init(status: OrderStatus? = nil, startCount: Int64? = nil, remains: Int64? = nil) {
        self.status = status
        self.startCount = startCount
        self.remains = remains
    }
}

/// The result of applying a change: the new state and the refund it owes, if any.
public struct OrderTransition: Sendable, Hashable {
    public var state: OrderState
    /// Money to return to the customer now. Non-zero only when the order becomes Partial or
    /// Canceled, which can happen once per order because both are final.
    public var refund: Money
}

/// The order state machine.
///
/// ```
/// Pending ─┬─> Processing ─┬─> In progress ─┬─> Completed
///          └───────────────┴────────────────┼─> Partial   (refund charge × remains / quantity)
///                                           └─> Canceled  (refund the whole charge)
/// ```
/// Orders only move forward (a step may be skipped): moving back to Pending would reopen the
/// customer's full cancel on an order already being delivered.
/// Subscriptions: Active ⇄ Paused, then Completed, Expired or Canceled.
/// Final statuses never change, which is what makes each refund happen at most once.
public enum OrderLifecycle {
    public static func apply(_ change: OrderChange, to current: OrderState) throws(PanelError) -> OrderTransition {
        var next = current
        let target = change.status ?? current.status
        if current.status.isFinal {
            throw .rejected(.orderFinal(current.status))
        }
        let allowed = current.isSubscription ? OrderStatus.subscriptionStatuses : OrderStatus.orderStatuses
        guard allowed.contains(target) else {
            throw .rejected(.statusNotApplicable(target, subscription: current.isSubscription))
        }
        guard progress(of: target) >= progress(of: current.status) else {
            throw .rejected(.orderMovesForward(from: current.status, to: target))
        }
        if let startCount = change.startCount {
            guard startCount >= 0 else { throw .rejected(.negativeStartCount) }
            next.startCount = startCount
        }
        if let remains = change.remains { next.remains = remains }
        next.status = target

        var refund = Money.zero
        switch target {
        case .completed where !current.isSubscription:
            // Over-delivery may leave remains negative; an unspecified Completed means all delivered.
            if let remains = change.remains, remains > 0 {
                throw .rejected(.completedWithRemains(remains))
            }
            next.remains = change.remains ?? 0
        case .partial:
            let remains = change.remains ?? current.remains
            guard remains > 0, remains < current.quantity else {
                throw .rejected(.partialRemains(max: current.quantity - 1))
            }
            next.remains = remains
            refund = Pricing.partialRefund(charge: current.charge, quantity: current.quantity, remains: remains)
        case .canceled:
            next.remains = current.quantity
            refund = current.charge
        default:
            break
        }
        next.charge = current.charge - refund
        return OrderTransition(state: next, refund: refund)
    }

    /// How far along an order is; a change may not lower it. Subscriptions move freely between
    /// Active and Paused.
    static func progress(of status: OrderStatus) -> Int {
        switch status {
        case .pending: return 0
        case .processing: return 1
        case .inProgress: return 2
        case .active, .paused: return 0
        case .completed, .partial, .canceled, .expired: return 3
        }
    }

    /// Cancel by the customer: only where the service allows it and delivery has not started.
    public static func canCancel(status: OrderStatus, serviceAllowsCancel: Bool, deliveryStarted: Bool) -> Bool {
        serviceAllowsCancel && status == .pending && !deliveryStarted
    }

    /// Refill: only on a service with refill, for a Completed or Partial order, inside the
    /// service's refill window counted from completion (0 days: a lifetime refill, as panels
    /// sell them), with no other refill open.
    public static func canRefill(status: OrderStatus, service: ServiceTerms, completedAt: Int64?, now: Int64,
                                 hasOpenRefill: Bool, isSubscription: Bool) -> Bool {
        guard service.refill, !isSubscription, !hasOpenRefill, status == .completed || status == .partial,
              let completedAt else { return false }
        // A window too long to count in seconds is as good as a lifetime refill.
        let (window, overflow) = Int64(service.refillDays).multipliedReportingOverflow(by: 86_400)
        return service.refillDays == 0 || overflow || now - completedAt <= window
    }
}
