import SMMDatabase
import SMMDomain
import SQLKit

extension PanelStore {
    static let paymentColumns = "id, user_id, method, amount, reference, status, admin_note, decided_by, created_at, decided_at"
    /// Files the request unless the customer has `maxPending` open already.
    public func createPaymentRequest(userID: UserID, _ new: NewPaymentRequest, maxPending: Int) async throws -> PaymentRequest {
        let (method, amount, reference) = (new.method, new.amount, new.reference)
        let now = clock.now()
        let backend = self.backend
        return try await backend.transaction { db in
            // The count and the insert must see each other across parallel requests: on
            // PostgreSQL the customer's row is locked first (SQLite's single writer already
            // runs them one after another).
            try await db.raw("SELECT id FROM users WHERE id = \(bind: userID)\(unsafeRaw: backend.forUpdate)").run()
            let open = try await db.raw("""
                SELECT CAST(COUNT(*) AS BIGINT) AS n FROM payment_requests WHERE user_id = \(bind: userID) AND status = \(state: PaymentStatus.pending)
                """).first()?.decode(column: "n", as: Int64.self) ?? 0
            guard open < maxPending else {
                throw PanelError.paymentRequestsWaiting(open)
            }
            let row = try await db.raw("""
                INSERT INTO payment_requests (user_id, method, amount, reference, status, created_at)
                VALUES (\(bind: userID), \(bind: method), \(bind: amount.minorUnits), \(bind: reference), \(state: PaymentStatus.pending), \(bind: now))
                RETURNING \(unsafeRaw: Self.paymentColumns)
                """).first()
            return try row!.paymentRequest()
        }
    }

    public func paymentRequests(userID: UserID? = nil, status: PaymentStatus? = nil, limit: Int = 100) async throws -> [PaymentRequest] {
        try await backend.read { db in
            var query: SQLQueryString = "SELECT \(unsafeRaw: Self.paymentColumns) FROM payment_requests WHERE 1 = 1"
            if let userID { query += " AND user_id = \(bind: userID)" }
            if let status { query += " AND status = \(bind: status.rawValue)" }
            query += " ORDER BY id DESC LIMIT \(bind: Int64(limit))"
            return try await db.raw(query).all().map { try $0.paymentRequest() }
        }
    }

    /// Approves (crediting the amount, with a ledger row naming the request) or rejects a
    /// pending request. The status moves by a conditional UPDATE in the same transaction as the
    /// credit, so two admins clicking at once credit it exactly once; the second is told.
    @discardableResult
    public func decidePaymentRequest(id: PaymentRequestID, approve: Bool, adminID: UserID, note: String = "") async throws -> PaymentRequest {
        let now = clock.now()
        let target: PaymentStatus = approve ? .approved : .rejected
        return try await backend.transaction { db in
            guard let row = try await db.raw("""
                UPDATE payment_requests SET status = \(bind: target.rawValue), admin_note = \(bind: note),
                    decided_by = \(bind: adminID), decided_at = \(bind: now)
                WHERE id = \(bind: id) AND status = \(state: PaymentStatus.pending)
                RETURNING \(unsafeRaw: Self.paymentColumns)
                """).first() else {
                let exists = try await db.raw("SELECT id FROM payment_requests WHERE id = \(bind: id)").first() != nil
                throw PanelError.rejected(exists ? .paymentDecided(id: id) : .noPaymentRequest(id: id))
            }
            let request = try row.paymentRequest()
            if approve {
                _ = try await Ledger.credit(db, userID: request.userID, amount: request.amount, kind: .deposit, orderID: nil,
                                            memo: LedgerMemo.paymentRequest(id: id, method: request.method), now: now,
                                            paymentRequestID: id)
            }
            return request
        }
    }

    // MARK: Custom rates

    /// The user's own rates, by service id.
    public func customRates(userID: UserID) async throws -> [ServiceID: Money] {
        try await backend.read { db in
            let pairs = try await Self.customRatesStatement.on(db, .int(userID.rawValue)).all().map {
                (try $0.id("service_id") as ServiceID, Money(minorUnits: try $0.decode(column: "rate", as: Int64.self)))
            }
            return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Read on every `services` call (nothing built per call; see `SQLStatement`).
    private static let customRatesStatement = SQLStatement("SELECT service_id, rate FROM user_service_rates WHERE user_id = ?")

    /// Sets (or with nil removes) the user's own rate for a service.
    public func setCustomRate(userID: UserID, serviceID: ServiceID, rate: Money?) async throws {
        guard try await service(id: serviceID) != nil else { throw PanelError.incorrectServiceID }
        try await backend.transaction { db in
            try await db.raw("DELETE FROM user_service_rates WHERE user_id = \(bind: userID) AND service_id = \(bind: serviceID)").run()
            if let rate {
                try await db.raw("""
                    INSERT INTO user_service_rates (user_id, service_id, rate) VALUES (\(bind: userID), \(bind: serviceID), \(bind: rate.minorUnits))
                    """).run()
            }
        }
    }

    /// The catalog as this user sees and pays it: their own rate where one is set. Pricing per
    /// user happens here (`priced`) and, for one service, in `service(id:pricedFor:)` and
    /// `placeOrder`'s `orderTerms` (the same rule in SQL, `Columns.pricedRate`), for the API and
    /// the web pages.
    public func services(pricedFor userID: UserID) async throws -> [Service] {
        let rates = try await customRates(userID: userID)
        return try await services().map { $0.priced(with: rates) }
    }

    /// One service as this user pays it, in one read (nil if there is no such service):
    /// their own rate where one is set, as `priced` does for lists.
    public func service(id: ServiceID, pricedFor userID: UserID) async throws -> Service? {
        try await backend.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Columns.pricedService) FROM services s JOIN categories c ON c.id = s.category_id
                LEFT JOIN user_service_rates r ON r.service_id = s.id AND r.user_id = \(bind: userID)
                WHERE s.id = \(bind: id)
                """).first()?.service()
        }
    }

}

extension SQLRow {
    func paymentRequest() throws -> PaymentRequest {
        PaymentRequest(id: try id("id"),
                       userID: try id("user_id"),
                       method: try decode(column: "method", as: String.self),
                       amount: Money(minorUnits: try decode(column: "amount", as: Int64.self)),
                       reference: try decode(column: "reference", as: String.self),
                       status: try decodeState(column: "status", as: PaymentStatus.self),
                       adminNote: try decode(column: "admin_note", as: String.self),
                       decidedBy: try optionalID("decided_by"),
                       createdAt: try decode(column: "created_at", as: Int64.self),
                       decidedAt: try decode(column: "decided_at", as: Int64?.self))
    }
}
