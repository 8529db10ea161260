import SMMDatabase
import SMMDomain
import SQLKit

/// An order recorded as it stands, with no charge, ledger entry or audit row of its own:
/// for loading many orders at once (`importOrders`).
public struct ImportedOrder: Sendable {
    public var userID: UserID
    public var serviceID: ServiceID
    public var type: ServiceType
    public var link: String
    public var quantity: Int64
    public var charge: Money
    public var startCount: Int64
    public var remains: Int64
    public var status: OrderStatus
    public var completedAt: Int64?
    /// Where the order stands with its provider, for an order sold from one.
    public var upstream: Upstream?

    public struct Upstream: Sendable {
        public var providerID: ProviderID
        public var upstreamService: String
        /// `.queued` (to be sent) or `.sent` (due for a status check).
        public var state: UpstreamState
        /// The provider's id of the order, once sent.
        public var upstreamOrderID: String?

        public init(providerID: ProviderID, upstreamService: String, state: UpstreamState, upstreamOrderID: String? = nil) {
            self.providerID = providerID
            self.upstreamService = upstreamService
            self.state = state
            self.upstreamOrderID = upstreamOrderID
        }
    }

    public init(userID: UserID, serviceID: ServiceID, type: ServiceType, link: String, quantity: Int64, charge: Money,
                startCount: Int64, remains: Int64, status: OrderStatus, completedAt: Int64? = nil, upstream: Upstream? = nil) {
        self.userID = userID
        self.serviceID = serviceID
        self.type = type
        self.link = link
        self.quantity = quantity
        self.charge = charge
        self.startCount = startCount
        self.remains = remains
        self.status = status
        self.completedAt = completedAt
        self.upstream = upstream
    }
}

/// Loading many rows in one transaction per call. The rows are recorded as given (no money
/// moves, no audit rows), so the caller answers for their consistency; the point is speed: a
/// statement inserts hundreds of orders, and a million load in seconds.
extension PanelStore {
    /// Services, checked by `CatalogRules.newService`, in one transaction.
    public func importServices(_ services: [NewService]) async throws {
        let now = clock.now()
        try await transaction(noting: changes.catalog) { db in
            for service in services { _ = try await self.insertService(db, service, now: now) }
        }
    }

    /// Accounts with no balance, each with a fresh API key that nobody is told.
    public func importUsers(usernames: [String]) async throws {
        let now = clock.now()
        try await transaction(noting: changes.access) { db in
            for start in stride(from: 0, to: usernames.count, by: Self.rowsPerInsert) {
                let names = usernames[start..<min(start + Self.rowsPerInsert, usernames.count)]
                let ids = try await Self.userRows.statement(length: names.count)
                    .on(db, values: names.flatMap { [.text($0.trimmingSpaces()), .int(now)] }).all()
                    .map { try $0.decode(column: "id", as: Int64.self) }
                var keys: [SQLValue] = []
                for id in ids {
                    let key = APIKeys.generate()
                    keys += [.int(id), .text(APIKeys.hash(key)), .text("default"), .text(APIKeys.hint(key)), .int(now)]
                }
                try await Self.keyRows.statement(length: ids.count).on(db, values: keys).run()
            }
        }
    }

    /// Orders in one transaction.
    public func importOrders(_ orders: [ImportedOrder]) async throws {
        let now = clock.now()
        try await backend.transaction { db in
            let plain = orders.filter { $0.upstream == nil }
            for start in stride(from: 0, to: plain.count, by: Self.rowsPerInsert) {
                let rows = plain[start..<min(start + Self.rowsPerInsert, plain.count)]
                try await Self.orderRows.statement(length: rows.count)
                    .on(db, values: rows.flatMap { Self.values($0, now: now) }).run()
            }
            // Orders sold from a provider one by one: their upstream rows need their ids.
            for order in orders {
                guard let upstream = order.upstream else { continue }
                let id = try await Self.orderRow.on(db, values: Self.values(order, now: now)).first()!
                    .decode(column: "id", as: Int64.self)
                try await Self.upstreamRow.on(db, .int(id), .int(upstream.providerID.rawValue), .text(upstream.upstreamService),
                                              .text(upstream.state.rawValue), .text("smm-\(id)-\(now)"), .int(now),
                                              .text(upstream.upstreamOrderID), .int(upstream.state == .sent ? now : nil),
                                              .int(now), .int(now)).run()
            }
        }
    }

    /// Orders in the database, every customer's.
    public func orderCount() async throws -> Int64 {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM orders").first()!.decode(column: "n", as: Int64.self)
        }
    }

    /// Rows per multi-row INSERT: 12 parameters each stay under SQLite's 32,766.
    static let rowsPerInsert = 500

    private static func values(_ order: ImportedOrder, now: Int64) -> [SQLValue] {
        [.int(order.userID.rawValue), .int(order.serviceID.rawValue), .text(order.type.rawValue), .text(order.link), .int(order.quantity),
         .int(order.charge.minorUnits), .int(order.startCount), .int(order.remains), .text(order.status.rawValue),
         .int(now), .int(now), .int(order.completedAt)]
    }

    private static let orderInsert = """
        INSERT INTO orders (user_id, service_id, type, link, quantity, charge, start_count, remains, status,
                            created_at, updated_at, completed_at) VALUES
        """
    private static let orderRows = rows(orderInsert, row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    private static let orderRow = SQLStatement(orderInsert + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id")
    private static let userRows = rows("INSERT INTO users (username, created_at) VALUES", row: "(?, ?)", tail: " RETURNING id")
    private static let keyRows = rows("INSERT INTO api_keys (user_id, key_hash, name, hint, created_at) VALUES",
                                      row: "(?, ?, ?, ?, ?)")

    /// A many-row INSERT of up to `rowsPerInsert` rows, each length's statement made once.
    private static func rows(_ head: String, row: String, tail: String = "") -> SQLStatementList {
        SQLStatementList(keepingLengthsUpTo: rowsPerInsert, item: row) { head + " " + $0 + tail }
    }

    private static let upstreamRow = SQLStatement("""
        INSERT INTO upstream_orders (order_id, provider_id, upstream_service, state, request_id, next_attempt_at,
                                     upstream_order_id, checked_at, sent_at, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
        """)
}
