/// How to read an upstream provider's answers, whatever dialect it speaks (contract §7).
///
/// Providers are other panels: their numbers arrive as JSON numbers or strings, their statuses
/// in any spelling, their errors as free text. Everything here is pure so that each quirk is
/// pinned by a unit test.
public enum UpstreamDialect {
    /// An integer from `"157"`, `157`, `"-20"`, `" 3 "` or `"157.0"`; nil for `""`, `"Unknown"`,
    /// `"157.5"`, anything outside `integerRange`, or anything else, which callers treat as
    /// "not reported".
    public static func integer(_ text: String) -> Int64? {
        let trimmed = text.trimmingSpaces()
        var value = Int64(trimmed)
        // Some panels send counts through a float type: "157.0" (and 157.0 as a JSON number).
        if value == nil, let dot = trimmed.firstIndex(of: "."), trimmed[trimmed.index(after: dot)...].allSatisfy({ $0 == "0" }) {
            value = Int64(trimmed[..<dot])
        }
        return value.flatMap { integerRange.contains($0) ? $0 : nil }
    }

    /// The counts a provider may report (remains, start counts, min/max): far from where any
    /// sum or difference of them could overflow.
    public static let integerRange: ClosedRange<Int64> = -1_000_000_000_000...1_000_000_000_000

    /// An amount such as a rate or a charge, in panel minor units. Digits past the fifth
    /// decimal are rounded **up**: an upstream cost is never understated, so a price derived
    /// from it never sells below cost. Negative amounts are refused.
    public static func money(_ text: String) -> Money? {
        var s = text.trimmingSpaces()
        // "-0.000001" would otherwise round up to a positive amount below.
        if s.hasPrefix("-") { return nil }
        if s.hasPrefix("+") { s.removeFirst() }
        // Exponent forms ("1.5e-3") come from float-typed panels.
        if s.contains("e") || s.contains("E") { return scientific(s) }
        guard let dot = s.firstIndex(of: ".") else { return Money(parsing: s).flatMap { $0 >= .zero ? $0 : nil } }
        let fraction = s[s.index(after: dot)...]
        guard fraction.count > Money.scale else { return Money(parsing: s).flatMap { $0 >= .zero ? $0 : nil } }
        let kept = String(s[..<dot]) + "." + fraction.prefix(Money.scale)
        let dropped = fraction.dropFirst(Money.scale)
        guard dropped.allSatisfy(\.isASCIIDigit), let base = Money(parsing: kept), base >= .zero else { return nil }
        return dropped.allSatisfy({ $0 == "0" }) ? base : base + Money(minorUnits: 1)
    }

    /// The largest cost an upstream report may set on one order: 10,000,000 of the currency.
    /// A provider reporting more (a cost near Int64.max) is clamped here, so sums over orders
    /// (the dashboard's profit) stay far from overflow.
    public static let maxCost = Money(minorUnits: 1_000_000_000_000)

    /// An order's cost as a provider reports it (`charge`): `money`, clamped to `maxCost`.
    public static func cost(_ text: String) -> Money? {
        money(text).map { Swift.min($0, maxCost) }
    }

    /// The most child orders (drip-feed runs, subscription posts) mirrored for one order; a
    /// report of more puts the order in review instead of creating them.
    public static let maxMirroredChildren = 1000

    private static func scientific(_ text: String) -> Money? {
        guard let value = Double(text), value.isFinite, value >= 0, value < 1e13 else { return nil }
        return Money(minorUnits: Int64((value * Double(Money.unitsPerWhole)).rounded(.up)))
    }

    /// An upstream status word. Numeric codes mean different things on different panels, so
    /// they are read only through the provider's own table (`codes`); anything unrecognised
    /// goes to review, never silently to Pending.
    public static func status(_ label: String, codes: [Int: OrderStatus] = [:]) -> UpstreamStatus {
        let trimmed = label.trimmingSpaces()
        if let code = Int(trimmed) {
            return codes[code].map(UpstreamStatus.known) ?? .unknown(trimmed)
        }
        if statusKey(trimmed) == "refunded" { return .refunded }
        if let status = OrderStatus(label: trimmed) { return .known(status) }
        return .unknown(trimmed)
    }

    /// Parses a provider's status-code table, `"0=Pending,1=In progress,2=Completed"`.
    public static func statusCodes(_ text: String) -> [Int: OrderStatus]? {
        var table: [Int: OrderStatus] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
            guard parts.count == 2, let code = Int(parts[0]), let status = OrderStatus(label: parts[1]) else { return nil }
            table[code] = status
        }
        return table
    }

    public static func formatStatusCodes(_ table: [Int: OrderStatus]) -> String {
        table.keys.sorted().map { "\($0)=\(table[$0]!.rawValue)" }.joined(separator: ",")
    }

    /// What an upstream error message asks of us (contract §7), by case-insensitive substring.
    public static func classify(error message: String) -> UpstreamErrorKind {
        let text = message.lowercased()
        // Our own provider balance is too low: hold the order and tell the operator; the
        // customer did nothing wrong.
        if text.contains("not enough funds") || text.contains("insufficient") || text.contains("low balance") {
            return .providerFunds
        }
        // A widely deployed PHP panel refuses a key with "API is Disable for this user or User Not
        // Found! Contact the Support"; "user not found" alone may be about an order's username.
        if text.contains("api key") || text.contains("invalid key") || text.contains("unauthori") || text.contains("api is disable")
            || (text.contains("user not found") && text.contains("api")) {
            return .providerAuth
        }
        // Our own contract's `Incorrect service ID` also means "unknown or disabled service".
        for marker in ["service id does not exist", "service does not exist", "service not found", "service is disabled",
                       "service disabled", "service is not active", "incorrect service", "invalid service"] where text.contains(marker) {
            return .serviceGone
        }
        for marker in ["active order", "in progress", "wait", "try again", "too many requests"] where text.contains(marker) {
            return .retryLater
        }
        for marker in ["quantity less than", "quantity more than", "incorrect link", "invalid link", "invalid interval",
                       "missing required field"] where text.contains(marker) {
            return .permanent
        }
        // "Min quantity is 100", "Max 5000": limits as words, not inside "administrator" or
        // "terminated", which would cancel an order over an unrelated message.
        let words = Set(text.split { !$0.isLetter }.map(String.init))
        if !words.isDisjoint(with: ["min", "max", "minimum", "maximum", "minimal", "maximal"]) { return .permanent }
        return .unrecognized
    }
}

/// An upstream order status, read.
public enum UpstreamStatus: Sendable, Hashable {
    case known(OrderStatus)
    /// Canceled with the money returned: the same as Canceled for our customer.
    case refunded
    /// A word (or code) this panel cannot interpret: the order goes to review.
    case unknown(String)
}

/// The kinds of upstream errors, each with its own handling by the dispatcher.
public enum UpstreamErrorKind: String, Sendable, Hashable {
    /// Send again later (`active order`, `wait`…).
    case retryLater
    /// The order itself is unacceptable upstream: cancel it with a full refund.
    case permanent
    /// The upstream service is withdrawn or disabled: cancel with a full refund, and stop
    /// selling the local service at once.
    case serviceGone
    /// The reseller's balance at the provider is too low: hold orders, alert the operator.
    case providerFunds
    /// The provider refuses our key: hold orders, alert the operator.
    case providerAuth
    /// A message we cannot classify: hold for the operator rather than guess.
    case unrecognized
}

/// The local meaning of one upstream status report for an order, after the dialect quirks.
public enum UpstreamOutcome: Sendable, Hashable {
    /// Apply this change through the order state machine (refund rules included).
    case apply(OrderChange)
    /// Nothing to do (same status, or an upstream step backwards that is ignored).
    case unchanged
    /// Cannot be interpreted safely: hold the order for review with this reason.
    case review(String)
}

extension UpstreamDialect {
    /// Translates an upstream report into a change of the local order. `remains` nil means the
    /// upstream did not report a usable number (`""`, `"Unknown"`).
    ///
    /// - Completed means fully delivered: remains are clamped to at most 0 (a provider that
    ///   over-delivers reports negative remains, which are kept).
    /// - Partial with nothing delivered is a Canceled; Partial with everything delivered is a
    ///   Completed; Partial without a number cannot be refunded correctly and goes to review.
    /// - Refunded is Canceled.
    /// - Pending and Processing: the upstream's remains are not read, nor a start count of 0.
    public static func outcome(of status: UpstreamStatus, startCount: Int64?, remains: Int64?,
                               for order: OrderState) -> UpstreamOutcome {
        let target: OrderStatus
        switch status {
        case .unknown(let word):
            return .review("unknown upstream status \"\(word)\"")
        case .refunded:
            target = .canceled
        case .known(let known):
            target = known
        }
        // Before delivery starts a panel's columns hold defaults ("0"): remains are not news
        // then, nor a start count of 0 (ours is 0 already, and a known one is not erased).
        let started = target != .pending && target != .processing
        var change = OrderChange(status: target, startCount: startCount.flatMap { $0 > 0 || ($0 == 0 && started) ? $0 : nil },
                                 remains: nil)
        switch target {
        case .completed:
            change.remains = min(remains ?? 0, 0)
        case .partial:
            guard let remains else { return .review("upstream reports Partial without a usable remains") }
            if remains <= 0 {
                change.status = .completed
                change.remains = remains
            } else if remains >= order.quantity {
                change.status = .canceled
            } else {
                change.remains = remains
            }
        case .canceled:
            break
        default:
            if started, let remains, remains <= order.quantity { change.remains = remains }
        }
        if order.status.isFinal { return .unchanged }
        // Steps backwards (In progress → Pending) are the upstream's noise, not news.
        if let next = change.status, OrderLifecycle.progress(of: next) < OrderLifecycle.progress(of: order.status) {
            change.status = nil
        }
        let news = (change.status != nil && change.status != order.status)
            || (change.remains != nil && change.remains != order.remains)
            || (change.startCount != nil && change.startCount != order.startCount)
        guard news else { return .unchanged }
        return .apply(change)
    }
}
