import SMMDomain
import SMMStorage

/// Models and lists turned into what the templates show. Text stays text: the templates'
/// `{{…}}` escapes it, so a link such as `<script>` is shown, never run.
/// One order as lists and pages show it.
struct OrderRow: Sendable {
    struct DripFeed: Sendable {
        let runs: String
        let interval: String
        let done: String
        let next: String?
    }

    struct Subscription: Sendable {
        let username: String?
        let min: String?
        let max: String?
        let posts: String?
        let delay: String?
        let expiry: String?
    }

    struct Field: Sendable {
        let name: String?
        let value: String?
    }

    let id: String
    let service_id: String
    let service: String?
    let type: String
    let link: String?
    let quantity: String
    let charge: String
    let start_count: String
    let remains: String
    let status: String
    let status_label: String?
    let status_class: String
    let created: String?
    let can_cancel: Bool
    let can_refill: Bool
    let parent_id: String?
    let dripfeed: DripFeed?
    let subscription: Subscription?
    let user: String?
    let user_id: String?
    let fields: [Field]
    /// The provider side, on the admin's lists.
    var upstream: UpstreamRow?
}

/// The provider side of an order: where it went, what the provider says, cost and profit.
struct UpstreamRow: Sendable {
    let id: String
    let provider: String?
    let upstream_id: String?
    let state: String
    let upstream_status: String?
    let cost: String?
    let profit: String?
    let reason: String?
    let last_response: String?
    let attempts: String
    let held: Bool
}

struct ServiceRow: Sendable {
    let id: String
    let name: String?
    let category: String?
    let category_id: String
    let type: String
    let rate: String
    let min: String
    let max: String
    let refill: Bool
    let refill_days: String
    let cancel: Bool
    let dripfeed: Bool
    let description: String?
    let enabled: Bool
    let sort: String
    let flat: Bool
}

struct CatalogGroup: Sendable {
    let name: String?
    let services: [ServiceRow]
}

struct LedgerRow: Sendable {
    let id: String
    let user: String?
    let user_id: String
    let amount: String
    let credit: Bool
    let balance_after: String
    let kind: String?
    let order_id: String?
    let memo: String?
    let created: String?
}

struct PaymentRow: Sendable {
    let id: String
    let user: String?
    let user_id: String
    let method: String?
    let amount: String
    let reference: String?
    let status: String?
    let pending: Bool
    let note: String?
    let created: String?
    let decided: String?
}

struct RefillRow: Sendable {
    struct Choice: Sendable {
        let value: String
        let label: String?
    }

    let id: String
    let order_id: String
    let user: String?
    let user_id: String
    let status: String?
    let `open`: Bool
    let created: String?
    let updated: String?
    /// The statuses an admin may move it to.
    var choices: [Choice]?
}

/// A choice of a filter or a form's select.
struct SelectOption: Sendable {
    let value: String?
    let label: String?
    let selected: Bool
}

/// Previous/next links of a list.
struct Paging: Sendable {
    let page: String
    let previous: String?
    let next: String?
}

enum Rows {
    static func order(_ order: Order, serviceName: String?, strings: Strings, actions: OrderActions = .none,
                      username: String? = nil) -> OrderRow {
        OrderRow(
            id: String(order.id),
            service_id: String(order.serviceID),
            service: (serviceName ?? "#\(order.serviceID)").shown,
            type: order.type.rawValue,
            link: order.link.shown,
            quantity: String(order.quantity),
            charge: order.charge.apiString,
            start_count: String(order.startCount),
            remains: String(order.remains),
            status: order.status.rawValue,
            status_label: statusLabel(order.status.rawValue, strings).shown,
            status_class: "st-" + order.status.rawValue.lowercased().replacingOccurrences(of: " ", with: "-"),
            created: Display.time(order.createdAt).shown,
            can_cancel: actions.cancel,
            can_refill: actions.refill,
            parent_id: order.parentID.map(String.init),
            dripfeed: order.runs.map { runs in
                OrderRow.DripFeed(runs: String(runs), interval: String(order.intervalMinutes ?? 0), done: String(order.runsDone),
                                  next: Display.time(order.nextRunAt).shown)
            },
            subscription: order.isSubscription
                ? OrderRow.Subscription(username: order.fields["username"].shown, min: order.fields["min"].shown,
                                        max: order.fields["max"].shown, posts: order.fields["posts"].shown,
                                        delay: (order.fields["delay"] ?? "0").shown, expiry: order.fields["expiry"].shown)
                : nil,
            user: username.shown,
            user_id: username == nil ? nil : String(order.userID),
            fields: order.fields.sorted { $0.key < $1.key }.map { OrderRow.Field(name: $0.key.shown, value: $0.value.shown) })
    }

    struct OrderActions {
        var cancel = false
        var refill = false
        static let none = OrderActions()
    }

    /// What the customer may do with each order now, by the domain's own rules; no cancel where
    /// the provider already refused it (`refusedCancels`).
    static func actions(for orders: [Order], services: [ServiceID: Service], openRefills: Set<OrderID>, refusedCancels: Set<OrderID>,
                        now: Int64) -> [OrderID: OrderActions] {
        var result: [OrderID: OrderActions] = [:]
        for order in orders where order.parentID == nil {
            guard let service = services[order.serviceID] else { continue }
            result[order.id] = OrderActions(
                cancel: !refusedCancels.contains(order.id)
                    && OrderLifecycle.canCancel(status: order.status, serviceAllowsCancel: service.cancel, deliveryStarted: order.runsDone > 0),
                refill: OrderLifecycle.canRefill(status: order.status, service: service.terms, completedAt: order.completedAt, now: now,
                                                 hasOpenRefill: openRefills.contains(order.id), isSubscription: order.isSubscription))
        }
        return result
    }

    static func service(_ service: Service) -> ServiceRow {
        ServiceRow(
            id: String(service.id),
            name: service.name.shown,
            category: service.categoryName.shown,
            category_id: String(service.categoryID),
            type: service.type.rawValue,
            rate: service.rate.rateString,
            min: String(service.min),
            max: String(service.max),
            refill: service.refill,
            refill_days: String(service.refillDays),
            cancel: service.cancel,
            dripfeed: service.dripFeed,
            description: service.description.shown,
            enabled: service.enabled,
            sort: String(service.sort),
            flat: service.type.isFlatPrice)
    }

    /// Services grouped under their categories, in catalog order.
    static func catalog(_ services: [Service]) -> [CatalogGroup] {
        var groups: [(name: String, rows: [ServiceRow])] = []
        for service in services {
            if groups.last?.name != service.categoryName { groups.append((service.categoryName, [])) }
            groups[groups.count - 1].rows.append(Self.service(service))
        }
        return groups.map { CatalogGroup(name: $0.name.shown, services: $0.rows) }
    }

    static func ledger(_ entry: LedgerEntry, strings: Strings) -> LedgerRow {
        LedgerRow(
            id: String(entry.id), user: entry.username.shown, user_id: String(entry.userID),
            amount: entry.amount.apiString, credit: entry.amount > .zero,
            balance_after: entry.balanceAfter.apiString, kind: strings["ledger_\(entry.kind)"].shown,
            order_id: entry.orderID.map(String.init), memo: entry.memo.shown, created: Display.time(entry.createdAt).shown)
    }

    static func payment(_ request: PaymentRequest, strings: Strings, username: String? = nil) -> PaymentRow {
        PaymentRow(
            id: String(request.id), user: username.shown, user_id: String(request.userID),
            method: request.method.shown, amount: request.amount.apiString, reference: request.reference.shown,
            status: statusLabel(request.status.rawValue, strings).shown, pending: request.status == .pending,
            note: request.adminNote.shown, created: Display.time(request.createdAt).shown, decided: Display.time(request.decidedAt).shown)
    }

    static func refill(_ refill: Refill, strings: Strings, username: String? = nil) -> RefillRow {
        RefillRow(
            id: String(refill.id), order_id: String(refill.orderID), user: username.shown, user_id: String(refill.userID),
            status: statusLabel(refill.status.rawValue, strings).shown, open: !refill.status.isFinal,
            created: Display.time(refill.createdAt).shown, updated: Display.time(refill.updatedAt).shown)
    }

    /// A status in the page's language (`In progress` → `status_in_progress`).
    static func statusLabel(_ status: String, _ strings: Strings) -> String {
        strings["status_" + status.lowercased().replacingOccurrences(of: " ", with: "_")]
    }

    /// Choices for a status filter, the current one selected.
    static func statusOptions(_ statuses: [String], selected: String?, strings: Strings) -> [SelectOption] {
        statuses.map { SelectOption(value: $0.shown, label: statusLabel($0, strings).shown, selected: $0 == selected) }
    }
}
