/// An upstream panel this panel resells.
public struct Provider: Sendable, Hashable {
    public var id: ProviderID
    public var name: String
    public var url: String
    /// The key of our account at the provider. Stored in clear because every call needs it.
    public var apiKey: String
    public var enabled: Bool
    /// Whether the provider answers a repeated `request_id` with the first order instead of a
    /// new one (SMMPanel does). Only then is an interrupted send safe to repeat.
    public var honorsRequestID: Bool
    /// How the provider's numeric status codes read; empty: numeric statuses go to review.
    public var statusCodes: [Int: OrderStatus]
    /// Last balance seen at the provider, as it sent it.
    public var balance: String?
    public var currency: String?
    public var balanceCheckedAt: Int64?
    /// What needs the operator (its balance ran out, it refuses our key); empty when fine.
    public var alert: String
    public var createdAt: Int64
    /// The operator lets calls go over plain http (the key then travels in clear).
    public var allowHTTP: Bool = false
    /// The operator lets calls go to loopback, private or link-local addresses.
    public var allowPrivateAddress: Bool = false
    /// Calls to this provider in flight at once, as the operator set it; nil: the default
    /// (`Provider.defaultConcurrency`).
    public var concurrency: Int?

    /// Sends in flight at once by default: one for a provider that does not honour
    /// `request_id` (a real panel's `add` races under concurrent sends, and a lost answer
    /// there holds the order), `honoring` for one that does.
    public func effectiveConcurrency(honoring: Int) -> Int {
        concurrency ?? (honorsRequestID ? honoring : 1)
    }

    /// The range `--concurrency` accepts.
    public static let concurrencyRange = 1...32

    public init(id: ProviderID, name: String, url: String, apiKey: String, enabled: Bool, honorsRequestID: Bool, statusCodes: [Int: OrderStatus], balance: String? = nil, currency: String? = nil, balanceCheckedAt: Int64? = nil, alert: String, createdAt: Int64, allowHTTP: Bool = false, allowPrivateAddress: Bool = false, concurrency: Int? = nil) {
        self.id = id
        self.name = name
        self.url = url
        self.apiKey = apiKey
        self.enabled = enabled
        self.honorsRequestID = honorsRequestID
        self.statusCodes = statusCodes
        self.balance = balance
        self.currency = currency
        self.balanceCheckedAt = balanceCheckedAt
        self.alert = alert
        self.createdAt = createdAt
        self.allowHTTP = allowHTTP
        self.allowPrivateAddress = allowPrivateAddress
        self.concurrency = concurrency
    }
}

extension Provider {
    /// A provider not stored yet, to try its key before `createProvider` (`provider add`).
    public init(candidateNamed name: String, url: String, apiKey: String, honorsRequestID: Bool, allowHTTP: Bool, allowPrivateAddress: Bool) {
        self.init(id: 0, name: name, url: url, apiKey: apiKey, enabled: true, honorsRequestID: honorsRequestID, statusCodes: [:],
                  balance: nil, currency: nil, balanceCheckedAt: nil, alert: "", createdAt: 0, allowHTTP: allowHTTP,
                  allowPrivateAddress: allowPrivateAddress, concurrency: nil)
    }
}

/// The state of an order's (or a refill's) journey to its provider; refills take `queued`,
/// `sent`, `failed` and `closed`.
public enum UpstreamState: String, Sendable, CaseIterable {
    /// Waiting to be sent (first time or after a retryable failure).
    case queued
    /// Claimed by a sender that is calling the provider now.
    case sending
    /// The provider has it; status sync follows it.
    case sent
    /// Waiting for the operator, with a reason (ambiguous send, provider out of funds…).
    case held
    /// The provider refused it for good; the order was canceled and refunded.
    case failed
    /// Nothing more to do: the order is final.
    case closed
}

/// Where a customer's cancel of a provider's order stands (nil: none asked).
public enum UpstreamCancelState: String, Sendable, CaseIterable {
    /// Waiting to be forwarded (first time or after a `retry`).
    case requested
    /// Claimed by a sender that is calling the provider's `cancel` now.
    case sending
    /// The provider took it; its Canceled status brings the refund.
    case accepted
    /// The provider said no: the customer cannot ask again.
    case refused
}

/// An order claimed for sending, with everything the `add` call needs.
public struct DispatchJob: Sendable, Hashable {
    public var order: Order
    public var providerID: ProviderID
    public var upstreamService: String
    public var requestID: String
    /// This claim's attempt number; results are recorded only for the matching attempt.
    public var attempt: Int64

    public init(order: Order, providerID: ProviderID, upstreamService: String, requestID: String, attempt: Int64) {
        self.order = order
        self.providerID = providerID
        self.upstreamService = upstreamService
        self.requestID = requestID
        self.attempt = attempt
    }
}

/// A sent order due for a status check.
public struct SyncItem: Sendable, Hashable {
    public var order: Order
    public var upstreamOrderID: String

    public init(order: Order, upstreamOrderID: String) {
        self.order = order
        self.upstreamOrderID = upstreamOrderID
    }
}

/// A refill to forward, or to check, at the provider.
public struct RefillJob: Sendable, Hashable {
    public var refillID: RefillID
    public var providerID: ProviderID
    public var upstreamOrderID: String
    public var upstreamRefillID: String?
    public var attempt: Int64

    public init(refillID: RefillID, providerID: ProviderID, upstreamOrderID: String, upstreamRefillID: String? = nil, attempt: Int64) {
        self.refillID = refillID
        self.providerID = providerID
        self.upstreamOrderID = upstreamOrderID
        self.upstreamRefillID = upstreamRefillID
        self.attempt = attempt
    }
}

/// A customer's cancel request waiting to be forwarded.
public struct CancelJob: Sendable, Hashable {
    public var orderID: OrderID
    public var upstreamOrderID: String
    /// How many times this cancel has been claimed, this one included (for backoff).
    public var attempt: Int64

    public init(orderID: OrderID, upstreamOrderID: String, attempt: Int64) {
        self.orderID = orderID
        self.upstreamOrderID = upstreamOrderID
        self.attempt = attempt
    }
}

/// An order that needs the operator, with the reason.
public struct AttentionItem: Sendable, Hashable {
    public var orderID: OrderID
    public var userID: UserID
    public var providerName: String
    public var state: UpstreamState
    public var review: Bool
    public var upstreamOrderID: String?
    public var upstreamStatus: String
    public var reason: String
    public var updatedAt: Int64

    public init(orderID: OrderID, userID: UserID, providerName: String, state: UpstreamState, review: Bool, upstreamOrderID: String? = nil, upstreamStatus: String, reason: String, updatedAt: Int64) {
        self.orderID = orderID
        self.userID = userID
        self.providerName = providerName
        self.state = state
        self.review = review
        self.upstreamOrderID = upstreamOrderID
        self.upstreamStatus = upstreamStatus
        self.reason = reason
        self.updatedAt = updatedAt
    }
}

/// What the upstream said about one order in a status answer.
public struct UpstreamReport: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case status(UpstreamStatus, label: String, startCount: Int64?, remains: Int64?, charge: Money?, children: [String])
        case error(String)
    }
    public var content: Content
    /// The provider's own words about this order (its entry of a multi-id answer); empty when
    /// unknown.
    public var raw = ""

    public init(_ content: Content) { self.content = content }
}

extension UpstreamReport: CustomStringConvertible {
    /// The report in the shape of a status answer for one order (kept as an order's last
    /// response when a call answered for many). Written out, not reflected: `String(describing:)`
    /// of the enum is costly in bulk (status sync; BENCHMARKS.md) and unreadable for an operator.
    public var description: String {
        switch content {
        case .error(let message):
            return "{\"error\":\(JSONString.quoted(message))}"
        case let .status(_, label, startCount, remains, charge, children):
            var fields = ["\"status\":\(JSONString.quoted(label))"]
            if let startCount { fields.append("\"start_count\":\"\(startCount)\"") }
            if let remains { fields.append("\"remains\":\"\(remains)\"") }
            if let charge { fields.append("\"charge\":\"\(charge.apiString)\"") }
            if !children.isEmpty { fields.append("\"orders\":[" + children.map(JSONString.quoted).joined(separator: ",") + "]") }
            return "{" + fields.joined(separator: ",") + "}"
        }
    }
}

/// The provider-side view of an order, for the operator: cost, profit, upstream ids.
public struct UpstreamOrderInfo: Sendable, Hashable {
    public var orderID: OrderID
    public var providerName: String
    public var state: UpstreamState
    public var upstreamOrderID: String?
    public var upstreamStatus: String
    public var cost: Money?
    public var reason: String
    public var lastResponse: String
    public var attempts: Int64

    public init(orderID: OrderID, providerName: String, state: UpstreamState, upstreamOrderID: String? = nil, upstreamStatus: String, cost: Money? = nil, reason: String, lastResponse: String, attempts: Int64) {
        self.orderID = orderID
        self.providerName = providerName
        self.state = state
        self.upstreamOrderID = upstreamOrderID
        self.upstreamStatus = upstreamStatus
        self.cost = cost
        self.reason = reason
        self.lastResponse = lastResponse
        self.attempts = attempts
    }
}

/// A provider's answer to a forwarded cancel.
public enum CancelOutcome: Sendable, Hashable {
    case accepted
    case refused(String)
    /// Not now (`wait`, or no answer), with why.
    case retry(String)
}

/// A change of status (and the refund it made) that a provider's report caused, for the log.
public struct ReportedChange: Sendable, Hashable {
    public var orderID: OrderID
    public var from: OrderStatus
    public var to: OrderStatus
    /// What went back to the customer's balance (zero for a drip-feed run: its parent pays).
    public var refund: Money

    public init(orderID: OrderID, from: OrderStatus, to: OrderStatus, refund: Money) {
        self.orderID = orderID
        self.from = from
        self.to = to
        self.refund = refund
    }
}

/// One report of a status call.
public struct ReportedOrder: Sendable {
    public var orderID: OrderID
    public var report: UpstreamReport
    public var raw: String

    public init(orderID: OrderID, report: UpstreamReport, raw: String) {
        self.orderID = orderID
        self.report = report
        self.raw = raw
    }
}
