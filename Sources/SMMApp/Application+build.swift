import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SMMAPI
import SMMHTTP
import SMMProviders
import SMMWeb
import SMMDomain
import SMMServices
import SMMStorage
import ServiceLifecycle
import Synchronization

/// The request context of every route (it carries the peer address for the login limit).
public typealias PanelRequestContext = PanelContext

/// The router: API v2, the web panel, a health check, and `/metrics` only for a bearer of
/// `configuration.metricsToken` (unset: not served here at all). Shared by `serve` and the tests.
public func buildRouter(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> Router<PanelRequestContext> {
    buildRouter(store: store, configuration: configuration, logger: logger, metrics: MetricsEndpoint(store: store, registry: metrics),
                engine: makeEngine(store: store, configuration: configuration, logger: logger, metrics: metrics))
}

/// `engine` is the process's one reseller engine: the workers run it, the providers pages call it.
func buildRouter(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                 metrics: MetricsEndpoint, engine: ProviderEngine) -> Router<PanelRequestContext> {
    let router = Router(context: PanelRequestContext.self)
    // A trivial answer with no database behind it: load balancers' health check, and the
    // baseline the benchmarks compare against.
    router.get("/health") { _, _ in "ok" }
    if let token = configuration.metricsToken {
        router.get("/metrics") { request, _ in
            guard MetricsEndpoint.authorized(request.headers[.authorization], token: token) else {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            return metrics.response()
        }
    }
    APIv2Controller<PanelRequestContext>(api: APIv2(store: store, currency: configuration.currency, logger: logger),
                                         throttle: APIThrottle(configuration.throttle, clock: store.clock), logger: logger)
        .addRoutes(to: router)
    var web = configuration.web
    web.currency = configuration.currency
    web.loopbackOnly = WebConfiguration.isLoopback(host: configuration.host)
    WebApp(store: store, services: PanelServices(store), configuration: web, engine: engine, logger: logger).addRoutes(to: router)
    return router
}

/// The router of the metrics listener (`serve --metrics-port`): `/metrics` alone, without a
/// token, since that listener is bound to an address only the monitoring can reach.
public func buildMetricsRouter(store: PanelStore, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry())
    -> Router<BasicRequestContext> {
    buildMetricsRouter(MetricsEndpoint(store: store, registry: metrics))
}

func buildMetricsRouter(_ metrics: MetricsEndpoint) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/metrics") { _, _ in metrics.response() }
    return router
}

/// The Prometheus text of one registry, with the SQLite commit counters brought up to date at
/// each scrape. One per process, whichever listeners serve it: the counters add deltas.
final class MetricsEndpoint: Sendable {
    let commitCounts: @Sendable () -> (commits: Int, transactions: Int)?
    let registry: PrometheusCollectorRegistry
    let commits: SQLiteCommitMetrics?

    init(store: PanelStore, registry: PrometheusCollectorRegistry) {
        commitCounts = { store.commitCounts }
        self.registry = registry
        commits = store.commitCounts == nil ? nil : SQLiteCommitMetrics(registry: registry)
    }

    func response() -> Response {
        if let commits, let counts = commitCounts() { commits.update(counts) }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    /// `Authorization: Bearer <token>`, compared in time independent of where it differs.
    static func authorized(_ header: String?, token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.utf8.dropFirst("Bearer ".utf8.count)), expected = Array(token.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The whole panel as one service group: the HTTP server, the metrics listener if configured
/// and, unless disabled, the workers.
public func buildApplication(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                             metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> some ApplicationProtocol {
    let endpoint = MetricsEndpoint(store: store, registry: metrics)
    let engine = makeEngine(store: store, configuration: configuration, logger: logger, metrics: metrics)
    var app = Application(
        router: buildRouter(store: store, configuration: configuration, logger: logger, metrics: endpoint, engine: engine),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadline(limit: TimeAmount(configuration.requestReadTimeout))],
            idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "SMMPanel"),
        logger: logger)
    if let port = configuration.metricsPort {
        // Quiet: its own start line would read like the main listener's ("listening on …").
        var quiet = logger
        quiet.logLevel = .warning
        let host = configuration.metricsHost
        app.addServices(Application(
            router: buildMetricsRouter(endpoint),
            configuration: .init(address: .hostname(host, port: port), serverName: "SMMPanel-metrics"),
            onServerRunning: { channel in
                logger.info("metrics served at http://\(host):\(channel.localAddress?.port ?? port)/metrics")
            },
            logger: quiet))
    }
    if configuration.runWorkers {
        for worker in backgroundWorkers(store: store, configuration: configuration, logger: logger, engine: engine) {
            app.addServices(worker)
        }
    }
    return app
}

/// Everything that runs besides requests: drip-feed runs and the reseller engine.
public func backgroundWorkers(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                              metrics: PrometheusCollectorRegistry) -> [any ServiceLifecycle.Service] {
    backgroundWorkers(store: store, configuration: configuration, logger: logger,
                      engine: makeEngine(store: store, configuration: configuration, logger: logger, metrics: metrics))
}

func backgroundWorkers(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                       engine: ProviderEngine) -> [any ServiceLifecycle.Service] {
    [
        PanelWorker(orders: OrderAdminService(repository: store), interval: configuration.workerInterval, logger: logger),
        ProviderWorker(engine: engine, schedule: .init(interval: configuration.workerInterval, catalogInterval: configuration.catalogSyncInterval),
                       logger: logger),
    ]
}

/// The reseller engine over the process-wide HTTP client (verifies TLS, needs no shutdown).
public func makeEngine(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                       metrics: ProviderMetrics = .none) -> ProviderEngine {
    let timeout = configuration.providerTimeout.components.seconds
    let client = ProviderClient(http: HTTPClient.shared, timeout: .seconds(max(1, timeout))) { provider, action, seconds in
        metrics.callLatency(provider: provider, action: action, seconds: seconds)
    }
    var settings = EngineSettings()
    settings.recheckAfter = configuration.statusRecheckSeconds
    // A claim outlives the longest call (with margin), so a slow live call is never taken
    // for a dead one; and no longer, so a crashed sender's orders are reconciled soon.
    settings.sendLease = max(1, timeout) * 2 + 10
    return ProviderEngine(store: store, client: client, metrics: metrics, settings: settings, logger: logger)
}

/// The engine whose upstream metrics go to `registry`.
func makeEngine(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                metrics registry: PrometheusCollectorRegistry) -> ProviderEngine {
    makeEngine(store: store, configuration: configuration, logger: logger,
               metrics: ProviderMetrics(factory: PrometheusMetricsFactory(registry: registry)))
}

/// The SQLite writer's group commit as two counters: COMMITs (each one fsync) and the write
/// transactions they covered, so `rate(transactions) / rate(commits)` is the batch size — how
/// well concurrent writes share their fsyncs. Brought up to date when scraped (the writer
/// keeps the counts; nothing is added to its critical section). Absent on PostgreSQL.
public final class SQLiteCommitMetrics: Sendable {
    /// Their names in the text format, for the tools that read them back.
    public static let commitsName = "smmpanel_sqlite_commits_total"
    public static let transactionsName = "smmpanel_sqlite_transactions_total"
    private let commits: Prometheus.Counter
    private let transactions: Prometheus.Counter
    private let reported = Mutex<(commits: Int, transactions: Int)>((0, 0))

    init(registry: PrometheusCollectorRegistry) {
        commits = registry.makeCounter(descriptor: Self.counter(Self.commitsName, help: "COMMITs (fsyncs) of the SQLite writer"))
        transactions = registry.makeCounter(descriptor: Self.counter(Self.transactionsName,
                                                                     help: "Write transactions those COMMITs covered (group commit)"))
    }

    /// A counter's descriptor from its full name (the library wants the `_total` unit apart).
    private static func counter(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: String(name.dropLast("_total".count)), unitName: "total", helpText: help)
    }

    func update(_ counts: (commits: Int, transactions: Int)) {
        reported.withLock { last in
            commits.increment(by: Int64(counts.commits - last.commits))
            transactions.increment(by: Int64(counts.transactions - last.transactions))
            last = counts
        }
    }
}
