import SMMDomain
import SMMStorage

/// Models and lists turned into what the templates show. Text stays text: the templates'
/// `{{…}}` escapes it, so a link such as `<script>` is shown, never run.
enum Rows {
    static func order(_ order: Order, serviceName: String?, strings: Strings, actions: OrderActions = .none,
                      username: String? = nil) -> [String: Any] {
        var row: [String: Any] = [
            "id": String(order.id),
            "service_id": String(order.serviceID),
            "service": serviceName ?? "#\(order.serviceID)",
            "type": order.type.rawValue,
            "link": order.link,
            "quantity": String(order.quantity),
            "charge": order.charge.apiString,
            "start_count": String(order.startCount),
            "remains": String(order.remains),
            "status": order.status.rawValue,
            "status_label": statusLabel(order.status.rawValue, strings),
            "status_class": "st-" + order.status.rawValue.lowercased().replacingOccurrences(of: " ", with: "-"),
            "created": Display.time(order.createdAt),
            "can_cancel": actions.cancel,
            "can_refill": actions.refill,
            "parent_id": order.parentID.map(String.init) as Any,
        ]
        if let runs = order.runs {
            row["dripfeed"] = ["runs": String(runs), "interval": String(order.intervalMinutes ?? 0), "done": String(order.runsDone),
                               "next": Display.time(order.nextRunAt)]
        }
        if order.isSubscription {
            row["subscription"] = ["username": order.fields["username"] ?? "", "min": order.fields["min"] ?? "",
                                   "max": order.fields["max"] ?? "", "posts": order.fields["posts"] ?? "",
                                   "delay": order.fields["delay"] ?? "0", "expiry": order.fields["expiry"] ?? ""]
        }
        if let username { row["user"] = username; row["user_id"] = String(order.userID) }
        row["fields"] = order.fields.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        return row
    }

    struct OrderActions {
        var cancel = false
        var refill = false
        static let none = OrderActions()
    }

    /// What the customer may do with each order now, by the domain's own rules; no cancel where
    /// the provider already refused it (`refusedCancels`).
    static func actions(for orders: [Order], services: [Int64: Service], openRefills: Set<Int64>, refusedCancels: Set<Int64>,
                        now: Int64) -> [Int64: OrderActions] {
        var result: [Int64: OrderActions] = [:]
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

    static func service(_ service: Service) -> [String: Any] {
        [
            "id": String(service.id),
            "name": service.name,
            "category": service.categoryName,
            "category_id": String(service.categoryID),
            "type": service.type.rawValue,
            "rate": service.rate.rateString,
            "min": String(service.min),
            "max": String(service.max),
            "refill": service.refill,
            "refill_days": String(service.refillDays),
            "cancel": service.cancel,
            "dripfeed": service.dripFeed,
            "description": service.description,
            "enabled": service.enabled,
            "sort": String(service.sort),
            "flat": service.type.isFlatPrice,
        ]
    }

    /// Services grouped under their categories, in catalog order.
    static func catalog(_ services: [Service]) -> [[String: Any]] {
        var groups: [(name: String, rows: [[String: Any]])] = []
        for service in services {
            if groups.last?.name != service.categoryName { groups.append((service.categoryName, [])) }
            groups[groups.count - 1].rows.append(Self.service(service))
        }
        return groups.map { ["name": $0.name, "services": $0.rows] }
    }

    static func ledger(_ entry: LedgerEntry, strings: Strings) -> [String: Any] {
        [
            "id": String(entry.id), "user": entry.username, "user_id": String(entry.userID),
            "amount": entry.amount.apiString, "credit": entry.amount > .zero,
            "balance_after": entry.balanceAfter.apiString, "kind": strings["ledger_\(entry.kind)"],
            "order_id": entry.orderID.map(String.init) as Any, "memo": entry.memo, "created": Display.time(entry.createdAt),
        ]
    }

    static func payment(_ request: PaymentRequest, strings: Strings, username: String? = nil) -> [String: Any] {
        [
            "id": String(request.id), "user": username ?? "", "user_id": String(request.userID),
            "method": request.method, "amount": request.amount.apiString, "reference": request.reference,
            "status": statusLabel(request.status.rawValue, strings), "pending": request.status == .pending,
            "note": request.adminNote, "created": Display.time(request.createdAt), "decided": Display.time(request.decidedAt),
        ]
    }

    static func refill(_ refill: Refill, strings: Strings, username: String? = nil) -> [String: Any] {
        [
            "id": String(refill.id), "order_id": String(refill.orderID), "user": username ?? "", "user_id": String(refill.userID),
            "status": statusLabel(refill.status.rawValue, strings), "open": !refill.status.isFinal,
            "created": Display.time(refill.createdAt), "updated": Display.time(refill.updatedAt),
        ]
    }

    /// A status in the page's language (`In progress` → `status_in_progress`).
    static func statusLabel(_ status: String, _ strings: Strings) -> String {
        strings["status_" + status.lowercased().replacingOccurrences(of: " ", with: "_")]
    }

    /// Choices for a status filter, the current one selected.
    static func statusOptions(_ statuses: [String], selected: String?, strings: Strings) -> [[String: Any]] {
        statuses.map { ["value": $0, "label": statusLabel($0, strings), "selected": $0 == selected] }
    }
}
