import Hummingbird
import SMMDomain
import SMMServices
import SMMStorage

/// New order, mass order, the order list and one order, cancel and refill, refills.
struct OrderPages: Sendable {
    let web: WebApp
    static let pageSize = 25
    static let maxMassLines = 500

    func addRoutes(to pages: WebPages) {
        pages.customer.get("/order") { call in try await newOrder(call, service: nil, preview: nil, error: nil) }
        pages.customer.post("/order") { call in try await submitOrder(call) }
        pages.customer.get("/order/mass") { call in
            call.page(.mass, title: call.strings["nav_mass_order"], MassPage(text: nil, max_lines: String(Self.maxMassLines)))
        }
        pages.customer.post("/order/mass") { call in try await massOrder(call) }
        pages.customer.get("/orders") { call in try await orders(call) }
        pages.customer.get("/orders/:id") { call in try await orderDetail(call, error: nil) }
        pages.customer.post("/orders/:id/cancel") { call in
            try await act(call) { id in
                _ = try await call.services.requests.cancel(orderID: id, userID: call.user!.id)
                return "notice_order_canceled"
            }
        }
        pages.customer.post("/orders/:id/refill") { call in
            try await act(call) { id in
                _ = try await call.services.requests.requestRefill(orderID: id, userID: call.user!.id)
                return "notice_refill_requested"
            }
        }
        pages.customer.get("/refills") { call in
            let refills = try await call.store.listRefills(userID: call.user!.id, limit: 100)
            return call.page(.refills, title: call.strings["nav_refills"],
                             RefillsPage(refills: refills.map { Rows.refill($0, strings: call.strings) }))
        }
    }

    // MARK: New order

    /// Category, then service, then exactly the fields of the service's type. `preview` is the
    /// charge the server computed for the form as filled in.
    func newOrder(_ call: WebCall, service chosen: Service?, preview: Money?, error: String?) async throws -> Response {
        let user = call.user!
        let services = try await call.store.services(pricedFor: user.id)
        let serviceID: ServiceID? = chosen?.id ?? call.field("service").flatMap(IDList.parseID)
        let service = chosen ?? services.first { $0.id == serviceID }
        let categoryID: CategoryID? = service?.categoryID ?? call.field("category").flatMap(IDList.parseID)
        var categories: [(CategoryID, String)] = []
        for s in services where !categories.contains(where: { $0.0 == s.categoryID }) { categories.append((s.categoryID, s.categoryName)) }
        let data = OrderFormPage(
            categories: categories.map { OrderFormPage.Choice(id: String($0.0), name: $0.1.shown, rate: nil, selected: $0.0 == categoryID) },
            error: error.shown,
            balance: user.balance.apiString,
            category_id: categoryID.map(String.init),
            services: categoryID.map { categoryID in
                services.filter { $0.categoryID == categoryID }.map {
                    OrderFormPage.Choice(id: String($0.id), name: $0.name.shown, rate: $0.rate.rateString, selected: $0.id == service?.id)
                }
            },
            service: service.map(Rows.service),
            rate_units: service.map { String($0.rate.minorUnits) },
            inputs: service.map { inputs(for: $0, call: call) },
            count_field: service.flatMap { Self.countField($0.type) },
            preview: service == nil ? nil : preview?.apiString)
        return call.page(.order, title: call.strings["nav_new_order"], data)
    }

    /// The form inputs of a service's type, with what was typed so far.
    func inputs(for service: Service, call: WebCall) -> [OrderFormPage.Input] {
        let type = service.type
        var specs: [FieldSpec] = []
        if type.needsLink { specs.append(FieldSpec("link", .text)) }
        if type.takesQuantity { specs.append(FieldSpec("quantity", .positiveInteger)) }
        specs += type.extraFields
        if type.supportsDripFeed, service.dripFeed {
            specs += [FieldSpec("runs", .positiveInteger, required: false), FieldSpec("interval", .positiveInteger, required: false)]
        }
        return specs.map { spec in
            var help = call.strings.table["help_\(spec.name)"]
            if spec.name == "quantity" { help = call.strings.format("help_quantity", ["min": String(service.min), "max": String(service.max)]) }
            return OrderFormPage.Input(
                name: spec.name.shown, label: call.strings["field_\(spec.name)"].shown, value: call.form[spec.name].shown,
                required: spec.required, lines: spec.kind == .lines,
                number: spec.kind == .positiveInteger || spec.kind == .nonNegativeInteger, help: help.shown)
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
        guard let id: ServiceID = call.field("service").flatMap(IDList.parseID), let service = try await call.store.service(id: id, pricedFor: user.id),
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
            let order = try await call.services.orders.place(user: user, serviceID: id, fields: call.form)
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
        var data = MassPage(text: text.shown, max_lines: String(Self.maxMassLines))
        guard !lines.isEmpty else {
            data.error = call.strings["mass_empty"].shown
            return call.page(.mass, title: call.strings["nav_mass_order"], data)
        }
        guard lines.count <= Self.maxMassLines else {
            data.error = call.strings.format("mass_too_many", ["n": String(Self.maxMassLines)]).shown
            return call.page(.mass, title: call.strings["nav_mass_order"], data)
        }
        var results: [MassPage.Result] = []
        var placed = 0
        for line in lines {
            var result = MassPage.Result(line: String(line.number), text: line.text.shown)
            let parts = line.text.split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
            guard parts.count == 3 else {
                result.error = call.strings["mass_bad_line"].shown
                results.append(result)
                continue
            }
            do {
                guard let id: ServiceID = IDList.parseID(parts[0]) else { throw PanelError.incorrectServiceID }
                let order = try await call.services.orders.place(user: user, serviceID: id, fields: ["link": parts[1], "quantity": parts[2]])
                result.order_id = String(order.id)
                result.charge = order.charge.apiString
                placed += 1
            } catch let error as PanelError {
                result.error = call.message(error).shown
            }
            results.append(result)
        }
        data.results = results
        data.summary = call.strings.format("mass_summary", ["placed": String(placed), "total": String(lines.count)]).shown
        // The balance in the header must show what the placed lines cost.
        var refreshed = call
        refreshed.session?.user = try await call.store.user(id: user.id)
        return refreshed.page(.mass, title: call.strings["nav_mass_order"], data)
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
        return call.page(.orders, title: call.strings["nav_orders"], OrdersPage(
            orders: orders.map { Rows.order($0, serviceName: byID[$0.serviceID]?.name, strings: call.strings, actions: actions[$0.id] ?? .none) },
            statuses: Rows.statusOptions((OrderStatus.orderStatuses + [.active, .paused, .expired]).map(\.rawValue),
                                         selected: status?.rawValue, strings: call.strings),
            q: q.shown,
            paging: Self.paging(page: page, more: more, path: "/orders", query: ["status": status?.rawValue ?? "", "q": q]),
            empty: orders.isEmpty))
    }

    /// Previous/next links that keep the filters.
    static func paging(page: Int, more: Bool, path: String, query: [String: String]) -> Paging {
        func link(_ target: Int) -> String {
            let kept = query.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(WebApp.percentEncoded($0.value))" }
            return path + "?" + (kept + ["page=\(target)"]).joined(separator: "&")
        }
        return Paging(page: String(page), previous: page > 1 ? link(page - 1) : nil, next: more ? link(page + 1) : nil)
    }

    func orderDetail(_ call: WebCall, error: String?) async throws -> Response {
        let user = call.user!
        guard let id: OrderID = call.context.parameters.get("id").flatMap(IDList.parseID),
              let order = try await call.store.order(id: id, userID: user.id) else { throw call.notFound() }
        let services = try await call.store.services(includeDisabled: true)
        let byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let open = try await call.store.ordersWithOpenRefill([order.id])
        let refused = try await call.store.ordersWithRefusedCancel([order.id])
        let actions = Rows.actions(for: [order], services: byID, openRefills: open, refusedCancels: refused, now: call.store.clock.now())
        let children = try await call.store.childOrderIDs(parentIDs: [order.id])[order.id] ?? []
        let childOrders = try await call.store.orders(ids: children, userID: user.id)
        return call.page(.orderDetail, title: call.strings.format("order_title", ["id": String(order.id)]), OrderDetailPage(
            order: Rows.order(order, serviceName: byID[order.serviceID]?.name, strings: call.strings, actions: actions[order.id] ?? .none),
            children: children.compactMap { childOrders[$0] }.map { Rows.order($0, serviceName: nil, strings: call.strings) },
            has_children: !children.isEmpty,
            error: error.shown))
    }

    /// A customer action on one of their own orders; someone else's order is a 404, as if it
    /// did not exist.
    func act(_ call: WebCall, _ action: (OrderID) async throws -> String) async throws -> Response {
        guard let id: OrderID = call.context.parameters.get("id").flatMap(IDList.parseID) else { throw call.notFound() }
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

struct OrderFormPage: Sendable {
    /// A category or a service to pick.
    struct Choice: Sendable {
        let id: String
        let name: String?
        let rate: String?
        let selected: Bool
    }

    /// One field of the service's type, with what was typed so far.
    struct Input: Sendable {
        let name: String?
        let label: String?
        let value: String?
        let `required`: Bool
        let lines: Bool
        let number: Bool
        let help: String?
    }

    let categories: [Choice]
    let error: String?
    let balance: String
    let category_id: String?
    let services: [Choice]?
    let service: ServiceRow?
    let rate_units: String?
    let inputs: [Input]?
    let count_field: String?
    let preview: String?
}

struct MassPage: Sendable {
    struct Result: Sendable {
        let line: String
        let text: String?
        var error: String?
        var order_id: String?
        var charge: String?
    }

    let text: String?
    let max_lines: String
    var error: String?
    var results: [Result]?
    var summary: String?
}

struct OrdersPage: Sendable {
    let orders: [OrderRow]
    let statuses: [SelectOption]
    let q: String?
    let paging: Paging
    let empty: Bool
}

struct OrderDetailPage: Sendable {
    let order: OrderRow
    let children: [OrderRow]
    let has_children: Bool
    let error: String?
}

struct RefillsPage: Sendable {
    let refills: [RefillRow]
}
