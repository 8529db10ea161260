import ArgumentParser
import SMMDomain
import SMMProviders
import SMMServices
import SMMStorage

/// The service fields an operator can set, shared by `service create` and `service update`.
struct ServiceFieldOptions: ParsableArguments {
    @Option(help: "Service name.") var name: String?
    @Option(help: "Category name (created if new).") var category: String?
    @Option(help: "Service type, e.g. Default, Package, \"Custom Comments\", Subscriptions.") var type: String?
    @Option(help: "Price per 1000 (per package for package types), up to 5 decimals.") var rate: String?
    @Option(help: "Minimum quantity.") var min: Int64?
    @Option(help: "Maximum quantity.") var max: Int64?
    @Flag(inversion: .prefixedNo, help: "Customers may request refills.") var refill: Bool?
    @Option(help: "Days after completion during which refills are allowed (default 30; 0 = lifetime).") var refillDays: Int?
    @Flag(inversion: .prefixedNo, help: "Customers may cancel orders not yet started.") var cancel: Bool?
    @Flag(inversion: .prefixedNo, help: "Drip-feed (runs, interval) is offered.") var dripfeed: Bool?
    @Option(help: "Description shown to customers.") var description: String?
    @Option(help: "Position in the catalog.") var sort: Int64?

    func validate() throws {
        try check(min, OptionRange.quantity, "--min")
        try check(max, OptionRange.quantity, "--max")
        try check(refillDays, OptionRange.refillDays, "--refill-days")
        try check(sort, OptionRange.sort, "--sort")
    }

    func draft() throws -> ServiceDraft {
        var type: ServiceType?
        if let label = self.type {
            guard let parsed = ServiceType(label: label) else {
                throw OperatorError(description: "unknown type \(label); one of: \(ServiceType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            type = parsed
        }
        var rate: Money?
        if let text = self.rate {
            guard let parsed = Money(parsing: text), parsed >= .zero else {
                throw OperatorError(description: "rate must be a non-negative number with at most 5 decimals, got \(text)")
            }
            rate = parsed
        }
        return ServiceDraft(name: name, categoryName: category, type: type, rate: rate, min: min, max: max, refill: refill,
                            refillDays: refillDays, cancel: cancel, dripFeed: dripfeed, description: description, sort: sort)
    }
}

func describe(_ service: Service) -> String {
    var flags: [String] = []
    if service.refill { flags.append(service.refillDays == 0 ? "refill lifetime" : "refill \(service.refillDays)d") }
    if service.cancel { flags.append("cancel") }
    if service.dripFeed { flags.append("dripfeed") }
    if !service.enabled { flags.append("DISABLED") }
    return "\(service.id)\t\(service.name)\t\(service.type.rawValue)\t\(service.categoryName)\trate \(service.rate.rateString)\t"
        + "min \(service.min)\tmax \(service.max)\t\(flags.joined(separator: ","))"
}

struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "service", abstract: "The catalog.",
                                                    subcommands: [Create.self, Update.self, Disable.self, Enable.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a service (--name, --category, --type, --rate, --min, --max required); prints its id last.")
        @OptionGroup var fields: ServiceFieldOptions
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let draft = try fields.draft()
            let service = try await db.run { panel in
                try await panel.store.audited("service.create", target: nil, created: { AuditTarget(.services, $0.id) }) {
                    try await panel.services.catalog.createService(draft)
                }
            }
            print(describe(service))
            print(service.id)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change the given fields of a service.")
        @Argument var id: Int64
        @OptionGroup var fields: ServiceFieldOptions
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(id, OptionRange.id, "ID") }
        func run() async throws {
            let draft = try fields.draft()
            print(describe(try await db.run { panel in
                try await panel.store.audited("service.update", target: AuditTarget(.services, id)) { try await panel.services.catalog.updateService(id: ServiceID(id), draft) }
            }))
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hide a service from the catalog and refuse new orders for it.")
        @Argument var id: Int64
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(id, OptionRange.id, "ID") }
        func run() async throws {
            try await db.run { panel in
                try await panel.store.audited("service.disable", target: AuditTarget(.services, id)) { try await panel.services.catalog.setServiceEnabled(id: ServiceID(id), false) }
            }
            print("service \(id) disabled")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Offer a disabled service again.")
        @Argument var id: Int64
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(id, OptionRange.id, "ID") }
        func run() async throws {
            try await db.run { panel in
                try await panel.store.audited("service.enable", target: AuditTarget(.services, id)) { try await panel.services.catalog.setServiceEnabled(id: ServiceID(id), true) }
            }
            print("service \(id) enabled")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List services, disabled ones included.")
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            for service in try await db.run({ try await $0.store.services(includeDisabled: true) }) { print(describe(service)) }
        }
    }
}

func parseStatus(_ text: String) throws -> OrderStatus {
    guard let status = OrderStatus(label: text) else {
        throw OperatorError(description: "unknown status \(text); one of: \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return status
}

func describe(_ order: Order) -> String {
    var extra = ""
    if let runs = order.runs { extra += "\truns \(order.runsDone)/\(runs) every \(order.intervalMinutes ?? 0)m" }
    if let parent = order.parentID { extra += "\tparent \(parent)" }
    return "\(order.id)\tuser \(order.userID)\tservice \(order.serviceID)\t\(order.status.rawValue)\tquantity \(order.quantity)\t"
        + "start \(order.startCount)\tremains \(order.remains)\tcharge \(order.charge.apiString)\t\(order.link)\(extra)"
}

/// The provider side of an order: where it went, its state there, cost and profit.
func describe(_ info: UpstreamOrderInfo, charge: Money) -> String {
    var text = "\tprovider \(info.providerName) \(info.state.rawValue)"
    if let remote = info.upstreamOrderID { text += " upstream \(remote)" }
    if !info.upstreamStatus.isEmpty { text += " (\(info.upstreamStatus))" }
    if let cost = info.cost { text += "\tcost \(cost.apiString)\tprofit \((charge - cost).apiString)" }
    if !info.reason.isEmpty { text += "\t\(info.reason)" }
    return text
}

struct OrderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "order", abstract: "Orders and manual fulfilment.",
                                                    subcommands: [List.self, Update.self, Resend.self, LinkUpstream.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List orders, newest first.")
        @Option(help: "Only this user's orders.") var user: String?
        @Option(help: "Only orders with this status.") var status: String?
        @Option(help: "At most this many.") var limit: Int = 100
        @Flag(help: "Only orders that need the operator: held for reconciliation, failed sends, unreadable upstream statuses.")
        var attention = false
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(limit, OptionRange.listLimit, "--limit") }
        func run() async throws {
            if attention {
                let items = try await db.run { try await $0.store.attentionItems(limit: limit) }
                for item in items {
                    let state = item.review ? "review" : item.state.rawValue
                    print("\(item.orderID)\tuser \(item.userID)\tprovider \(item.providerName)\t\(state)"
                          + "\tupstream \(item.upstreamOrderID ?? "-") \(item.upstreamStatus)\t\(item.reason)")
                }
                print("\(items.count) orders need attention")
                return
            }
            let status = try self.status.map(parseStatus)
            let (orders, upstream) = try await db.run { panel in
                let userID = if let user { try await requireUser(panel.store, user).id } else { nil as UserID? }
                let orders = try await panel.store.listOrders(.init(userID: userID, status: status, limit: limit))
                return (orders, try await panel.store.upstreamInfo(orderIDs: orders.map(\.id)))
            }
            for order in orders { print(describe(order) + (upstream[order.id].map { describe($0, charge: order.charge) } ?? "")) }
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a held order to its provider again (after checking the provider does not have it).")
        @Argument var id: Int64
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(id, OptionRange.id, "ID") }
        func run() async throws {
            try await db.run { panel in
                try await panel.store.audited("order.resend", target: AuditTarget(.orders, id)) { try await panel.services.providers.resendHeld(orderID: OrderID(id)) }
            }
            print("order \(id) queued for its provider")
        }
    }

    struct LinkUpstream: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-upstream", abstract: "A held order does exist at its provider: follow it under this upstream id.")
        @Argument var id: Int64
        @Argument var upstreamOrderID: String
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(id, OptionRange.id, "ID") }
        func run() async throws {
            try await db.run { panel in
                try await panel.store.audited("order.link-upstream", target: AuditTarget(.orders, id)) {
                    try await panel.services.providers.linkUpstreamOrder(orderID: OrderID(id), upstreamOrderID: upstreamOrderID)
                }
            }
            print("order \(id) follows upstream order \(upstreamOrderID)")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an order (manual fulfilment). Partial refunds charge × remains / quantity; Canceled refunds all.")
        @Argument var id: Int64
        @Option(help: "New status: Pending, \"In progress\", Processing, Completed, Partial, Canceled (subscriptions: Active, Paused, Expired).")
        var status: String?
        @Option(help: "Count before delivery started.") var startCount: Int64?
        @Option(help: "Units not delivered.") var remains: Int64?
        @OptionGroup var db: DatabaseOptions
        func validate() throws {
            try check(id, OptionRange.id, "ID")
            try check(startCount, OptionRange.quantity, "--start-count")
            try check(remains, OptionRange.quantity, "--remains")
        }
        func run() async throws {
            guard status != nil || startCount != nil || remains != nil else {
                throw OperatorError(description: "give at least one of --status, --start-count, --remains")
            }
            let change = OrderChange(status: try status.map(parseStatus), startCount: startCount, remains: remains)
            print(describe(try await db.run { panel in
                try await panel.store.audited("order.update", target: AuditTarget(.orders, id)) { try await panel.services.orderAdmin.update(orderID: OrderID(id), change) }
            }))
        }
    }
}

struct RefillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "refill", abstract: "Refill requests.",
                                                    subcommands: [List.self, Update.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List refills, newest first.")
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            for refill in try await db.run({ try await $0.store.listRefills(userID: nil, limit: 100) }) {
                print("\(refill.id)\torder \(refill.orderID)\tuser \(refill.userID)\t\(refill.status.rawValue)")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a refill: \"In progress\", Completed, Rejected or Canceled.")
        @Argument var id: Int64
        @Option(help: "New status.") var status: String
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(id, OptionRange.id, "ID") }
        func run() async throws {
            guard let next = RefillStatus(label: status) else {
                throw OperatorError(description: "unknown refill status \(status); one of: \(RefillStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let refill = try await db.run { panel in
                try await panel.store.audited("refill.update", target: AuditTarget(.refills, id)) { try await panel.services.orderAdmin.updateRefill(id: RefillID(id), status: next) }
            }
            print("refill \(refill.id)\torder \(refill.orderID)\t\(refill.status.rawValue)")
        }
    }
}
