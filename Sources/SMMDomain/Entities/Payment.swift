public enum PaymentStatus: String, Sendable, CaseIterable {
    case pending = "Pending"
    case approved = "Approved"
    case rejected = "Rejected"
}

/// A customer's request to have a manual payment (bank transfer, cash…) credited.
public struct PaymentRequest: Sendable, Hashable {
    public var id: PaymentRequestID
    public var userID: UserID
    public var method: String
    public var amount: Money
    public var reference: String
    public var status: PaymentStatus
    public var adminNote: String
    public var decidedBy: UserID?
    public var createdAt: Int64
    public var decidedAt: Int64?

    public init(id: PaymentRequestID, userID: UserID, method: String, amount: Money, reference: String, status: PaymentStatus, adminNote: String, decidedBy: UserID? = nil, createdAt: Int64, decidedAt: Int64? = nil) {
        self.id = id
        self.userID = userID
        self.method = method
        self.amount = amount
        self.reference = reference
        self.status = status
        self.adminNote = adminNote
        self.decidedBy = decidedBy
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }
}
