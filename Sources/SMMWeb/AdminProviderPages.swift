import Hummingbird
import SMMDomain
import SMMProviders
import SMMStorage

/// Upstream providers: add, enable/disable, balances, catalog import and sync, resending the
/// orders held because of a provider. The same operations as `smmpanel provider …`.
struct AdminProviderPages: Sendable {
    let web: WebApp

    /// What an operation reports back on the page (import and sync print their lines).
    struct Outcome {
        var title: String
        var lines: [String]
    }

    func addRoutes(to pages: WebPages) {
        pages.admin.get("/admin/providers") { call in try await providers(call, error: nil) }
        pages.admin.post("/admin/providers") { call in
            do {
                guard let name = call.field("name") else { throw PanelError.missingField("name") }
                guard let url = call.field("url") else { throw PanelError.missingField("url") }
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw PanelError.incorrectField("url") }
                let allowHTTP = call.field("allow_http") == "1", allowPrivate = call.field("allow_private_address") == "1"
                var concurrency: Int?
                if let text = call.field("concurrency") {
                    guard let value = Int(text), Provider.concurrencyRange.contains(value) else { throw PanelError.incorrectField("concurrency") }
                    concurrency = value
                }
                guard let key = call.field("key") else { throw PanelError.missingField("key") }
                guard try await call.store.provider(named: name) == nil else {
                    return try await providers(call, error: call.strings.format("err_provider_exists", ["name": name]))
                }
                // A provider that answers `status` with numbers: what each number means.
                var codes: [Int: OrderStatus] = [:]
                if let text = call.field("codes") {
                    guard let table = UpstreamDialect.statusCodes(text) else {
                        return try await providers(call, error: call.strings["err_status_codes"])
                    }
                    codes = table
                }
                // Refused here as every call would refuse it; a name that does not resolve now is
                // let through (each call checks again).
                do {
                    _ = try await web.engine.client.checkAddress(url: url, allowHTTP: allowHTTP, allowPrivateAddress: allowPrivate)
                } catch let error as UpstreamCallError {
                    if case .unreachable = error {} else {
                        return try await providers(call, error: call.strings.format("err_provider_address", ["error": error.description]))
                    }
                }
                _ = try await call.services.providers.create(try NewProvider(
                    name: name, url: url, apiKey: key, honorsRequestID: call.field("honors_request_id") == "1", statusCodes: codes,
                    allowHTTP: allowHTTP, allowPrivateAddress: allowPrivate, concurrency: concurrency))
                return call.redirect("/admin/providers", notice: "notice_saved")
            } catch let error as PanelError {
                return try await providers(call, error: call.message(error))
            }
        }
        pages.admin.post("/admin/providers/balances") { call in
            await web.engine.balanceRound()
            return call.redirect("/admin/providers", notice: "notice_balances_checked")
        }
        pages.admin.post("/admin/providers/:id/enabled") { call in
            let provider = try await pathProvider(call)
            try await call.services.providers.setEnabled(id: provider.id, call.field("enabled") == "1")
            return call.redirect("/admin/providers", notice: "notice_saved")
        }
        pages.admin.post("/admin/providers/:id/import") { call in
            let provider = try await pathProvider(call)
            do {
                guard let percent = Money(parsing: call.field("markup") ?? "0"), percent >= .zero else { throw PanelError.incorrectField("markup") }
                let ids = call.field("services").map {
                    Set($0.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty })
                }
                let (created, skipped) = try await web.engine.importCatalog(provider, markup: percent, only: ids,
                                                                            categoryPrefix: call.form["category_prefix"] ?? "")
                let lines = skipped.map { call.strings.format("provider_skipped", ["line": $0]) }
                    + created.map { call.strings.format("provider_imported", ["id": String($0.id), "name": $0.name, "rate": $0.rate.rateString]) }
                return try await providers(call, error: nil, outcome: Outcome(
                    title: call.strings.format("provider_import_done", ["name": provider.name, "n": String(created.count)]), lines: lines))
            } catch let error as PanelError {
                return try await providers(call, error: call.message(error))
            } catch {
                return try await providers(call, error: call.strings.format("err_provider_call", ["name": provider.name, "error": "\(error)"]))
            }
        }
        pages.admin.post("/admin/providers/:id/sync") { call in
            let provider = try await pathProvider(call)
            do {
                let lines = try await web.engine.syncCatalog(provider)
                return try await providers(call, error: nil, outcome: Outcome(
                    title: lines.isEmpty ? call.strings.format("provider_sync_none", ["name": provider.name])
                        : call.strings.format("provider_sync_done", ["name": provider.name, "n": String(lines.count)]),
                    lines: lines))
            } catch let error as PanelError {
                return try await providers(call, error: call.message(error))
            } catch {
                return try await providers(call, error: call.strings.format("err_provider_call", ["name": provider.name, "error": "\(error)"]))
            }
        }
        pages.admin.post("/admin/providers/:id/resend") { call in
            let provider = try await pathProvider(call)
            let count = try await call.services.providers.resume(id: provider.id, heldWith: "provider: ")
            return call.redirect("/admin/providers", notice: "notice_provider_resent", number: Int64(count))
        }
    }

    func pathProvider(_ call: WebCall) async throws -> Provider {
        guard let id: ProviderID = call.context.parameters.get("id").flatMap(IDList.parseID), let provider = try await call.store.provider(id: id) else {
            throw call.notFound()
        }
        return provider
    }

    func providers(_ call: WebCall, error: String?, outcome: Outcome? = nil) async throws -> Response {
        let typed = call.request.method == .post && call.request.uri.path == "/admin/providers"
        return call.page(.adminProviders, title: call.strings["nav_providers"], AdminProvidersPage(
            error: error.shown,
            outcome: outcome.map { AdminProvidersPage.Outcome(title: $0.title.shown, lines: $0.lines.map { AdminProvidersPage.Line(line: $0.shown) }) },
            providers: try await call.store.providers().map(Self.providerRow),
            new_name: typed ? call.form["name"].shown : nil,
            new_url: typed ? call.form["url"].shown : nil,
            new_codes: typed ? call.form["codes"].shown : nil,
            new_concurrency: typed ? call.form["concurrency"].shown : nil,
            new_allow_http: typed && call.form["allow_http"] == "1",
            new_allow_private: typed && call.form["allow_private_address"] == "1"))
    }

    static func providerRow(_ provider: Provider) -> ProviderRow {
        ProviderRow(id: String(provider.id), name: provider.name.shown, url: provider.url.shown, enabled: provider.enabled,
                    balance: provider.balance.shown, balance_currency: provider.currency.shown,
                    checked: Display.time(provider.balanceCheckedAt).shown,
                    request_id: provider.honorsRequestID, alert: provider.alert.shown,
                    codes: UpstreamDialect.formatStatusCodes(provider.statusCodes).shown,
                    concurrency: String(provider.effectiveConcurrency(honoring: EngineSettings().dispatchConcurrency)),
                    allow_http: provider.allowHTTP, allow_private: provider.allowPrivateAddress)
    }
}

struct ProviderRow: Sendable {
    let id: String
    let name: String?
    let url: String?
    let enabled: Bool
    let balance: String?
    let balance_currency: String?
    let checked: String?
    let request_id: Bool
    let alert: String?
    let codes: String?
    let concurrency: String
    let allow_http: Bool
    let allow_private: Bool
}

struct AdminProvidersPage: Sendable {
    /// What an operation reported (import and sync print their lines).
    struct Outcome: Sendable {
        let title: String?
        let lines: [Line]
    }

    struct Line: Sendable {
        let line: String?
    }

    let error: String?
    let outcome: Outcome?
    let providers: [ProviderRow]
    let new_name: String?
    let new_url: String?
    let new_codes: String?
    let new_concurrency: String?
    let new_allow_http: Bool
    let new_allow_private: Bool
}
