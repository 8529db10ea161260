/// Why a ledger row moved money.
public enum LedgerKind: String, Sendable {
    case deposit, deduction, charge, refund
}

/// One ledger row, for the customer's funds page and the admin ledger.
public struct LedgerEntry: Sendable, Hashable {
    public var id: LedgerEntryID
    public var userID: UserID
    public var username: String
    public var amount: Money
    public var balanceAfter: Money
    public var kind: String
    public var orderID: OrderID?
    public var memo: String
    public var createdAt: Int64

    public init(id: LedgerEntryID, userID: UserID, username: String, amount: Money, balanceAfter: Money, kind: String, orderID: OrderID? = nil, memo: String, createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.username = username
        self.amount = amount
        self.balanceAfter = balanceAfter
        self.kind = kind
        self.orderID = orderID
        self.memo = memo
        self.createdAt = createdAt
    }
}

/// Who did something, as the audit log writes it: `cli`, `admin:<user id>`, `api:<user id>`
/// or `system` (workers, migrations).
public enum AuditActor: Sendable, Hashable, CustomStringConvertible {
    case cli
    case admin(UserID)
    case api(UserID)
    /// A customer acting on the web site.
    case web(UserID)
    case system

    public var description: String {
        switch self {
        case .cli: return "cli"
        case .admin(let id): return "admin:\(id)"
        case .api(let id): return "api:\(id)"
        case .web(let id): return "web:\(id)"
        case .system: return "system"
        }
    }

    /// The actor of the work this task does. Balance changes happen deep inside order, refund
    /// and deposit transactions; rather than thread an actor through every store call, each
    /// entry point (an API call, a CLI command, an admin request) sets it once around its work
    /// with `AuditActor.$current.withValue(…)`, and `Ledger` reads it.
    @TaskLocal public static var current: AuditActor = .system
}

/// One row of the audit log.
public struct AuditEntry: Sendable, Hashable {
    public var id: AuditEntryID
    public var createdAt: Int64
    public var actor: String
    public var action: String
    public var target: String
    /// For balance changes: the balance in minor units; for other changes: the target row as
    /// JSON (secrets left out). Nil before a creation, and after an action whose outcome was
    /// never recorded (the process died between the change and its record).
    public var before: String?
    public var after: String?
    public var ledgerID: LedgerEntryID?

    public init(id: AuditEntryID, createdAt: Int64, actor: String, action: String, target: String, before: String? = nil, after: String? = nil, ledgerID: LedgerEntryID? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.actor = actor
        self.action = action
        self.target = target
        self.before = before
        self.after = after
        self.ledgerID = ledgerID
    }
}
