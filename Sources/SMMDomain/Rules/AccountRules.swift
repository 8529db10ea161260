/// Who may have an account, and how money is put on it or taken off by hand.
public enum AccountRules {
    public static let maxUsername = 64

    /// A username as stored: trimmed, 1 to `maxUsername` characters.
    public static func username(_ text: String) throws -> String {
        let name = text.trimmingSpaces()
        guard !name.isEmpty, name.count <= maxUsername else { throw PanelError.rejected(.usernameLength(max: maxUsername)) }
        return name
    }

    /// The text with A–Z folded to a–z and nothing else changed: usernames are unique that way.
    public static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// A key's name: trimmed, 1 to `APIKeyLimits.maxNameLength` characters, no control characters.
    public static func keyName(_ text: String) throws -> String {
        let name = text.trimmingSpaces()
        guard !name.isEmpty, name.count <= APIKeyLimits.maxNameLength, !name.containsControlCharacter else {
            throw PanelError.rejected(.keyNameLength(max: APIKeyLimits.maxNameLength))
        }
        return name
    }

    /// A deposit by hand: more than zero, at most the largest balance.
    public static func deposit(_ amount: Money) throws -> Money {
        guard amount > .zero, amount <= Money.maximumBalance else { throw PanelError.rejected(.amountRange(max: Money.maximumBalance)) }
        return amount
    }

    /// A deduction by hand: more than zero (the balance must cover it, checked as it is taken).
    public static func deduction(_ amount: Money) throws -> Money {
        guard amount > .zero else { throw PanelError.rejected(.amountNotPositive) }
        return amount
    }
}

/// A payment request as a customer may file it: every field checked.
public struct NewPaymentRequest: Sendable, Hashable {
    public let method: String
    public let amount: Money
    public let reference: String

    /// The payment methods a customer may name; the operator knows how to check each.
    public static let methods = ["Bank transfer", "PayPal", "Crypto", "Cash", "Other"]
    /// Open requests a customer may have at once: enough for real use, too few to flood the queue.
    public static let maxPending = 5
    public static let maxReference = 200
    public static let maxDecisionNote = 500

    public init(method: String, amount: Money, reference: String) throws {
        let method = method.trimmingSpaces(), reference = reference.trimmingSpaces()
        guard Self.methods.contains(method) else { throw PanelError.incorrectField("method") }
        guard amount > .zero, amount <= Money.maximumBalance else { throw PanelError.incorrectField("amount") }
        guard !reference.isEmpty, reference.count <= Self.maxReference else { throw PanelError.incorrectField("reference") }
        self.method = method
        self.amount = amount
        self.reference = reference
    }

    /// The admin's note on a decision, trimmed and cut to `maxDecisionNote`.
    public static func decisionNote(_ text: String) -> String {
        String(text.trimmingSpaces().prefix(maxDecisionNote))
    }
}

/// A provider as the operator may add it: every field checked (the address is resolved and
/// checked by the provider client, before this and at every call).
public struct NewProvider: Sendable, Hashable {
    public let name: String
    public let url: String
    public let apiKey: String
    public let honorsRequestID: Bool
    public let statusCodes: [Int: OrderStatus]
    public let allowHTTP: Bool
    public let allowPrivateAddress: Bool
    public let concurrency: Int?

    public static let maxName = 64
    public static let maxURL = 2048
    public static let maxKey = 512

    public init(name: String, url: String, apiKey: String, honorsRequestID: Bool, statusCodes: [Int: OrderStatus] = [:],
                allowHTTP: Bool = false, allowPrivateAddress: Bool = false, concurrency: Int? = nil) throws {
        let name = name.trimmingSpaces(), url = url.trimmingSpaces(), apiKey = apiKey.trimmingSpaces()
        guard !name.isEmpty, name.count <= Self.maxName else { throw PanelError.rejected(.providerNameLength(max: Self.maxName)) }
        guard url.lowercased().hasPrefix("https://") || (allowHTTP && url.lowercased().hasPrefix("http://")), url.count <= Self.maxURL else {
            throw PanelError.rejected(.providerURL)
        }
        guard !apiKey.isEmpty, apiKey.count <= Self.maxKey else { throw PanelError.rejected(.providerNeedsKey) }
        try Self.checkConcurrency(concurrency)
        self.name = name
        self.url = url
        self.apiKey = apiKey
        self.honorsRequestID = honorsRequestID
        self.statusCodes = statusCodes
        self.allowHTTP = allowHTTP
        self.allowPrivateAddress = allowPrivateAddress
        self.concurrency = concurrency
    }

    /// A call limit the operator may set (nil: the default).
    public static func checkConcurrency(_ concurrency: Int?) throws {
        if let concurrency, !Provider.concurrencyRange.contains(concurrency) { throw PanelError.incorrectField("concurrency") }
    }
}
