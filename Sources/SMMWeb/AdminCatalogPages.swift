import Hummingbird
import SMMDomain
import SMMStorage

/// Categories and services: create, edit, enable/disable, order (by their sort numbers).
struct AdminCatalogPages: Sendable {
    let web: WebApp

    func addRoutes(to pages: WebPages) {
        pages.admin.get("/admin/catalog") { call in try await catalog(call, error: nil) }
        pages.admin.post("/admin/categories") { call in
            try await catalogAction(call) {
                _ = try await call.services.catalog.createCategory(name: call.field("name") ?? "", sort: try sortValue(call))
            }
        }
        pages.admin.post("/admin/categories/:id") { call in
            try await catalogAction(call) {
                guard let id: CategoryID = call.context.parameters.get("id").flatMap(IDList.parseID) else { throw PanelError.incorrectRequest }
                try await call.services.catalog.updateCategory(id: id, name: call.field("name") ?? "", sort: try sortValue(call))
            }
        }
        pages.admin.post("/admin/services/:id/enabled") { call in
            try await catalogAction(call) {
                guard let id: ServiceID = call.context.parameters.get("id").flatMap(IDList.parseID) else { throw PanelError.incorrectServiceID }
                try await call.services.catalog.setServiceEnabled(id: id, call.field("enabled") == "1")
            }
        }
        pages.admin.get("/admin/services/new") { call in try await serviceForm(call, service: nil, error: nil) }
        pages.admin.post("/admin/services/new") { call in
            do {
                let service = try await call.services.catalog.createService(try draft(call, creating: true))
                return call.redirect("/admin/services/\(service.id)", notice: "notice_saved")
            } catch let error as PanelError {
                return try await serviceForm(call, service: nil, error: call.message(error))
            }
        }
        pages.admin.get("/admin/services/:id") { call in
            try await serviceForm(call, service: try await pathService(call), error: nil)
        }
        pages.admin.post("/admin/services/:id") { call in
            let service = try await pathService(call)
            do {
                _ = try await call.services.catalog.updateService(id: service.id, try draft(call, creating: false))
                return call.redirect("/admin/services/\(service.id)", notice: "notice_saved")
            } catch let error as PanelError {
                return try await serviceForm(call, service: service, error: call.message(error))
            }
        }
    }

    func catalog(_ call: WebCall, error: String?) async throws -> Response {
        let services = try await call.store.services(includeDisabled: true)
        return call.page(.adminCatalog, title: call.strings["nav_catalog"], AdminCatalogPage(
            error: error.shown,
            categories: try await call.store.categories().map { category in
                AdminCatalogPage.Category(id: String(category.id), name: category.name.shown, sort: String(category.sort),
                                          services: services.filter { $0.categoryID == category.id }.map { Rows.service($0) })
            }))
    }

    func catalogAction(_ call: WebCall, _ action: () async throws -> Void) async throws -> Response {
        do {
            try await action()
            return call.redirect("/admin/catalog", notice: "notice_saved")
        } catch let error as PanelError {
            return try await catalog(call, error: call.message(error))
        }
    }

    func sortValue(_ call: WebCall) throws(PanelError) -> Int64 {
        guard let text = call.field("sort") else { return 0 }
        guard let sort = OrderValidator.parseInteger(text) else { throw .incorrectField("sort") }
        return sort
    }

    func pathService(_ call: WebCall) async throws -> Service {
        guard let id: ServiceID = call.context.parameters.get("id").flatMap(IDList.parseID), let service = try await call.store.service(id: id) else {
            throw call.notFound()
        }
        return service
    }

    /// The service form as a draft; checkboxes absent from the form mean "off".
    func draft(_ call: WebCall, creating: Bool) throws(PanelError) -> ServiceDraft {
        func integer(_ name: String) throws(PanelError) -> Int64? {
            guard let text = call.field(name) else { return nil }
            guard let value = OrderValidator.parseInteger(text) else { throw .incorrectField(name) }
            return value
        }
        var draft = ServiceDraft()
        draft.name = call.field("name")
        draft.categoryName = call.field("category")
        if let label = call.field("type") {
            guard let type = ServiceType(label: label) else { throw .incorrectField("type") }
            draft.type = type
        }
        if let text = call.field("rate") {
            guard let rate = Money(parsing: text) else { throw .incorrectField("rate") }
            draft.rate = rate
        }
        draft.min = try integer("min")
        draft.max = try integer("max")
        if let days = try integer("refill_days") {
            guard let small = Int(exactly: days) else { throw .incorrectField("refill_days") }
            draft.refillDays = small
        }
        draft.sort = try integer("sort")
        draft.refill = call.field("refill") == "1"
        draft.cancel = call.field("cancel") == "1"
        draft.dripFeed = call.field("dripfeed") == "1"
        draft.description = call.form["description"]?.trimmingSpaces() ?? ""
        if !creating, draft.name == nil { throw .rejected(.serviceNeedsName(max: CatalogRules.maxServiceName)) }
        return draft
    }

    func serviceForm(_ call: WebCall, service: Service?, error: String?) async throws -> Response {
        // After a refused POST the form shows what was typed; otherwise the stored service.
        let typed = call.request.method == .post
        func value(_ name: String, _ stored: String?) -> String { typed ? (call.form[name] ?? "") : (stored ?? "") }
        func flag(_ name: String, _ stored: Bool?) -> Bool { typed ? call.field(name) == "1" : (stored ?? false) }
        let type = typed ? (call.field("type").flatMap(ServiceType.init(label:)) ?? .default) : (service?.type ?? .default)
        return call.page(.adminService, title: service.map { $0.name } ?? call.strings["service_new"], AdminServicePage(
            error: error.shown,
            id: service.map { String($0.id) },
            action: service.map { "/admin/services/\($0.id)" } ?? "/admin/services/new",
            name: value("name", service?.name).shown,
            category: value("category", service?.categoryName).shown,
            categories: try await call.store.categories().map { AdminServicePage.Category(name: $0.name.shown) },
            types: ServiceType.allCases.map { SelectOption(value: $0.rawValue.shown, label: nil, selected: $0 == type) },
            rate: value("rate", service?.rate.rateString).shown,
            min: value("min", service.map { String($0.min) }).shown,
            max: value("max", service.map { String($0.max) }).shown,
            refill_days: value("refill_days", String(service?.refillDays ?? 30)).shown,
            sort: value("sort", service.map { String($0.sort) }).shown,
            description: value("description", service?.description).shown,
            refill: flag("refill", service?.refill),
            cancel: flag("cancel", service?.cancel),
            dripfeed: flag("dripfeed", service?.dripFeed)))
    }
}

struct AdminCatalogPage: Sendable {
    struct Category: Sendable {
        let id: String
        let name: String?
        let sort: String
        let services: [ServiceRow]
    }

    let error: String?
    let categories: [Category]
}

/// The service form, new or existing.
struct AdminServicePage: Sendable {
    struct Category: Sendable {
        let name: String?
    }

    let error: String?
    let id: String?
    let action: String
    let name: String?
    let category: String?
    let categories: [Category]
    let types: [SelectOption]
    let rate: String?
    let min: String?
    let max: String?
    let refill_days: String?
    let sort: String?
    let description: String?
    let refill: Bool
    let cancel: Bool
    let dripfeed: Bool
}
