/// Order statuses, spelled as the wire spells them (contract §4). Subscriptions use their own
/// subset; one enum keeps storage and the status action uniform.
public enum OrderStatus: String, Sendable, CaseIterable, Codable {
    case pending = "Pending"
    case inProgress = "In progress"
    case processing = "Processing"
    case completed = "Completed"
    case partial = "Partial"
    case canceled = "Canceled"
    // Subscriptions only.
    case active = "Active"
    case paused = "Paused"
    case expired = "Expired"

    /// Accepts the wire spelling in any case, `_`/`-` for spaces, and `Cancelled`.
    public init?(label: String) {
        if let exact = OrderStatus(rawValue: label) { self = exact; return }
        switch statusKey(label) {
        case "pending": self = .pending
        case "inprogress": self = .inProgress
        case "processing": self = .processing
        case "completed": self = .completed
        case "partial": self = .partial
        case "canceled", "cancelled": self = .canceled
        case "active": self = .active
        case "paused": self = .paused
        case "expired": self = .expired
        default: return nil
        }
    }

    /// No change of status follows these; their money is settled.
    public var isFinal: Bool {
        switch self {
        case .completed, .partial, .canceled, .expired: return true
        default: return false
        }
    }

    /// The statuses an ordinary (non-subscription) order can take.
    public static let orderStatuses: [OrderStatus] = [.pending, .inProgress, .processing, .completed, .partial, .canceled]
    /// The statuses a subscription can take.
    public static let subscriptionStatuses: [OrderStatus] = [.active, .paused, .completed, .expired, .canceled]
    /// Not final: the order still occupies its link (see the one-active-order rule).
    public static let activeStatuses: [OrderStatus] = [.pending, .inProgress, .processing, .active, .paused]
}

public enum RefillStatus: String, Sendable, CaseIterable, Codable {
    case pending = "Pending"
    case inProgress = "In progress"
    case completed = "Completed"
    case rejected = "Rejected"
    case canceled = "Canceled"

    public init?(label: String) {
        if let exact = RefillStatus(rawValue: label) { self = exact; return }
        switch statusKey(label) {
        case "pending": self = .pending
        case "inprogress": self = .inProgress
        case "completed": self = .completed
        case "rejected": self = .rejected
        case "canceled", "cancelled": self = .canceled
        default: return nil
        }
    }

    public var isFinal: Bool { self == .completed || self == .rejected || self == .canceled }

    /// A refill in one of these blocks another refill of the same order.
    public static let openStatuses: [RefillStatus] = [.pending, .inProgress]

    /// Refill state machine: open refills move forward; final ones never change.
    public func canMove(to next: RefillStatus) -> Bool {
        switch (self, next) {
        case (.pending, .inProgress), (.pending, .completed), (.pending, .rejected), (.pending, .canceled),
             (.inProgress, .completed), (.inProgress, .rejected), (.inProgress, .canceled):
            return true
        default:
            return false
        }
    }
}

/// A status word as typed by an operator or sent by an upstream, reduced for matching:
/// `In progress`, `in_progress` and `inprogress` all become `inprogress`.
func statusKey(_ label: String) -> String {
    String(label.lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" })
}
