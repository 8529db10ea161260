/// Why an operator-side rule refused: a stable key and its named values, so each page can say
/// it in its own language, while the CLI and API say `english`, always the same words.
///
/// Only the typed constructors below make one, so a key cannot be misspelled.
public struct Refusal: Equatable, Sendable, CustomStringConvertible {
    public let key: Key
    public let values: [String: String]

    /// Values with these names are statuses (`Pending`, `In progress`…); pages show them in
    /// their own language, as in their status columns.
    public static let statusValueNames: Set<String> = ["status", "target"]

    private init(_ key: Key, _ values: [String: String] = [:]) {
        self.key = key
        self.values = values
    }

    /// The CLI's and API's text (and the English page's).
    public var english: String { key.template.filling(values) }

    public var description: String { english }

    /// Every refusal, with its English template: the one place these sentences are written.
    public enum Key: String, CaseIterable, Sendable {
        case negativeRate = "negative_rate"
        case minBelowOne = "min_below_one"
        case maxBelowMin = "max_below_min"
        case refillDaysRange = "refill_days_range"
        case categoryNameLength = "category_name_length"
        case categoryExists = "category_exists"
        case noCategory = "no_category"
        case serviceNeedsName = "service_needs_name"
        case serviceNeedsCategory = "service_needs_category"
        case serviceNeedsTerms = "service_needs_terms"
        case serviceNameLength = "service_name_length"
        case orderFinal = "order_final"
        case statusNotForOrder = "status_not_for_order"
        case statusNotForSubscription = "status_not_for_subscription"
        case orderMovesForward = "order_moves_forward"
        case negativeStartCount = "negative_start_count"
        case completedWithRemains = "completed_with_remains"
        case partialRemains = "partial_remains"
        case orderBeingSent = "order_being_sent"
        case dripFeedStarted = "drip_feed_started"
        case usernameLength = "username_length"
        case userExists = "user_exists"
        case amountRange = "amount_range"
        case amountNotPositive = "amount_not_positive"
        case balanceLimit = "balance_limit"
        case providerNameLength = "provider_name_length"
        case providerURL = "provider_url"
        case providerNeedsKey = "provider_needs_key"
        case providerExists = "provider_exists"
        case markupRange = "markup_range"
        case serviceNotFromProvider = "service_not_from_provider"
        case orderNotHeld = "order_not_held"
        case upstreamIDNeeded = "upstream_id_needed"
        case paymentDecided = "payment_decided"
        case noPaymentRequest = "no_payment_request"
        case keyNameLength = "key_name_length"
        case tooManyKeys = "too_many_keys"
        case noLiveKey = "no_live_key"
        case refillCannotMove = "refill_cannot_move"

        /// The English sentence, with `{name}` placeholders for the values.
        public var template: String {
            switch self {
            case .negativeRate: return "rate must not be negative"
            case .minBelowOne: return "min must be at least 1"
            case .maxBelowMin: return "max must be at least min"
            case .refillDaysRange: return "refill days must be between 0 and {max}"
            case .categoryNameLength: return "a category name needs 1 to {max} characters"
            case .categoryExists: return "a category named {name} exists already"
            case .noCategory: return "no category {id}"
            case .serviceNeedsName: return "a service needs a name (1 to {max} characters)"
            case .serviceNeedsCategory: return "a service needs a category"
            case .serviceNeedsTerms: return "a service needs a type, a rate, a min and a max"
            case .serviceNameLength: return "a service name needs 1 to {max} characters"
            case .orderFinal: return "order is {status} already; a final order does not change"
            case .statusNotForOrder: return "status {status} does not apply to an order"
            case .statusNotForSubscription: return "status {status} does not apply to a subscription"
            case .orderMovesForward: return "an order moves forward only: {status} cannot go back to {target}"
            case .negativeStartCount: return "start count must not be negative"
            case .completedWithRemains: return "a Completed order has nothing left to deliver; with remains {remains} it is Partial"
            case .partialRemains: return "a Partial order needs remains between 1 and {max}; nothing delivered is Canceled"
            case .orderBeingSent: return "order {id} is being sent to its provider right now; try again in a minute"
            case .dripFeedStarted:
                return "drip-feed order {id} has started: update its runs (child orders), or set it Canceled to stop the remaining runs"
            case .usernameLength: return "a username needs 1 to {max} characters"
            case .userExists: return "a user named {name} exists already"
            case .amountRange: return "the amount must be greater than 0 and at most {max}"
            case .amountNotPositive: return "the amount must be greater than 0"
            case .balanceLimit: return "the balance would exceed {max}"
            case .providerNameLength: return "a provider name needs 1 to {max} characters"
            case .providerURL: return "a provider URL starts with https:// (or http:// for a local test panel)"
            case .providerNeedsKey: return "a provider needs its API key"
            case .providerExists: return "a provider named {name} exists already"
            case .markupRange: return "markup out of range"
            case .serviceNotFromProvider: return "service {id} is not sold from a provider"
            case .orderNotHeld: return "order {id} is not held for its provider"
            case .upstreamIDNeeded: return "an upstream order id is needed"
            case .paymentDecided: return "payment request {id} was decided already"
            case .noPaymentRequest: return "no payment request {id}"
            case .keyNameLength: return "a key name needs 1 to {max} printable characters"
            case .tooManyKeys: return "a user may hold at most {max} live keys; revoke one first"
            case .noLiveKey: return "user {user} has no live key {key}"
            case .refillCannotMove: return "refill {id} is {status}; it cannot become {target}"
            }
        }
    }

    // MARK: Catalog

    public static let negativeRate = Refusal(.negativeRate)
    public static let minBelowOne = Refusal(.minBelowOne)
    public static let maxBelowMin = Refusal(.maxBelowMin)
    public static func refillDaysRange(max: Int) -> Refusal { Refusal(.refillDaysRange, ["max": String(max)]) }
    public static func categoryNameLength(max: Int) -> Refusal { Refusal(.categoryNameLength, ["max": String(max)]) }
    public static func categoryExists(name: String) -> Refusal { Refusal(.categoryExists, ["name": name]) }
    public static func noCategory(id: CategoryID) -> Refusal { Refusal(.noCategory, ["id": String(id)]) }
    public static func serviceNeedsName(max: Int) -> Refusal { Refusal(.serviceNeedsName, ["max": String(max)]) }
    public static let serviceNeedsCategory = Refusal(.serviceNeedsCategory)
    public static let serviceNeedsTerms = Refusal(.serviceNeedsTerms)
    public static func serviceNameLength(max: Int) -> Refusal { Refusal(.serviceNameLength, ["max": String(max)]) }

    // MARK: Orders

    public static func orderFinal(_ status: OrderStatus) -> Refusal { Refusal(.orderFinal, ["status": status.rawValue]) }
    public static func statusNotApplicable(_ status: OrderStatus, subscription: Bool) -> Refusal {
        Refusal(subscription ? .statusNotForSubscription : .statusNotForOrder, ["status": status.rawValue])
    }
    public static func orderMovesForward(from status: OrderStatus, to target: OrderStatus) -> Refusal {
        Refusal(.orderMovesForward, ["status": status.rawValue, "target": target.rawValue])
    }
    public static let negativeStartCount = Refusal(.negativeStartCount)
    public static func completedWithRemains(_ remains: Int64) -> Refusal { Refusal(.completedWithRemains, ["remains": String(remains)]) }
    public static func partialRemains(max: Int64) -> Refusal { Refusal(.partialRemains, ["max": String(max)]) }
    public static func orderBeingSent(id: OrderID) -> Refusal { Refusal(.orderBeingSent, ["id": String(id)]) }
    public static func dripFeedStarted(id: OrderID) -> Refusal { Refusal(.dripFeedStarted, ["id": String(id)]) }

    // MARK: Users and balances

    public static func usernameLength(max: Int) -> Refusal { Refusal(.usernameLength, ["max": String(max)]) }
    public static func userExists(name: String) -> Refusal { Refusal(.userExists, ["name": name]) }
    public static func amountRange(max: Money) -> Refusal { Refusal(.amountRange, ["max": max.apiString]) }
    public static let amountNotPositive = Refusal(.amountNotPositive)
    public static func balanceLimit(max: Money) -> Refusal { Refusal(.balanceLimit, ["max": max.apiString]) }

    // MARK: Providers

    public static func providerNameLength(max: Int) -> Refusal { Refusal(.providerNameLength, ["max": String(max)]) }
    public static let providerURL = Refusal(.providerURL)
    public static let providerNeedsKey = Refusal(.providerNeedsKey)
    public static func providerExists(name: String) -> Refusal { Refusal(.providerExists, ["name": name]) }
    public static let markupRange = Refusal(.markupRange)
    public static func serviceNotFromProvider(id: ServiceID) -> Refusal { Refusal(.serviceNotFromProvider, ["id": String(id)]) }
    public static func orderNotHeld(id: OrderID) -> Refusal { Refusal(.orderNotHeld, ["id": String(id)]) }
    public static let upstreamIDNeeded = Refusal(.upstreamIDNeeded)

    // MARK: Payments, keys, refills

    public static func paymentDecided(id: PaymentRequestID) -> Refusal { Refusal(.paymentDecided, ["id": String(id)]) }
    public static func noPaymentRequest(id: PaymentRequestID) -> Refusal { Refusal(.noPaymentRequest, ["id": String(id)]) }
    public static func keyNameLength(max: Int) -> Refusal { Refusal(.keyNameLength, ["max": String(max)]) }
    public static func tooManyKeys(max: Int) -> Refusal { Refusal(.tooManyKeys, ["max": String(max)]) }
    public static func noLiveKey(userID: UserID, keyID: APIKeyID) -> Refusal {
        Refusal(.noLiveKey, ["user": String(userID), "key": String(keyID)])
    }
    public static func refillCannotMove(id: RefillID, from status: RefillStatus, to target: RefillStatus) -> Refusal {
        Refusal(.refillCannotMove, ["id": String(id), "status": status.rawValue, "target": target.rawValue])
    }
}

extension String {
    /// The text with each `{name}` placeholder that has a value replaced by it, in one pass: a
    /// value is never read for placeholders itself (a category may be named `{max}`), and any
    /// other `{…}` stays as written.
    public func filling(_ values: [String: String]) -> String {
        guard !values.isEmpty, contains("{") else { return self }
        var text = ""
        var rest = self[...]
        while let open = rest.firstIndex(of: "{") {
            text += rest[..<open]
            let inside = rest.index(after: open)
            if let close = rest[inside...].firstIndex(of: "}"), let value = values[String(rest[inside..<close])] {
                text += value
                rest = rest[rest.index(after: close)...]
            } else {
                text += "{"
                rest = rest[inside...]
            }
        }
        return text + rest
    }

    /// The names of the `{name}` placeholders (letters, digits and `_`) a template holds.
    public var placeholderNames: Set<String> {
        var names = Set<String>()
        var rest = self[...]
        while let open = rest.firstIndex(of: "{") {
            rest = rest[rest.index(after: open)...]
            guard let close = rest.firstIndex(of: "}") else { break }
            let name = rest[..<close]
            if !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) { names.insert(String(name)) }
        }
        return names
    }
}
