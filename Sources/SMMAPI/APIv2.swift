import Logging
import NIOCore
import SMMDomain
import SMMServices
import SMMStorage

/// The actions of API v2. The switch in `respond` covers them all, and the OpenAPI document
/// lists them all (a test checks both directions).
public enum APIAction: String, Sendable, CaseIterable {
    case services, add, status, refill
    case refillStatus = "refill_status"
    case cancel, balance
}

/// API v2: reads a call's fields, runs the action on the panel, and answers in the contract's
/// exact shape. Knows nothing of HTTP; `APIv2Controller` carries it over the wire.
public struct APIv2: Sendable {
    /// Everything the API reads and asks of storage, and nothing more.
    public typealias Repositories = AccountReading & CatalogReading & OrderReading & OrderRequests & OrderPlacementRepository
        & ChangeSource

    let store: any Repositories
    /// `add` goes through the order service: the rules decide, the store records.
    let orders: OrderService
    let requests: OrderRequestService
    public let currency: String
    /// `currency` as a JSON string, written once: every order of a `status` answer carries it.
    private let quotedCurrency: [UInt8]
    /// The `services` answer, kept for at most a second.
    public let catalogCache: CatalogCache
    /// Key lookups, kept for at most a second.
    public let keyCache: APIKeyCache
    let logger: Logger

    /// Without caches given, each follows the changes `store` records.
    public init(store: some Repositories, currency: String = "USD", catalogCache: CatalogCache? = nil,
                keyCache: APIKeyCache? = nil, logger: Logger = Logger(label: "smmpanel.api")) {
        self.store = store
        self.orders = OrderService(repository: store)
        self.requests = OrderRequestService(repository: store)
        self.currency = currency
        var quoted: [UInt8] = []
        JSONString.write(currency, to: &quoted)
        self.quotedCurrency = quoted
        let changes = store.changes
        self.catalogCache = catalogCache ?? CatalogCache(generation: { changes.catalog.generation })
        self.keyCache = keyCache ?? APIKeyCache(generation: { changes.access.generation })
        self.logger = logger
    }

    /// The answer to one call. Contract errors come back as `{"error": …}`; anything else
    /// (the database unreachable) is thrown for the transport to report.
    public func respond(to rawFields: [String: String]) async throws -> JSONValue {
        // A blank field is an absent field: many clients send every field of every action.
        let fields = rawFields.values.contains(where: \.isBlank) ? rawFields.filter { !$0.value.isBlank } : rawFields
        do {
            guard let key = fields["key"]?.trimmingSpaces(), !key.isEmpty, key.utf8.count <= 256,
                  let (user, isCurrent) = try await keyCache.user(forKey: key, load: { [store] in try await store.user(apiKeyHash: $0) })
            else { throw PanelError.invalidAPIKey }
            guard let action = fields["action"].flatMap({ APIAction(rawValue: $0.trimmingSpaces().lowercased()) }) else {
                throw PanelError.incorrectRequest
            }
            // Balance changes made by this call are audited as this customer's.
            return try await AuditActor.$current.withValue(.api(user.id)) {
                switch action {
                case .services: return try await services(user: user)
                case .add: return try await add(user: user, fields: fields)
                case .status: return try await status(user: user, fields: fields)
                case .refill: return try await refill(user: user, fields: fields)
                case .refillStatus: return try await refillStatus(user: user, fields: fields)
                case .cancel: return try await cancel(user: user, fields: fields)
                case .balance:
                    // A kept key's user carries the balance of its read: read it again.
                    guard let balance = isCurrent ? user.balance : try await store.balance(userID: user.id) else {
                        throw PanelError.invalidAPIKey
                    }
                    return Self.balanceAnswer(balance, currency: currency)
                }
            }
        } catch let error as PanelError {
            return .error(error.message)
        }
    }

    // MARK: Actions

    /// The catalog at this customer's own rates: the cached answer as it is when they have
    /// none (the usual case), otherwise the cached services priced for them.
    func services(user: User) async throws -> JSONValue {
        let rates = try await store.customRates(userID: user.id)
        let store = self.store
        let catalog = try await catalogCache.current(load: { try await store.services(includeDisabled: false) },
                                                     encode: { Self.servicesAnswer($0).serializedBytes() })
        if rates.isEmpty { return .encoded(catalog.encoded, gzipped: catalog.gzipped) }
        return Self.servicesAnswer(catalog.services.map { $0.priced(with: rates) })
    }

    static func servicesAnswer(_ services: [Service]) -> JSONValue {
        .array(services.map { service in
            .object([
                ("service", .int(service.id.rawValue)),
                ("name", .string(service.name)),
                ("type", .string(service.type.rawValue)),
                ("category", .string(service.categoryName)),
                ("rate", .string(service.rate.rateString)),
                ("min", .string(String(service.min))),
                ("max", .string(String(service.max))),
                ("refill", .bool(service.refill)),
                ("cancel", .bool(service.cancel)),
                ("dripfeed", .bool(service.dripFeed)),
                ("desc", .string(service.description)),
            ])
        })
    }

    func add(user: User, fields: [String: String]) async throws -> JSONValue {
        // A disabled service is refused by `OrderService.place`, after it has answered a
        // retried `request_id` with the first order.
        guard let serviceID: ServiceID = fields["service"].flatMap(IDList.parseID) else { throw PanelError.incorrectServiceID }
        let order = try await orders.place(user: user, serviceID: serviceID, fields: fields, requestID: fields["request_id"])
        return .object([("order", .int(order.id.rawValue))])
    }

    func status(user: User, fields: [String: String]) async throws -> JSONValue {
        if let list = fields["orders"] {
            let entries = try IDList.parse(list)
            let orders = try await store.orderStatuses(ids: IDList.ids(entries), userID: user.id)
            let children = try await childIDs(of: Array(orders.values))
            // Written straight to bytes: as a tree of `JSONValue`s, a 100-id answer would be
            // some 600 small allocations built only to be written out (BENCHMARKS.md).
            var out: [UInt8] = [UInt8(ascii: "{")]
            out.reserveCapacity(2 + entries.count * 112)
            for (index, entry) in entries.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.write(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if let id: OrderID = entry.id(), let order = orders[id] {
                    writeStatus(order, children: children[id] ?? [], to: &out)
                } else {
                    out.append(contentsOf: Self.incorrectOrderID)
                }
            }
            out.append(UInt8(ascii: "}"))
            return .encoded(ByteBuffer(bytes: out))
        }
        guard let raw = fields["order"] ?? fields["order_id"] ?? fields["id"] else { throw PanelError.incorrectRequest }
        guard let id: OrderID = IDList.parseID(raw), let order = try await store.orderStatuses(ids: [id], userID: user.id)[id] else {
            throw PanelError.incorrectOrderID
        }
        let children = try await childIDs(of: [order])
        var out: [UInt8] = []
        out.reserveCapacity(112)
        writeStatus(order, children: children[id] ?? [], to: &out)
        return .encoded(ByteBuffer(bytes: out))
    }

    private static let incorrectOrderID = JSONValue.error(PanelError.incorrectOrderID.message).serializedBytes()

    private func childIDs(of orders: [OrderStatusView]) async throws -> [OrderID: [OrderID]] {
        let parents = orders.filter { $0.isDripFeedParent || $0.isSubscription }.map(\.id)
        return try await store.childOrderIDs(parentIDs: parents)
    }

    /// The status shape: all strings; drip-feed parents add `runs` and child `orders`,
    /// subscriptions add `expiry`, `posts` (posts handled so far) and child `orders`. Numbers
    /// are written as digits straight into the bytes (no escaping can apply to them).
    func writeStatus(_ order: OrderStatusView, children: [OrderID], to out: inout [UInt8]) {
        func childOrders() {
            out.append(literal: ",\"orders\":[")
            for (index, child) in children.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                DecimalDigits.write(child.rawValue, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(literal: "{\"charge\":\"")
        order.charge.write(to: &out)
        out.append(literal: "\",\"start_count\":\"")
        DecimalDigits.write(order.startCount, to: &out)
        out.append(literal: "\",\"status\":")
        JSONString.write(order.status.rawValue, to: &out)
        out.append(literal: ",\"remains\":\"")
        DecimalDigits.write(order.remains, to: &out)
        out.append(literal: "\",\"currency\":")
        out.append(contentsOf: quotedCurrency)
        if let runs = order.runs {
            out.append(literal: ",\"runs\":\"")
            DecimalDigits.write(runs, to: &out)
            out.append(UInt8(ascii: "\""))
            childOrders()
        } else if order.isSubscription {
            out.append(literal: ",\"expiry\":")
            JSONString.write(order.expiry ?? "", to: &out)
            out.append(literal: ",\"posts\":\"")
            DecimalDigits.write(Int64(children.count), to: &out)
            out.append(UInt8(ascii: "\""))
            childOrders()
        }
        out.append(UInt8(ascii: "}"))
    }

    func refill(user: User, fields: [String: String]) async throws -> JSONValue {
        if let list = fields["orders"] {
            return try await perOrder(list, of: user, answerKey: "refill") { id in
                .int(try await requests.requestRefill(orderID: id, userID: user.id).id.rawValue)
            }
        }
        guard let raw = fields["order"] ?? fields["order_id"] ?? fields["id"] else { throw PanelError.incorrectRequest }
        guard let id: OrderID = IDList.parseID(raw) else { throw PanelError.incorrectOrderID }
        let refill = try await requests.requestRefill(orderID: id, userID: user.id)
        return .object([("refill", .string(String(refill.id)))])
    }

    func refillStatus(user: User, fields: [String: String]) async throws -> JSONValue {
        if let list = fields["refills"] {
            let entries = try IDList.parse(list)
            let refills = try await store.refills(ids: IDList.ids(entries), userID: user.id)
            return .array(entries.map { entry in
                let status: JSONValue
                if let id: RefillID = entry.id(), let refill = refills[id] {
                    status = .string(refill.status.rawValue)
                } else {
                    status = .error(PanelError.refillNotFound.message)
                }
                return .object([("refill", Self.idValue(entry)), ("status", status)])
            })
        }
        guard let raw = fields["refill"] ?? fields["id"] else { throw PanelError.incorrectRequest }
        guard let id: RefillID = IDList.parseID(raw), let refill = try await store.refills(ids: [id], userID: user.id)[id] else {
            throw PanelError.refillNotFound
        }
        return .object([("status", .string(refill.status.rawValue))])
    }

    /// `orders` (or a single `order`): always the array shape.
    func cancel(user: User, fields: [String: String]) async throws -> JSONValue {
        guard let list = fields["orders"] ?? fields["order"] ?? fields["order_id"] else { throw PanelError.incorrectRequest }
        return try await perOrder(list, of: user, answerKey: "cancel") { id in
            _ = try await requests.cancel(orderID: id, userID: user.id)
            return .int(1)
        }
    }

    /// The array answer of multi `refill` and `cancel`: `{"order": id, answerKey: result}` per
    /// id, where a refused id carries its own `{"error": …}` and does not stop the others.
    /// Ids that are not the user's own are answered from one read, without a transaction each:
    /// bots send lists of mostly unknown ids.
    private func perOrder(_ list: String, of user: User, answerKey: String,
                          _ action: (OrderID) async throws -> JSONValue) async throws -> JSONValue {
        var results: [JSONValue] = []
        let entries = try IDList.parse(list)
        let owned = try await store.orders(ids: IDList.ids(entries), userID: user.id)
        for entry in entries {
            let outcome: JSONValue
            switch entry {
            case .id(let id) where owned[OrderID(id)] == nil:
                outcome = .error(PanelError.incorrectOrderID.message)
            case .id(let id):
                do {
                    outcome = try await action(OrderID(id))
                } catch let error as PanelError {
                    outcome = .error(error.message)
                }
            case .invalid:
                outcome = .error(PanelError.incorrectOrderID.message)
            }
            results.append(.object([("order", Self.idValue(entry)), (answerKey, outcome)]))
        }
        return .array(results)
    }

    static func balanceAnswer(_ balance: Money, currency: String) -> JSONValue {
        .object([("balance", .string(balance.apiString)), ("currency", .string(currency))])
    }

    /// Ids echo back as numbers; text that was no id echoes back as the text.
    static func idValue(_ entry: IDList.Entry) -> JSONValue {
        switch entry {
        case .id(let id): return .int(id)
        case .invalid(let raw): return .string(raw)
        }
    }
}
