/// The sentences the panel writes for its operator (review reasons on upstream orders) and on
/// ledger rows, in one place: storage records them, never words them.
public enum OperatorNote {
    /// The provider answers `status` for this order with an error.
    public static func providerError(_ message: String) -> String {
        "the provider answers for this order: \(message.prefix(500))"
    }

    /// The provider's status cannot apply to the order (it would break the order's rules).
    public static func reportCannotApply(_ error: PanelError) -> String {
        "the provider's report cannot apply: \(error.message)"
    }

    /// A drip-feed or subscription whose provider names more child orders than it can have.
    public static func tooManyChildOrders(cap: Int) -> String {
        "the provider reports more child orders than the \(cap) this order can have; the rest are not mirrored"
    }

    public static func cancelRefused(_ message: String) -> String {
        "the provider refused the cancel: \(message.prefix(500))"
    }

    public static func unknownRefillStatus(_ label: String) -> String {
        "unknown upstream refill status \"\(label.prefix(100))\""
    }
}

/// The memo of a ledger row the panel writes itself.
public enum LedgerMemo {
    public static func charge(orderID: OrderID) -> String { "order \(orderID)" }
    /// A refund as the order became `status`.
    public static func refund(orderID: OrderID, status: OrderStatus) -> String { "order \(orderID) \(status.rawValue)" }
    public static func paymentRequest(id: PaymentRequestID, method: String) -> String { "payment request \(id) (\(method))" }
}
