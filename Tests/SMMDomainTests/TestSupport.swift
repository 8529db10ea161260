@testable import SMMDomain

/// Shorthand for a Money literal written as the wire writes it. Traps on a typo in a test.
func money(_ text: String) -> Money {
    guard let value = Money(parsing: text) else { fatalError("bad money literal in test: \(text)") }
    return value
}

/// A service as the validator sees it; defaults are the contract's example (rate 0.90, 50…10000).
func terms(_ type: ServiceType, id: ServiceID = 7, rate: String = "0.90", min: Int64 = 50, max: Int64 = 10_000,
           dripFeed: Bool = false, refill: Bool = false, refillDays: Int = 30, cancel: Bool = false) -> ServiceTerms {
    ServiceTerms(id: id, type: type, rate: money(rate), min: min, max: max,
                 dripFeed: dripFeed, refill: refill, refillDays: refillDays, cancel: cancel)
}

/// The validator's answer as a Result, so tests can compare exact errors and messages.
func validate(_ raw: [String: String], _ service: ServiceTerms) -> Result<NewOrder, PanelError> {
    do {
        return .success(try OrderValidator.validate(raw, for: service))
    } catch {
        return .failure(error)
    }
}

/// The error the validator raises, or nil when it accepts the request.
func validationError(_ raw: [String: String], _ service: ServiceTerms) -> PanelError? {
    if case .failure(let error) = validate(raw, service) { return error }
    return nil
}

/// The order the validator builds, or nil when it refuses the request.
func validOrder(_ raw: [String: String], _ service: ServiceTerms) -> NewOrder? {
    try? validate(raw, service).get()
}

/// The lifecycle's answer as a Result.
func lifecycle(_ change: OrderChange, _ state: OrderState) -> Result<OrderTransition, PanelError> {
    do {
        return .success(try OrderLifecycle.apply(change, to: state))
    } catch {
        return .failure(error)
    }
}

func lifecycleError(_ change: OrderChange, _ state: OrderState) -> PanelError? {
    if case .failure(let error) = lifecycle(change, state) { return error }
    return nil
}

let sampleLink = "https://instagram.com/p/Cx1_abc/"
