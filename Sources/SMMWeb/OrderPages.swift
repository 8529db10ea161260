import Hummingbird
import SMMDomain
import SMMServices
import SMMStorage

/// New order, mass order, the order list and one order, cancel and refill, refills.
struct OrderPages: Sendable {
    let web: WebApp
    static let pageSize = 25
    static let maxMassLines = 500

    func addRoutes(to router: Router<PanelContext>) {
        web.on(router, .get, "/order", .customer) { call in try await newOrder(call, service: nil, preview: nil, error: nil) }
        web.on(router, .post, "/order", .customer) { call in try await submitOrder(call) }
        web.on(router, .get, "/order/mass", .customer) { call in
            call.page("mass", title: call.strings["nav_mass_order"], ["text": "", "max_lines": String(Self.maxMassLines)])
        }
        web.on(router, .post, "/order/mass", .customer) { call in try await massOrder(call) }
        web.on(router, .get, "/orders", .customer) { call in try await orders(call) }
        web.on(router, .get, "/orders/:id", .customer) { call in try await orderDetail(call, error: nil) }
        web.on(router, .post, "/orders/:id/cancel", .customer) { call in
            try await act(call) { id in
                _ = try await call.store.cancelOrder(id: id, userID: call.user!.id)
                return "notice_order_canceled"
            }
        }
        web.on(router, .post, "/orders/:id/refill", .customer) { call in
            try await act(call) { id in
                _ = try await call.store.createRefill(orderID: id, userID: call.user!.id)
                return "notice_refill_requested"
            }
        }
        web.on(router, .get, "/refills", .customer) { call in
            let refills = try await call.store.listRefills(userID: call.user!.id, limit: 100)
            return call.page("refills", title: call.strings["nav_refills"],
                             ["refills": refills.map { Rows.refill($0, strings: call.strings) }])
        }
    }

    // MARK: New order

    /// Category, then service, then exactly the fields of the service's type. `preview` is the
    /// charge the server computed for the form as filled in.
    func newOrder(_ call: WebCall, service chosen: Service?, preview: Money?, error: String?) async throws -> Response {
        let user = call.user!
        let services = try await call.store.services(pricedFor: user.id)
        let serviceID = chosen?.id ?? call.field("service").flatMap(IDList.parseID)
        let service = chosen ?? services.first { $0.id == serviceID }
        let categoryID = service?.categoryID ?? call.field("category").flatMap(IDList.parseID)
        var categories: [(Int64, String)] = []
        for s in services where !categories.contains(where: { $0.0 == s.categoryID }) { categories.append((s.categoryID, s.categoryName)) }
        var data: [String: Any] = [
            "categories": categories.map { ["id": String($0.0), "name": $0.1, "selected": $0.0 == categoryID] },
            "error": error as Any,
            "balance": user.balance.apiString,
        ]
        if let categoryID {
            data["category_id"] = String(categoryID)
            data["services"] = services.filter { $0.categoryID == categoryID }.map {
                ["id": String($0.id), "name": $0.name, "rate": $0.rate.rateString, "selected": $0.id == service?.id]
            }
        }
        if let service {
            data["service"] = Rows.service(service)
            data["rate_units"] = String(service.rate.minorUnits)
            data["inputs"] = inputs(for: service, call: call)
            data["count_field"] = Self.countField(service.type) ?? ""
            data["preview"] = preview?.apiString as Any
        }
        return call.page("order", title: call.strings["nav_new_order"], data)
    }

    /// The form inputs of a service's type, with what was typed so far.
    func inputs(for service: Service, call: WebCall) -> [[String: Any]] {
        let type = service.type
        var specs: [FieldSpec] = []
        if type.needsLink { specs.append(FieldSpec("link", .text)) }
        if type.takesQuantity { specs.append(FieldSpec("quantity", .positiveInteger)) }
        specs += type.extraFields
        if type.supportsDripFeed, service.dripFeed {
            specs += [FieldSpec("runs", .positiveInteger, required: false), FieldSpec("interval", .positiveInteger, required: false)]
        }
        return specs.map { spec in
            var input: [String: Any] = [
                "name": spec.name, "label": call.strings["field_\(spec.name)"], "value": call.form[spec.name] ?? "",
                "required": spec.required, "lines": spec.kind == .lines,
                "number": spec.kind == .positiveInteger || spec.kind == .nonNegativeInteger,
            ]
            if let help = call.strings.table["help_\(spec.name)"] { input["help"] = help }
            if spec.name == "quantity" { input["help"] = call.strings.format("help_quantity", ["min": String(service.min), "max": String(service.max)]) }
            return input
        }
    }

    /// For types whose quantity is a list's length, the list the live charge counts.
    static func countField(_ type: ServiceType) -> String? {
        switch type {
        case .customComments, .commentReplies: return "comments"
        case .mentionsCustomList: return "usernames"
        default: return nil
        }
    }

    /// `step=preview` shows the charge; `step=place` places the order through the same
    /// validation and store call as the API's `add`.
    func submitOrder(_ call: WebCall) async throws -> Response {
        let user = call.user!
        guard let id = call.field("service").flatMap(IDList.parseID), let service = try await call.store.service(id: id, pricedFor: user.id),
              service.enabled else {
            return try await newOrder(call, service: nil, preview: nil, error: call.message(.incorrectServiceID))
        }
        let charge: Money
        do {
            charge = try OrderValidator.validate(call.form, for: service.terms).charge
        } catch {
            return try await newOrder(call, service: service, preview: nil, error: call.message(error))
        }
        guard call.field("step") == "place" else {
            return try await newOrder(call, service: service, preview: charge, error: nil)
        }
        do {
            let order = try await OrderService(repository: call.store).place(user: user, serviceID: id, fields: call.form)
            return call.redirect("/orders/\(order.id)", notice: "notice_order_placed", id: order.id)
        } catch let error as PanelError {
            return try await newOrder(call, service: service, preview: charge, error: call.message(error))
        }
    }

    // MARK: Mass order

    /// One `service_id | link | quantity` per line; each line is placed or refused on its own.
    func massOrder(_ call: WebCall) async throws -> Response {
        let user = call.user!
        let text = call.form["orders"] ?? ""
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .enumerated().map { (number: $0.offset + 1, text: String($0.element).trimmingSpaces()) }.filter { !$0.text.isEmpty }
        var data: [String: Any] = ["text": text, "max_lines": String(Self.maxMassLines)]
        guard !lines.isEmpty else {
            data["error"] = call.strings["mass_empty"]
            return call.page("mass", title: call.strings["nav_mass_order"], data)
        }
        guard lines.count <= Self.maxMassLines else {
            data["error"] = call.strings.format("mass_too_many", ["n": String(Self.maxMassLines)])
            return call.page("mass", title: call.strings["nav_mass_order"], data)
        }
        var results: [[String: Any]] = []
        var placed = 0
        for line in lines {
            var result: [String: Any] = ["line": String(line.number), "text": line.text]
            let parts = line.text.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
            guard parts.count == 3 else {
                result["error"] = call.strings["mass_bad_line"]
                results.append(result)
                continue
            }
            do {
                guard let id = IDList.parseID(parts[0]) else { throw PanelError.incorrectServiceID }
                let order = try await OrderService(repository: call.store).place(user: user, serviceID: id, fields: ["link": parts[1], "quantity": parts[2]])
                result["order_id"] = String(order.id)
                result["charge"] = order.charge.apiString
                placed += 1
            } catch let error as PanelError {
                result["error"] = call.message(error)
            }
            results.append(result)
        }
        data["results"] = results
        data["summary"] = call.strings.format("mass_summary", ["placed": String(placed), "total": String(lines.count)])
        // The balance in the header must show what the placed lines cost.
        var refreshed = call
        refreshed.session?.user = try await call.store.user(id: user.id)
        return refreshed.page("mass", title: call.strings["nav_mass_order"], data)
    }

    // MARK: Orders

    func orders(_ call: WebCall) async throws -> Response {
        let user = call.user!
        let status = call.field("status").flatMap(OrderStatus.init(label:))
        let page = call.pageNumber()
        let q = call.field("q") ?? ""
        let (orders, more) = try await call.store.searchOrders(.init(
            userID: user.id, status: status, text: q, offset: (page - 1) * Self.pageSize, limit: Self.pageSize))
        let services = try await call.store.services(includeDisabled: true)
        let byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let open = try await call.store.ordersWithOpenRefill(orders.map(\.id))
        let refused = try await call.store.ordersWithRefusedCancel(orders.map(\.id))
        let actions = Rows.actions(for: orders, services: byID, openRefills: open, refusedCancels: refused, now: call.store.clock.now())
        return call.page("orders", title: call.strings["nav_orders"], [
            "orders": orders.map { Rows.order($0, serviceName: byID[$0.serviceID]?.name, strings: call.strings, actions: actions[$0.id] ?? .none) },
            "statuses": Rows.statusOptions((OrderStatus.orderStatuses + [.active, .paused, .expired]).map(\.rawValue),
                                           selected: status?.rawValue, strings: call.strings),
            "q": q,
            "paging": Self.paging(page: page, more: more, path: "/orders", query: ["status": status?.rawValue ?? "", "q": q]),
            "empty": orders.isEmpty,
        ])
    }

    /// Previous/next links that keep the filters.
    static func paging(page: Int, more: Bool, path: String, query: [String: String]) -> [String: Any] {
        func link(_ target: Int) -> String {
            let kept = query.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(WebApp.percentEncoded($0.value))" }
            return path + "?" + (kept + ["page=\(target)"]).joined(separator: "&")
        }
        var paging: [String: Any] = ["page": String(page)]
        if page > 1 { paging["previous"] = link(page - 1) }
        if more { paging["next"] = link(page + 1) }
        return paging
    }

    func orderDetail(_ call: WebCall, error: String?) async throws -> Response {
        let user = call.user!
        guard let id = call.context.parameters.get("id").flatMap(IDList.parseID),
              let order = try await call.store.order(id: id, userID: user.id) else { throw call.notFound() }
        let services = try await call.store.services(includeDisabled: true)
        let byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let open = try await call.store.ordersWithOpenRefill([order.id])
        let refused = try await call.store.ordersWithRefusedCancel([order.id])
        let actions = Rows.actions(for: [order], services: byID, openRefills: open, refusedCancels: refused, now: call.store.clock.now())
        let children = try await call.store.childOrderIDs(parentIDs: [order.id])[order.id] ?? []
        let childOrders = try await call.store.orders(ids: children, userID: user.id)
        return call.page("order_detail", title: call.strings.format("order_title", ["id": String(order.id)]), [
            "order": Rows.order(order, serviceName: byID[order.serviceID]?.name, strings: call.strings, actions: actions[order.id] ?? .none),
            "children": children.compactMap { childOrders[$0] }.map { Rows.order($0, serviceName: nil, strings: call.strings) },
            "has_children": !children.isEmpty,
            "error": error as Any,
        ])
    }

    /// A customer action on one of their own orders; someone else's order is a 404, as if it
    /// did not exist.
    func act(_ call: WebCall, _ action: (Int64) async throws -> String) async throws -> Response {
        guard let id = call.context.parameters.get("id").flatMap(IDList.parseID) else { throw call.notFound() }
        do {
            let notice = try await action(id)
            return call.redirect("/orders/\(id)", notice: notice, id: id)
        } catch PanelError.incorrectOrderID {
            throw call.notFound()
        } catch let error as PanelError {
            return try await orderDetail(call, error: call.message(error))
        }
    }
}
