@testable import SMMWeb
import Testing

/// swift-mustache reads typed view models by reflection and dictionaries by key: the same
/// values must give the same bytes, hostile text escaped, nested lists, optionals and booleans
/// as sections. The dictionaries here are what the pages rendered from before they were typed
/// (empty and nil values left out).
@Suite struct WebViewModelTests {
    static let hostile = #"<script>alert("x")</script> & 'q'"#

    static func layout(signedIn: Bool) -> (Layout, [String: Any]) {
        let table = Views.bundled.translations.strings(.en).table
        let layout = Layout(
            t: table, lang: "en", dir: "ltr", title: hostile.shown, csrf: "tok<en>", currency: "USD",
            me: signedIn ? Layout.Me(name: hostile, balance: "1.50", admin: false) : nil,
            nav: signedIn ? Layout.Navigation(customer: [Layout.NavItem(href: "/orders", label: "Orders", active: true),
                                                         Layout.NavItem(href: "/funds", label: nil, active: false)],
                                              admin: nil, in_admin: nil) : nil,
            notice: nil, switch_lang: Layout.SwitchLanguage(code: "ar", label: "العربية", back: "/orders?x=<y>"))
        var values: [String: Any] = [
            "t": table, "lang": "en", "dir": "ltr", "title": hostile, "csrf": "tok<en>", "currency": "USD",
            "switch_lang": ["code": "ar", "label": "العربية", "back": "/orders?x=<y>"],
        ]
        if signedIn {
            values["me"] = ["name": hostile, "balance": "1.50", "admin": false]
            values["nav"] = ["customer": [["href": "/orders", "label": "Orders", "active": true] as [String: Any],
                                          ["href": "/funds", "active": false]]]
        }
        return (layout, values)
    }

    static func render(_ object: Any, _ template: PageTemplate) -> String {
        Views.bundled.library.render(object, withTemplate: template.rawValue) ?? "(no template)"
    }

    @Test func aListPageRendersTheSameBytesAsItsDictionary() {
        let (layout, values) = Self.layout(signedIn: true)
        let drip = OrderRow(
            id: "7", service_id: "3", service: Self.hostile, type: "Default", link: Self.hostile, quantity: "100", charge: "0.50",
            start_count: "0", remains: "100", status: "Pending", status_label: "Pending", status_class: "st-pending",
            created: "2026-12-07 10:00", can_cancel: true, can_refill: false, parent_id: nil,
            dripfeed: OrderRow.DripFeed(runs: "5", interval: "30", done: "1", next: nil), subscription: nil,
            user: nil, user_id: nil, fields: [OrderRow.Field(name: "link", value: Self.hostile), OrderRow.Field(name: "note", value: nil)])
        var held = drip
        held.upstream = UpstreamRow(id: "8", provider: "up & co", upstream_id: nil, state: "held", upstream_status: nil, cost: "0.10",
                                    profit: "0.40", reason: "<why>", last_response: nil, attempts: "2", held: true)
        let page = OrdersPage(
            orders: [drip, held],
            statuses: [SelectOption(value: "Pending", label: "Pending", selected: true), SelectOption(value: "In progress", label: nil, selected: false)],
            q: Self.hostile, paging: Paging(page: "2", previous: "/orders?page=1", next: nil), empty: false)
        var content = values
        let dripRow: [String: Any] = [
            "id": "7", "service_id": "3", "service": Self.hostile, "type": "Default", "link": Self.hostile, "quantity": "100",
            "charge": "0.50", "start_count": "0", "remains": "100", "status": "Pending", "status_label": "Pending",
            "status_class": "st-pending", "created": "2026-12-07 10:00", "can_cancel": true, "can_refill": false,
            "dripfeed": ["runs": "5", "interval": "30", "done": "1"],
            "fields": [["name": "link", "value": Self.hostile], ["name": "note"]],
        ]
        var heldRow = dripRow
        heldRow["upstream"] = ["id": "8", "provider": "up & co", "state": "held", "cost": "0.10", "profit": "0.40", "reason": "<why>",
                               "attempts": "2", "held": true] as [String: Any]
        content["orders"] = [dripRow, heldRow]
        content["statuses"] = [["value": "Pending", "label": "Pending", "selected": true] as [String: Any],
                               ["value": "In progress", "selected": false]]
        content["q"] = Self.hostile
        content["paging"] = ["page": "2", "previous": "/orders?page=1"]
        content["empty"] = false

        let typed = Self.render(PageView(layout: layout, content: page), .orders)
        #expect(typed == Self.render(content, .orders))
        #expect(typed.contains("&lt;script&gt;"))
        #expect(!typed.contains("<script>"))
        #expect(typed.contains("rel=\"prev\""))
        #expect(!typed.contains("rel=\"next\""))
    }

    @Test func aGuestsMessagePageRendersTheSameBytesAsItsDictionary() {
        let (layout, values) = Self.layout(signedIn: false)
        var content = values
        content["message"] = Self.hostile
        let typed = Self.render(PageView(layout: layout, content: MessagePage(message: Self.hostile)), .message)
        #expect(typed == Self.render(content, .message))
        #expect(!typed.contains("<script>"))
    }

    /// Every page template the code names is in the bundle, and every bundled page is named.
    @Test func everyPageTemplateIsBundled() {
        let bundled = Set(Views.templateNames)
        for template in PageTemplate.allCases { #expect(bundled.contains(template.rawValue), "\(template.rawValue)") }
    }
}
