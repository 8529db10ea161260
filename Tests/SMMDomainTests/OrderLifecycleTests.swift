import Testing
@testable import SMMDomain

@Suite("OrderLifecycle — state machine and refunds")
struct OrderLifecycleTests {
    /// 1000 units at 0.90 per thousand: charge 0.90000.
    func order(_ status: OrderStatus, charge: String = "0.90", quantity: Int64 = 1000, remains: Int64 = 1000,
               startCount: Int64 = 0) -> OrderState {
        OrderState(status: status, quantity: quantity, charge: money(charge), startCount: startCount, remains: remains)
    }

    func subscription(_ status: OrderStatus, charge: String = "0") -> OrderState {
        OrderState(status: status, quantity: 0, charge: money(charge), startCount: 0, remains: 0, isSubscription: true)
    }

    @Test("Pending → Processing → In progress → Completed moves no money")
    func happyPath() throws {
        var state = order(.pending)
        for (status, remains) in [(OrderStatus.processing, 1000 as Int64), (.inProgress, 400)] {
            let step = try OrderLifecycle.apply(OrderChange(status: status, remains: remains), to: state)
            #expect(step.refund == .zero)
            #expect(step.state.status == status)
            #expect(step.state.charge == money("0.90"))
            #expect(step.state.remains == remains)
            state = step.state
        }
        let done = try OrderLifecycle.apply(OrderChange(status: .completed), to: state)
        #expect(done.refund == .zero)
        #expect(done.state.status == .completed)
        #expect(done.state.remains == 0)
        #expect(done.state.charge == money("0.90"))
        #expect(done.state.quantity == 1000)
    }

    @Test("each non-final order status may be reached from Pending without refund",
          arguments: [OrderStatus.pending, .processing, .inProgress, .completed])
    func directTransitions(target: OrderStatus) throws {
        let step = try OrderLifecycle.apply(OrderChange(status: target), to: order(.pending))
        #expect(step.state.status == target)
        #expect(step.refund == .zero)
    }

    @Test("Completed: remains 0 unless over-delivered (negative remains kept)", arguments: [
        (nil, 0), (0, 0), (-20, -20), (-1, -1),
    ] as [(Int64?, Int64)])
    func completedRemains(given: Int64?, stored: Int64) throws {
        let step = try OrderLifecycle.apply(OrderChange(status: .completed, remains: given), to: order(.inProgress, remains: 500))
        #expect(step.state.remains == stored)
        #expect(step.refund == .zero)
        #expect(step.state.charge == money("0.90"))
    }

    @Test("Completed with something left to deliver is refused: that is Partial")
    func completedWithRemainsIsRefused() {
        let error = lifecycleError(OrderChange(status: .completed, remains: 30), order(.inProgress, remains: 500))
        #expect(error?.message == "a Completed order has nothing left to deliver; with remains 30 it is Partial")
    }

    @Test("orders only move forward", arguments: [
        (OrderStatus.processing, OrderStatus.pending), (.inProgress, .pending), (.inProgress, .processing),
    ])
    func noBackwardMoves(from: OrderStatus, to: OrderStatus) {
        let error = lifecycleError(OrderChange(status: to), order(from))
        #expect(error?.message == "an order moves forward only: \(from.rawValue) cannot go back to \(to.rawValue)")
    }

    @Test("subscriptions move between Active and Paused both ways")
    func subscriptionPauseAndResume() throws {
        let active = OrderState(status: .active, quantity: 0, charge: .zero, startCount: 0, remains: 0, isSubscription: true)
        let paused = try OrderLifecycle.apply(OrderChange(status: .paused), to: active)
        #expect(paused.state.status == .paused)
        #expect(try OrderLifecycle.apply(OrderChange(status: .active), to: paused.state).state.status == .active)
    }

    // MARK: Partial

    @Test("Partial refunds charge × remains / quantity and keeps the rest")
    func partial() throws {
        let step = try OrderLifecycle.apply(OrderChange(status: .partial, remains: 157), to: order(.inProgress, remains: 400))
        #expect(step.refund.apiString == "0.14130")
        #expect(step.state.charge.apiString == "0.75870")
        #expect(step.state.status == .partial)
        #expect(step.state.remains == 157)
        #expect(step.refund + step.state.charge == money("0.90"))
    }

    @Test("Partial without remains uses the order's current remains")
    func partialWithCurrentRemains() throws {
        let step = try OrderLifecycle.apply(OrderChange(status: .partial), to: order(.inProgress, remains: 300))
        #expect(step.refund.apiString == "0.27000")
        #expect(step.state.charge.apiString == "0.63000")
        #expect(step.state.remains == 300)
    }

    @Test("Partial refund rounds down; what is kept rounds up")
    func partialRounding() throws {
        let state = OrderState(status: .inProgress, quantity: 3, charge: Money(minorUnits: 100), startCount: 0, remains: 3)
        let one = try OrderLifecycle.apply(OrderChange(status: .partial, remains: 1), to: state)
        #expect(one.refund.minorUnits == 33)
        #expect(one.state.charge.minorUnits == 67)
        let two = try OrderLifecycle.apply(OrderChange(status: .partial, remains: 2), to: state)
        #expect(two.refund.minorUnits == 66)
        #expect(two.state.charge.minorUnits == 34)
    }

    @Test("Partial needs remains between 1 and quantity − 1 (all undelivered is Canceled)", arguments: [
        (0, 500), (-3, 500), (nil, 0), (nil, -10), (1000, 500), (5000, 500), (nil, 1000),
    ] as [(Int64?, Int64)])
    func partialNeedsRemains(given: Int64?, current: Int64) {
        let error = lifecycleError(OrderChange(status: .partial, remains: given), order(.inProgress, remains: current))
        #expect(error?.message == "a Partial order needs remains between 1 and 999; nothing delivered is Canceled")
    }

    @Test("refund + kept charge always equals the charge before")
    func partialConservation() throws {
        for charge: Int64 in [1, 7, 27_819, 90_000, 1_234_567] {
            for quantity: Int64 in [1, 3, 7, 157, 1000] {
                for remains in Set<Int64>([1, quantity / 2, quantity - 1]) where remains > 0 && remains < quantity {
                    let state = OrderState(status: .processing, quantity: quantity, charge: Money(minorUnits: charge),
                                           startCount: 0, remains: quantity)
                    let step = try OrderLifecycle.apply(OrderChange(status: .partial, remains: remains), to: state)
                    #expect(step.refund.minorUnits == charge * remains / quantity)
                    #expect(step.refund + step.state.charge == Money(minorUnits: charge))
                    #expect(step.state.charge.minorUnits >= 0)
                }
            }
        }
    }

    // MARK: Canceled

    @Test("Canceled refunds the whole charge", arguments: [OrderStatus.pending, .processing, .inProgress])
    func canceled(from status: OrderStatus) throws {
        let step = try OrderLifecycle.apply(OrderChange(status: .canceled), to: order(status, charge: "0.27819", remains: 12))
        #expect(step.refund.apiString == "0.27819")
        #expect(step.state.charge == .zero)
        #expect(step.state.remains == 1000)
        #expect(step.state.status == .canceled)
    }

    @Test("Canceled ignores a given remains: nothing was delivered for the customer")
    func canceledRemains() throws {
        let step = try OrderLifecycle.apply(OrderChange(status: .canceled, remains: 3), to: order(.inProgress))
        #expect(step.state.remains == 1000)
        #expect(step.refund == money("0.90"))
    }

    // MARK: final statuses: refunds happen once

    @Test("a final order never changes again",
          arguments: [OrderStatus.completed, .partial, .canceled], [nil] + OrderStatus.allCases)
    func finalOrders(final: OrderStatus, target: OrderStatus?) {
        let error = lifecycleError(OrderChange(status: target, startCount: 5, remains: 10), order(final, remains: 100))
        #expect(error?.message == "order is \(final.rawValue) already; a final order does not change")
    }

    @Test("final subscriptions never change again",
          arguments: [OrderStatus.completed, .expired, .canceled], [nil, OrderStatus.active, .paused, .canceled])
    func finalSubscriptions(final: OrderStatus, target: OrderStatus?) {
        let error = lifecycleError(OrderChange(status: target), subscription(final))
        #expect(error?.message == "order is \(final.rawValue) already; a final order does not change")
    }

    @Test("the refund of a Partial cannot be followed by a second refund")
    func refundOnlyOnceAfterPartial() throws {
        let partial = try OrderLifecycle.apply(OrderChange(status: .partial, remains: 500), to: order(.inProgress))
        #expect(partial.refund.apiString == "0.45000")
        #expect(lifecycleError(OrderChange(status: .canceled), partial.state) != nil)
        #expect(lifecycleError(OrderChange(status: .partial, remains: 900), partial.state) != nil)
        #expect(lifecycleError(OrderChange(status: .inProgress), partial.state) != nil)
    }

    @Test("the refund of a cancel cannot be repeated")
    func refundOnlyOnceAfterCancel() throws {
        let canceled = try OrderLifecycle.apply(OrderChange(status: .canceled), to: order(.pending))
        #expect(canceled.refund == money("0.90"))
        #expect(lifecycleError(OrderChange(status: .canceled), canceled.state)?.message
                == "order is Canceled already; a final order does not change")
        #expect(lifecycleError(OrderChange(status: .partial, remains: 1), canceled.state) != nil)
    }

    @Test("only Partial and Canceled ever move money",
          arguments: [OrderStatus.pending, .processing, .inProgress], [OrderStatus.pending, .processing, .inProgress, .completed])
    func noRefundOtherwise(from: OrderStatus, to: OrderStatus) throws {
        guard OrderLifecycle.progress(of: to) >= OrderLifecycle.progress(of: from) else { return } // backward: refused above
        let step = try OrderLifecycle.apply(OrderChange(status: to, remains: to == .completed ? 0 : 10), to: order(from))
        #expect(step.refund == .zero)
        #expect(step.state.charge == money("0.90"))
    }

    // MARK: statuses by kind

    @Test("subscription statuses are refused for an order", arguments: [OrderStatus.active, .paused, .expired])
    func subscriptionStatusOnOrder(target: OrderStatus) {
        #expect(lifecycleError(OrderChange(status: target), order(.pending))?.message
                == "status \(target.rawValue) does not apply to an order")
    }

    @Test("order-only statuses are refused for a subscription", arguments: [OrderStatus.pending, .processing, .inProgress, .partial])
    func orderStatusOnSubscription(target: OrderStatus) {
        #expect(lifecycleError(OrderChange(status: target, remains: 1), subscription(.active))?.message
                == "status \(target.rawValue) does not apply to a subscription")
    }

    @Test("subscriptions: Active ⇄ Paused, then Completed, Expired or Canceled")
    func subscriptionLifecycle() throws {
        let paused = try OrderLifecycle.apply(OrderChange(status: .paused), to: subscription(.active))
        #expect(paused.state.status == .paused)
        #expect(paused.refund == .zero)
        let active = try OrderLifecycle.apply(OrderChange(status: .active), to: paused.state)
        #expect(active.state.status == .active)
        for end in [OrderStatus.completed, .expired] {
            let step = try OrderLifecycle.apply(OrderChange(status: end), to: active.state)
            #expect(step.state.status == end)
            #expect(step.refund == .zero)
        }
        let fromPaused = try OrderLifecycle.apply(OrderChange(status: .expired), to: paused.state)
        #expect(fromPaused.state.status == .expired)
    }

    @Test("a Completed subscription keeps its remains and charge")
    func subscriptionCompleted() throws {
        let state = OrderState(status: .active, quantity: 0, charge: money("1.5"), startCount: 0, remains: 7, isSubscription: true)
        let step = try OrderLifecycle.apply(OrderChange(status: .completed), to: state)
        #expect(step.state.remains == 7)
        #expect(step.state.charge == money("1.5"))
        #expect(step.refund == .zero)
    }

    @Test("canceling a subscription returns what it holds")
    func subscriptionCanceled() throws {
        let step = try OrderLifecycle.apply(OrderChange(status: .canceled), to: subscription(.paused, charge: "2.5"))
        #expect(step.refund == money("2.5"))
        #expect(step.state.charge == .zero)
        #expect(step.state.status == .canceled)
    }

    // MARK: start count and remains without a status change

    @Test func startCountAndRemainsUpdates() throws {
        let step = try OrderLifecycle.apply(OrderChange(startCount: 3572, remains: 157), to: order(.inProgress))
        #expect(step.state.status == .inProgress)
        #expect(step.state.startCount == 3572)
        #expect(step.state.remains == 157)
        #expect(step.refund == .zero)

        let kept = try OrderLifecycle.apply(OrderChange(), to: order(.processing, startCount: 12))
        #expect(kept.state == order(.processing, startCount: 12))
        #expect(kept.refund == .zero)

        let zero = try OrderLifecycle.apply(OrderChange(startCount: 0), to: order(.pending, startCount: 12))
        #expect(zero.state.startCount == 0)
    }

    @Test("remains may go negative while running (over-delivery)")
    func negativeRemains() throws {
        let step = try OrderLifecycle.apply(OrderChange(remains: -25), to: order(.inProgress))
        #expect(step.state.remains == -25)
    }

    @Test func negativeStartCount() {
        let error = lifecycleError(OrderChange(status: .inProgress, startCount: -1), order(.pending))
        #expect(error == .rejected(.negativeStartCount))
        #expect(error?.message == "start count must not be negative")
    }

    @Test func changeDefaults() {
        let change = OrderChange()
        #expect(change.status == nil && change.startCount == nil && change.remains == nil)
        #expect(!order(.pending).isSubscription)
    }
}

@Suite("OrderLifecycle — cancel and refill eligibility")
struct EligibilityTests {
    @Test("cancel: only a Pending order, not started, on a service that allows it",
          arguments: OrderStatus.allCases, [false, true])
    func canCancel(status: OrderStatus, started: Bool) {
        #expect(OrderLifecycle.canCancel(status: status, serviceAllowsCancel: true, deliveryStarted: started)
                == (status == .pending && !started))
        #expect(!OrderLifecycle.canCancel(status: status, serviceAllowsCancel: false, deliveryStarted: started))
    }

    let day: Int64 = 86_400
    let completedAt: Int64 = 1_700_000_000
    var refillService: ServiceTerms { terms(.default, refill: true, refillDays: 30) }

    func canRefill(_ status: OrderStatus = .completed, service: ServiceTerms? = nil, completedAt: Int64?? = .none,
                   after seconds: Int64 = 0, open: Bool = false, subscription: Bool = false) -> Bool {
        let done: Int64? = completedAt ?? self.completedAt
        return OrderLifecycle.canRefill(status: status, service: service ?? refillService, completedAt: done,
                                        now: (done ?? self.completedAt) + seconds, hasOpenRefill: open, isSubscription: subscription)
    }

    @Test("refill: Completed or Partial only", arguments: OrderStatus.allCases)
    func refillByStatus(status: OrderStatus) {
        #expect(canRefill(status, after: day) == (status == .completed || status == .partial))
    }

    @Test("refill window: refillDays × 24 h from completion, inclusive; 0 days is lifetime")
    func refillWindow() {
        #expect(canRefill(after: 0))
        #expect(canRefill(after: 30 * day))
        #expect(!canRefill(after: 30 * day + 1))
        #expect(canRefill(.partial, after: 30 * day))
        #expect(!canRefill(.partial, after: 31 * day))
        let week = terms(.default, refill: true, refillDays: 7)
        #expect(canRefill(service: week, after: 7 * day))
        #expect(!canRefill(service: week, after: 7 * day + 1))
        // 0 days is a lifetime refill.
        let lifetime = terms(.default, refill: true, refillDays: 0)
        #expect(canRefill(service: lifetime, after: 0))
        #expect(canRefill(service: lifetime, after: 3650 * day))
        #expect(!canRefill(service: lifetime, after: day, open: true))
    }

    @Test func refillRefusals() {
        #expect(!canRefill(service: terms(.default, refill: false, refillDays: 30), after: day))
        #expect(!canRefill(after: day, open: true))
        #expect(!canRefill(after: day, subscription: true))
        #expect(!canRefill(completedAt: .some(nil), after: day))
    }
}
