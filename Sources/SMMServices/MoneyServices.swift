import SMMDomain
import SMMStorage

/// Balances changed by hand (an operator's deposit or deduction), each with its ledger row.
public struct LedgerService: Sendable {
    let repository: any LedgerRepository

    public init(repository: any LedgerRepository) {
        self.repository = repository
    }

    /// Returns the new balance.
    public func addFunds(userID: UserID, amount: Money, memo: String) async throws -> Money {
        try await repository.addFunds(userID: userID, amount: try AccountRules.deposit(amount), memo: memo)
    }

    /// Refused when the balance does not cover it. Returns the new balance.
    public func deductFunds(userID: UserID, amount: Money, memo: String) async throws -> Money {
        try await repository.deductFunds(userID: userID, amount: try AccountRules.deduction(amount), memo: memo)
    }
}

/// Payment requests: a customer files one, an admin approves (crediting it once) or rejects it.
public struct PaymentService: Sendable {
    let repository: any PaymentRepository

    public init(repository: any PaymentRepository) {
        self.repository = repository
    }

    public func file(userID: UserID, method: String, amount: Money, reference: String) async throws -> PaymentRequest {
        let request = try NewPaymentRequest(method: method, amount: amount, reference: reference)
        return try await repository.createPaymentRequest(userID: userID, request, maxPending: NewPaymentRequest.maxPending)
    }

    @discardableResult
    public func decide(id: PaymentRequestID, approve: Bool, adminID: UserID, note: String = "") async throws -> PaymentRequest {
        try await repository.decidePaymentRequest(id: id, approve: approve, adminID: adminID, note: NewPaymentRequest.decisionNote(note))
    }
}
