import AsyncHTTPClient
import Foundation
import NIOCore
import SMMDomain
@testable import SMMProviders
import SMMStorage
import Testing

/// A panel, a fake provider it resells, and the engine between them, driven round by round.
struct Upstream: Sendable {
    let panel: TestPanel
    let fake: FakeUpstream
    let provider: Provider
    let engine: ProviderEngine

    var store: PanelStore { panel.store }

    /// An engine for another provider of the same panel (or with other settings).
    func engine(for provider: Provider? = nil, timeout: TimeAmount = .seconds(10), metrics: ProviderMetrics = .none,
                settings: EngineSettings? = nil) -> ProviderEngine {
        Upstream.makeEngine(store: store, timeout: timeout, metrics: metrics, settings: settings ?? engine.settings)
    }

    static func makeEngine(store: PanelStore, timeout: TimeAmount, metrics: ProviderMetrics, settings: EngineSettings) -> ProviderEngine {
        let client = ProviderClient(http: HTTPClient.shared, timeout: timeout) { provider, action, seconds in
            metrics.callLatency(provider: provider, action: action, seconds: seconds)
        }
        return ProviderEngine(store: store, client: client, metrics: metrics, settings: settings, logger: quietLogger)
    }

    /// Puts a service in the fake's catalog and imports it (at `markup` percent); returns the
    /// local service.
    func importService(_ upstreamID: Int, type: String = "Default", rate: String = "1.00", markup: String = "0",
                       min: Int64 = 10, max: Int64 = 100_000, refill: Bool = true, cancel: Bool = true,
                       dripFeed: Bool = false) async throws -> Service {
        fake.addService(upstreamID, name: "Upstream \(upstreamID)", type: type, rate: .string(rate), min: .string(String(min)),
                        max: .string(String(max)), refill: refill, cancel: cancel, dripFeed: dripFeed)
        let (created, skipped) = try await engine.importCatalog(provider, markup: Money(parsing: markup)!, only: [String(upstreamID)],
                                                                categoryPrefix: "")
        try #require(created.count == 1, "import skipped: \(skipped)")
        return created[0]
    }

    /// Places an order through the store, as the API would.
    func place(_ user: User, _ service: Service, _ fields: [String: String]) async throws -> Order {
        try await store.placeOrder(user: try await store.user(id: user.id)!, service: service, fields: fields)
    }

    /// The subscription the tests place: `acme`, 100–200 per post, 5 posts.
    func placeSubscription(_ user: User, _ service: Service) async throws -> Order {
        try await place(user, service, ["username": "acme", "min": "100", "max": "200", "posts": "5", "delay": "30",
                                        "expiry": "31/12/2030"])
    }

    func order(_ id: OrderID) async throws -> Order { try await store.order(id: id)! }

    func info(_ id: OrderID) async throws -> UpstreamOrderInfo { try await store.upstreamInfo(orderIDs: [id])[id]! }

    /// The fake's order id for a local order (it must have been sent).
    func remote(_ id: OrderID) async throws -> Int {
        let info = try await info(id)
        return try #require(info.upstreamOrderID.flatMap { Int($0) }, "order \(id) has no upstream id: \(info)")
    }

    /// Lets the recheck interval pass, then runs a status round; returns its call count.
    @discardableResult
    func syncAgain() async throws -> Int {
        panel.clock.advance(seconds: engine.settings.recheckAfter)
        return try await engine.statusRound()
    }
}

extension TestPanel {
    /// Runs `body` with a fake provider registered in this panel as `up`.
    func withUpstream<T: Sendable>(name: String = "up", honorsRequestID: Bool = true, statusCodes: [Int: OrderStatus] = [:],
                                   timeout: TimeAmount = .seconds(10), metrics: ProviderMetrics = .none,
                                   settings: (inout EngineSettings) -> Void = { _ in },
                                   _ body: (Upstream) async throws -> T) async throws -> T {
        // A `.timeout` fault answers a second after the client has given up, whatever its timeout.
        let fake = FakeUpstream(honorsRequestID: honorsRequestID, timeoutDelay: .nanoseconds(timeout.nanoseconds) + .seconds(1))
        return try await fake.with { url in
            let apiKey = fake.state.withLock { $0.apiKey }
            // The fake listens on the loopback over http: both exceptions are needed.
            let provider = try await store.createProvider(name: name, url: url, apiKey: apiKey, honorsRequestID: honorsRequestID,
                                                          statusCodes: statusCodes, allowHTTP: true, allowPrivateAddress: true)
            var engineSettings = EngineSettings()
            settings(&engineSettings)
            let engine = Upstream.makeEngine(store: store, timeout: timeout, metrics: metrics, settings: engineSettings)
            return try await body(Upstream(panel: self, fake: fake, provider: provider, engine: engine))
        }
    }
}

func money(_ text: String) -> Money { Money(parsing: text)! }
