import Hummingbird
import SMMDomain
import SMMStorage

/// The admin console: dashboard, users, orders, refills, payment requests, ledger.
/// (Catalog pages are in `AdminCatalogPages`; the reseller engine adds providers.)
struct AdminPages: Sendable {
    let web: WebApp

    func addRoutes(to pages: WebPages) {
        pages.admin.get("/admin") { call in try await dashboard(call) }
        pages.admin.get("/admin/users") { call in
            let q = call.field("q") ?? ""
            let users = try await call.store.searchUsers(q, limit: 100)
            return call.page(.adminUsers, title: call.strings["nav_users"], AdminUsersPage(q: q.shown, users: users.map(Self.userRow)))
        }
        pages.admin.get("/admin/users/:id") { call in try await userPage(call, error: nil) }
        pages.admin.post("/admin/users/:id/balance") { call in try await adjustBalance(call) }
        pages.admin.post("/admin/users/:id/rate") { call in try await setRate(call) }
        pages.admin.post("/admin/users/:id/disable") { call in
            let user = try await pathUser(call)
            let disable = call.field("disabled") == "1"
            // An admin who disabled their own account would lock themselves out mid-click.
            if disable, user.id == call.user!.id { return try await userPage(call, error: call.strings["disable_self"]) }
            try await call.services.accounts.setDisabled(userID: user.id, disable)
            return call.redirect("/admin/users/\(user.id)", notice: "notice_saved")
        }
        // Open or close sign-up for every node (a `serve --signup` flag sets it again at start).
        pages.admin.post("/admin/signup") { call in
            guard let choice = call.field("signup"), choice == "open" || choice == "closed" else { return call.redirect("/admin") }
            try await call.services.accounts.setSignupOpen(choice == "open")
            return call.redirect("/admin", notice: "notice_saved")
        }
        pages.admin.get("/admin/orders") { call in try await orders(call) }
        pages.admin.get("/admin/orders/:id") { call in try await orderPage(call, error: nil) }
        pages.admin.post("/admin/orders/:id") { call in try await updateOrder(call, cancel: false) }
        pages.admin.post("/admin/orders/:id/cancel") { call in try await updateOrder(call, cancel: true) }
        // Held for its provider: send again, or follow the order the provider does have.
        pages.admin.post("/admin/orders/:id/resend") { call in
            try await upstreamAction(call) { id in try await call.services.providers.resendHeld(orderID: id) }
        }
        pages.admin.post("/admin/orders/:id/link") { call in
            try await upstreamAction(call) { id in
                try await call.services.providers.linkUpstreamOrder(orderID: id, upstreamOrderID: call.field("upstream_id") ?? "")
            }
        }
        pages.admin.get("/admin/refills") { call in try await refills(call, error: nil) }
        pages.admin.post("/admin/refills/:id") { call in
            do {
                guard let id: RefillID = call.context.parameters.get("id").flatMap(IDList.parseID),
                      let status = call.field("status").flatMap(RefillStatus.init(label:)) else { throw PanelError.incorrectRequest }
                try await call.services.orderAdmin.updateRefill(id: id, status: status)
                return call.redirect("/admin/refills", notice: "notice_saved")
            } catch let error as PanelError {
                return try await refills(call, error: call.message(error))
            }
        }
        pages.admin.get("/admin/payments") { call in try await payments(call, error: nil) }
        pages.admin.post("/admin/payments/:id") { call in
            do {
                guard let id: PaymentRequestID = call.context.parameters.get("id").flatMap(IDList.parseID),
                      let decision = call.field("decision"), decision == "approve" || decision == "reject" else {
                    throw PanelError.incorrectRequest
                }
                try await call.services.payments.decide(id: id, approve: decision == "approve", adminID: call.user!.id,
                                                          note: call.field("note") ?? "")
                return call.redirect("/admin/payments", notice: decision == "approve" ? "notice_payment_approved" : "notice_payment_rejected", id: id)
            } catch let error as PanelError {
                return try await payments(call, error: call.message(error))
            }
        }
        pages.admin.get("/admin/ledger") { call in
            let user = if let name = call.field("user") { try await call.store.user(named: name) } else { User?.none }
            let entries = try await call.store.ledgerEntries(userID: user?.id, limit: 200)
            return call.page(.adminLedger, title: call.strings["nav_ledger"], AdminLedgerPage(
                user: call.field("user").shown, ledger: entries.map { Rows.ledger($0, strings: call.strings) }, admin_view: true,
                unknown_user: call.field("user") != nil && user == nil))
        }
    }

    func dashboard(_ call: WebCall) async throws -> Response {
        let now = call.store.clock.now()
        let stats = try await call.store.adminStats(dayStart: Display.dayStart(now))
        let stale = try await call.store.staleOrders(before: now - 86_400, limit: 20)
        let names = try await serviceNames(call.store)
        let users = try await call.store.usernames(ids: stale.map(\.userID))
        let attentionCount = try await call.store.attentionCount()
        let providers = try await call.store.providers()
        return call.page(.adminDashboard, title: call.strings["nav_admin_dashboard"], AdminDashboardPage(
            attention_count: String(attentionCount),
            profit_today: try await call.store.upstreamProfit(since: Display.dayStart(now)).apiString,
            providers: providers.map(AdminProviderPages.providerRow), has_providers: !providers.isEmpty,
            orders_today: String(stats.ordersToday),
            revenue_today: stats.revenueToday.apiString,
            active_orders: String(stats.activeOrders),
            pending_payments: String(stats.pendingPayments),
            signup_open: try await call.store.signupOpen(),
            stale: stale.map { Rows.order($0, serviceName: names[$0.serviceID], strings: call.strings, username: users[$0.userID]) }))
    }

    static func userRow(_ user: User) -> UserRow {
        UserRow(id: String(user.id), name: user.username.shown, balance: user.balance.apiString, admin: user.isAdmin,
                disabled: user.disabled, created: Display.time(user.createdAt).shown)
    }

    func pathUser(_ call: WebCall) async throws -> User {
        guard let id: UserID = call.context.parameters.get("id").flatMap(IDList.parseID), let user = try await call.store.user(id: id) else {
            throw call.notFound()
        }
        return user
    }

    func userPage(_ call: WebCall, error: String?) async throws -> Response {
        let user = try await pathUser(call)
        let rates = try await call.store.customRates(userID: user.id)
        let services = try await call.store.services(includeDisabled: true)
        return call.page(.adminUser, title: user.username, AdminUserPage(
            user: Self.userRow(user),
            error: error.shown,
            spent: try await call.store.totalSpent(userID: user.id).apiString,
            rates: services.filter { rates[$0.id] != nil }.map {
                AdminUserPage.Rate(service_id: String($0.id), service: $0.name.shown, base: $0.rate.rateString, rate: rates[$0.id]!.rateString)
            },
            services: services.map { AdminUserPage.ServiceChoice(id: String($0.id), name: $0.name.shown, rate: $0.rate.rateString) },
            ledger: try await call.store.ledgerEntries(userID: user.id, limit: 20).map { Rows.ledger($0, strings: call.strings) }))
    }

    /// `direction` add or deduct, with a memo for the ledger. A deduction never takes a
    /// balance below zero.
    func adjustBalance(_ call: WebCall) async throws -> Response {
        let user = try await pathUser(call)
        do {
            guard let amount = call.field("amount").flatMap(Money.init(parsing:)), amount > .zero else { throw PanelError.incorrectField("amount") }
            guard let memo = call.field("memo") else { throw PanelError.missingField("memo") }
            let memoText = "\(memo) (by \(call.user!.username))"
            if call.field("direction") == "deduct" {
                _ = try await call.services.ledger.deductFunds(userID: user.id, amount: amount, memo: memoText)
            } else {
                _ = try await call.services.ledger.addFunds(userID: user.id, amount: amount, memo: memoText)
            }
            return call.redirect("/admin/users/\(user.id)", notice: "notice_balance_changed")
        } catch let error as PanelError {
            return try await userPage(call, error: call.message(error))
        }
    }

    /// A blank rate removes the user's own rate.
    func setRate(_ call: WebCall) async throws -> Response {
        let user = try await pathUser(call)
        do {
            guard let serviceID: ServiceID = call.field("service").flatMap(IDList.parseID) else { throw PanelError.incorrectServiceID }
            var rate: Money?
            if let text = call.field("rate") {
                guard let parsed = Money(parsing: text), parsed >= .zero else { throw PanelError.incorrectField("rate") }
                rate = parsed
            }
            try await call.services.catalog.setCustomRate(userID: user.id, serviceID: serviceID, rate: rate)
            return call.redirect("/admin/users/\(user.id)", notice: "notice_saved")
        } catch let error as PanelError {
            return try await userPage(call, error: call.message(error))
        }
    }

    // MARK: Orders

    func orders(_ call: WebCall) async throws -> Response {
        if call.field("attention") == "1" { return try await attention(call, error: nil) }
        let status = call.field("status").flatMap(OrderStatus.init(label:))
        let serviceID: ServiceID? = call.field("service").flatMap(IDList.parseID)
        let providerID: ProviderID? = call.field("provider").flatMap(IDList.parseID)
        let username = call.field("user") ?? ""
        let page = call.pageNumber()
        let q = call.field("q") ?? ""
        let filterUser = username.isEmpty ? nil : try await call.store.user(named: username)
        let found: (orders: [Order], more: Bool)
        if !username.isEmpty, filterUser == nil {
            found = ([], false)
        } else {
            found = try await call.store.searchOrders(.init(userID: filterUser?.id, status: status, serviceID: serviceID, text: q,
                                                            offset: (page - 1) * OrderPages.pageSize, limit: OrderPages.pageSize,
                                                            providerID: providerID))
        }
        let services = try await call.store.services(includeDisabled: true)
        let names = Dictionary(services.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let users = try await call.store.usernames(ids: found.orders.map(\.userID))
        let upstream = try await call.store.upstreamInfo(orderIDs: found.orders.map(\.id))
        let providers = try await call.store.providers()
        return call.page(.adminOrders, title: call.strings["nav_orders"], AdminOrdersPage(
            admin_view: true,
            attention_count: String(try await call.store.attentionCount()),
            orders: found.orders.map { order in
                var row = Rows.order(order, serviceName: names[order.serviceID], strings: call.strings, username: users[order.userID])
                if let info = upstream[order.id] { row.upstream = Self.upstreamRow(info, order: order) }
                return row
            },
            statuses: Rows.statusOptions((OrderStatus.orderStatuses + OrderStatus.subscriptionStatuses.filter { !OrderStatus.orderStatuses.contains($0) }).map(\.rawValue),
                                         selected: status?.rawValue, strings: call.strings),
            services: services.map { AdminOrdersPage.Choice(id: String($0.id), name: $0.name.shown, selected: $0.id == serviceID) },
            providers: providers.map { AdminOrdersPage.Choice(id: String($0.id), name: $0.name.shown, selected: $0.id == providerID) },
            has_providers: !providers.isEmpty,
            user: username.shown, q: q.shown, empty: found.orders.isEmpty,
            paging: OrderPages.paging(page: page, more: found.more, path: "/admin/orders",
                                      query: ["status": status?.rawValue ?? "", "q": q, "user": username,
                                              "service": serviceID.map(String.init) ?? "",
                                              "provider": providerID.map(String.init) ?? ""])))
    }

    func orderPage(_ call: WebCall, error: String?) async throws -> Response {
        guard let id: OrderID = call.context.parameters.get("id").flatMap(IDList.parseID), let order = try await call.store.order(id: id, userID: nil) else {
            throw call.notFound()
        }
        let names = try await serviceNames(call.store)
        let users = try await call.store.usernames(ids: [order.userID])
        let children = try await call.store.childOrderIDs(parentIDs: [order.id])[order.id] ?? []
        let childOrders = try await call.store.orders(ids: children, userID: order.userID)
        let statuses = order.isSubscription ? OrderStatus.subscriptionStatuses : OrderStatus.orderStatuses
        let upstream = try await call.store.upstreamInfo(orderIDs: [order.id])[order.id]
        return call.page(.adminOrder, title: call.strings.format("order_title", ["id": String(order.id)]), AdminOrderPage(
            upstream: upstream.map { Self.upstreamRow($0, order: order) },
            order: Rows.order(order, serviceName: names[order.serviceID], strings: call.strings, username: users[order.userID]),
            final: order.status.isFinal,
            statuses: Rows.statusOptions(statuses.map(\.rawValue), selected: order.status.rawValue, strings: call.strings),
            children: children.compactMap { childOrders[$0] }.map { Rows.order($0, serviceName: nil, strings: call.strings) },
            has_children: !children.isEmpty,
            error: error.shown))
    }

    /// Status, start count and remains through the order state machine: Partial and Canceled
    /// refund by its rules, exactly once.
    func updateOrder(_ call: WebCall, cancel: Bool) async throws -> Response {
        guard let id: OrderID = call.context.parameters.get("id").flatMap(IDList.parseID) else { throw call.notFound() }
        do {
            var change = OrderChange()
            if cancel {
                change.status = .canceled
            } else {
                if let text = call.field("status") {
                    guard let status = OrderStatus(label: text) else { throw PanelError.incorrectField("status") }
                    change.status = status
                }
                if let text = call.field("start_count") {
                    guard let value = OrderValidator.parseInteger(text) else { throw PanelError.incorrectField("start_count") }
                    change.startCount = value
                }
                if let text = call.field("remains") {
                    guard let value = OrderValidator.parseInteger(text) else { throw PanelError.incorrectField("remains") }
                    change.remains = value
                }
            }
            try await call.services.orderAdmin.update(orderID: id, change)
            return call.redirect("/admin/orders/\(id)", notice: "notice_saved")
        } catch PanelError.incorrectOrderID {
            throw call.notFound()
        } catch let error as PanelError {
            return try await orderPage(call, error: call.message(error))
        }
    }

    // MARK: Provider-backed orders

    static func upstreamRow(_ info: UpstreamOrderInfo, order: Order) -> UpstreamRow {
        UpstreamRow(id: String(order.id), provider: info.providerName.shown, upstream_id: info.upstreamOrderID.shown,
                    state: info.state.rawValue, upstream_status: info.upstreamStatus.shown, cost: info.cost?.apiString.shown,
                    profit: info.cost.map { (order.charge - $0).apiString }.shown, reason: info.reason.shown,
                    last_response: info.lastResponse.shown, attempts: String(info.attempts), held: info.state == .held)
    }

    /// Orders that need the operator (held, failed, unreadable reports), with the reason.
    func attention(_ call: WebCall, error: String?) async throws -> Response {
        let items = try await call.store.attentionItems(limit: 200)
        let users = try await call.store.usernames(ids: items.map(\.userID))
        return call.page(.adminAttention, title: call.strings["attention_title"], AttentionPage(
            error: error.shown,
            items: items.map { item in
                AttentionPage.Item(
                    id: String(item.orderID), user: users[item.userID].shown, user_id: String(item.userID),
                    provider: item.providerName.shown, state: item.state.rawValue, review: item.review,
                    upstream_id: item.upstreamOrderID.shown, upstream_status: item.upstreamStatus.shown, reason: item.reason.shown,
                    updated: Display.time(item.updatedAt).shown, held: item.state == .held, back: "attention")
            }))
    }

    /// Resend or link a held order, then back to where the form was (the attention list or
    /// the order).
    func upstreamAction(_ call: WebCall, _ action: (OrderID) async throws -> Void) async throws -> Response {
        guard let id: OrderID = call.context.parameters.get("id").flatMap(IDList.parseID), try await call.store.order(id: id, userID: nil) != nil else {
            throw call.notFound()
        }
        let fromList = call.field("back") == "attention"
        do {
            try await action(id)
            return call.redirect(fromList ? "/admin/orders?attention=1" : "/admin/orders/\(id)", notice: "notice_saved")
        } catch let error as PanelError {
            return fromList ? try await attention(call, error: call.message(error)) : try await orderPage(call, error: call.message(error))
        }
    }

    func refills(_ call: WebCall, error: String?) async throws -> Response {
        let refills = try await call.store.listRefills(userID: nil, limit: 200)
        let users = try await call.store.usernames(ids: refills.map(\.userID))
        return call.page(.adminRefills, title: call.strings["nav_refills"], AdminRefillsPage(
            error: error.shown, admin_view: true,
            refills: refills.map { refill in
                var row = Rows.refill(refill, strings: call.strings, username: users[refill.userID])
                row.choices = RefillStatus.allCases.filter { refill.status.canMove(to: $0) }.map {
                    RefillRow.Choice(value: $0.rawValue, label: Rows.statusLabel($0.rawValue, call.strings).shown)
                }
                return row
            }))
    }

    func payments(_ call: WebCall, error: String?) async throws -> Response {
        let pending = try await call.store.paymentRequests(userID: nil, status: .pending, limit: 200)
        let recent = try await call.store.paymentRequests(userID: nil, status: nil, limit: 50).filter { $0.status != .pending }
        let users = try await call.store.usernames(ids: (pending + recent).map(\.userID))
        return call.page(.adminPayments, title: call.strings["nav_payments"], AdminPaymentsPage(
            error: error.shown,
            pending: pending.map { Rows.payment($0, strings: call.strings, username: users[$0.userID]) },
            recent: recent.map { Rows.payment($0, strings: call.strings, username: users[$0.userID]) }))
    }
}


struct UserRow: Sendable {
    let id: String
    let name: String?
    let balance: String
    let admin: Bool
    let disabled: Bool
    let created: String?
}

struct AdminUsersPage: Sendable {
    let q: String?
    let users: [UserRow]
}

struct AdminLedgerPage: Sendable {
    let user: String?
    let ledger: [LedgerRow]
    let admin_view: Bool
    let unknown_user: Bool
}

struct AdminDashboardPage: Sendable {
    let attention_count: String
    let profit_today: String
    let providers: [ProviderRow]
    let has_providers: Bool
    let orders_today: String
    let revenue_today: String
    let active_orders: String
    let pending_payments: String
    let signup_open: Bool
    let stale: [OrderRow]
}

struct AdminUserPage: Sendable {
    /// The user's own rate for one service, beside the base rate.
    struct Rate: Sendable {
        let service_id: String
        let service: String?
        let base: String
        let rate: String
    }

    struct ServiceChoice: Sendable {
        let id: String
        let name: String?
        let rate: String
    }

    let user: UserRow
    let error: String?
    let spent: String
    let rates: [Rate]
    let services: [ServiceChoice]
    let ledger: [LedgerRow]
}

struct AdminOrdersPage: Sendable {
    /// A service or a provider to filter by.
    struct Choice: Sendable {
        let id: String
        let name: String?
        let selected: Bool
    }

    let admin_view: Bool
    let attention_count: String
    let orders: [OrderRow]
    let statuses: [SelectOption]
    let services: [Choice]
    let providers: [Choice]
    let has_providers: Bool
    let user: String?
    let q: String?
    let empty: Bool
    let paging: Paging
}

struct AdminOrderPage: Sendable {
    let upstream: UpstreamRow?
    let order: OrderRow
    let `final`: Bool
    let statuses: [SelectOption]
    let children: [OrderRow]
    let has_children: Bool
    let error: String?
}

struct AttentionPage: Sendable {
    struct Item: Sendable {
        let id: String
        let user: String?
        let user_id: String
        let provider: String?
        let state: String
        let review: Bool
        let upstream_id: String?
        let upstream_status: String?
        let reason: String?
        let updated: String?
        let held: Bool
        let back: String
    }

    let error: String?
    let items: [Item]
}

struct AdminRefillsPage: Sendable {
    let error: String?
    let admin_view: Bool
    let refills: [RefillRow]
}

struct AdminPaymentsPage: Sendable {
    let error: String?
    let pending: [PaymentRow]
    let recent: [PaymentRow]
}
