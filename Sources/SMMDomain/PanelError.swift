/// Every failure a customer or operator can see, with the contract's wording (§6).
///
/// Clients match these messages as substrings, so the text of the contract's cases must never
/// change.
public enum PanelError: Error, Equatable, Sendable, CustomStringConvertible {
    case incorrectRequest
    case invalidAPIKey
    case incorrectServiceID
    case incorrectLink
    case quantityBelowMinimum(Int64)
    case quantityAboveMaximum(Int64)
    case notEnoughFunds
    case activeOrderWithLink
    case incorrectOrderID
    case refillNotFound
    case refillNotAvailable
    case cancelNotAvailable
    case tooManyIDs
    case missingField(String)
    /// A field is present but unusable: `Incorrect quantity`, `Incorrect delay`…
    case incorrectField(String)
    case dripFeedNotAvailable
    case tooManyRequests
    /// A customer's payment requests already waiting for review (the most one may have open);
    /// a customer sees it, so the web shows it in the customer's language.
    case paymentRequestsWaiting(Int64)
    /// An operator-side rule: the CLI and API say its English sentence, the web its page's
    /// language.
    case rejected(Refusal)

    public var message: String {
        switch self {
        case .incorrectRequest: return "Incorrect request"
        case .invalidAPIKey: return "Invalid API key"
        case .incorrectServiceID: return "Incorrect service ID"
        case .incorrectLink: return "Incorrect link"
        case .quantityBelowMinimum(let min): return "Quantity less than minimal \(min)"
        case .quantityAboveMaximum(let max): return "Quantity more than maximum \(max)"
        case .notEnoughFunds: return "Not enough funds on balance"
        case .activeOrderWithLink: return "You have active order with this link. Please wait until order being completed."
        case .incorrectOrderID: return "Incorrect order ID"
        case .refillNotFound: return "Refill not found"
        case .refillNotAvailable: return "Refill is not available for this order"
        case .cancelNotAvailable: return "Cancel is not available for this order"
        case .tooManyIDs: return "Too many ids (maximum \(IDList.maximumCount))"
        case .missingField(let name): return "Missing required field: \(name)"
        case .incorrectField(let name): return "Incorrect \(name)"
        case .dripFeedNotAvailable: return "Drip-feed is not available for this service"
        case .tooManyRequests: return "Too many requests"
        case .paymentRequestsWaiting(let count): return "You have \(count) payment requests waiting; wait until they are reviewed"
        case .rejected(let refusal): return refusal.english
        }
    }

    public var description: String { message }
}
