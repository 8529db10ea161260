import Hummingbird
import Logging
import NIOCore
import SMMAPI
import SMMStorage
import ServiceLifecycle

/// The router: API v2 and a health check. Shared by `serve` and the tests.
public func buildRouter(store: PanelStore, configuration: PanelConfiguration, logger: Logger) -> Router<PanelRequestContext> {
    let router = Router(context: PanelRequestContext.self)
    // A trivial answer with no database behind it: load balancers' health check, and the
    // baseline the benchmarks compare against.
    router.get("/health") { _, _ in "ok" }
    APIv2Controller<PanelRequestContext>(api: APIv2(store: store, currency: configuration.currency, logger: logger),
                                         throttle: APIThrottle(configuration.throttle, clock: store.clock), logger: logger)
        .addRoutes(to: router)
    return router
}

/// The whole panel as one service group: the HTTP server and, unless disabled, the workers.
public func buildApplication(store: PanelStore, configuration: PanelConfiguration, logger: Logger) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(store: store, configuration: configuration, logger: logger),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadline(limit: TimeAmount(configuration.requestReadTimeout))],
            idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "SMMPanel"),
        logger: logger)
    if configuration.runWorkers {
        app.addServices(PanelWorker(store: store, interval: configuration.workerInterval, logger: logger))
    }
    return app
}
