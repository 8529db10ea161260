import Mustache

// The values the templates show. swift-mustache reads a struct's stored properties by name
// (Mirror), so property names are the templates' keys, snake_case included. Text that can be
// empty is an optional left nil when empty: Mustache counts "" as present, and `{{#error}}`
// must not render for an error that did not happen.

/// A page template; a name not in the bundle does not compile.
enum PageTemplate: String, CaseIterable, Sendable {
    case account, api, dashboard, funds, login, mass, message, order, orders, refills, services, signup
    case orderDetail = "order_detail"
    case adminAttention = "admin_attention", adminCatalog = "admin_catalog", adminDashboard = "admin_dashboard"
    case adminLedger = "admin_ledger", adminOrder = "admin_order", adminOrders = "admin_orders", adminPayments = "admin_payments"
    case adminProviders = "admin_providers", adminRefills = "admin_refills", adminService = "admin_service"
    case adminUser = "admin_user", adminUsers = "admin_users"
}

extension String {
    /// The text, or nil when empty (see the top of this file).
    var shown: String? { isEmpty ? nil : self }
}

extension Optional<String> {
    var shown: String? { self.flatMap(\.shown) }
}

/// What the layout shows around every page.
struct Layout: Sendable {
    struct Me: Sendable {
        let name: String?
        let balance: String
        let admin: Bool
    }

    struct NavItem: Sendable {
        let href: String
        let label: String?
        let active: Bool
    }

    struct Navigation: Sendable {
        let customer: [NavItem]
        let admin: [NavItem]?
        let in_admin: Bool?
    }

    struct SwitchLanguage: Sendable {
        let code: String
        let label: String?
        let back: String?
    }

    let t: [String: String]
    let lang: String
    let dir: String
    let title: String?
    let csrf: String?
    let currency: String?
    let me: Me?
    let nav: Navigation?
    let notice: String?
    let switch_lang: SwitchLanguage
}

/// A page's own values with the layout's: a name is looked up in the layout first, then in the
/// page's values (their names do not overlap).
struct PageView<Content: Sendable>: MustacheParent, Sendable {
    let layout: Layout
    let content: Content

    func child(named name: String) -> Any? {
        Self.value(named: name, in: layout) ?? Self.value(named: name, in: content)
    }

    /// A stored property's value; nil when absent or nil, as Mustache's own lookup does.
    static func value(named name: String, in object: Any) -> Any? {
        guard let value = Mirror(reflecting: object).children.first(where: { $0.label == name })?.value else { return nil }
        let wrapped = Mirror(reflecting: value)
        guard wrapped.displayStyle == .optional else { return value }
        return wrapped.children.first?.value
    }
}

/// The one-line pages: not found, expired form, busy, sign-up closed.
struct MessagePage: Sendable {
    let message: String?
}
