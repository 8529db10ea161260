import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import Prometheus
import SMMAPI
import SMMProviders
import SMMWeb
import SMMStorage
import ServiceLifecycle
import Synchronization

/// The request context of every route (it carries the peer address for the login limit).
public typealias PanelRequestContext = PanelContext

/// The router: API v2, the web panel, a health check and the metrics. Shared by `serve` and
/// the tests.
public func buildRouter(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> Router<PanelRequestContext> {
    let router = Router(context: PanelRequestContext.self)
    // A trivial answer with no database behind it: load balancers' health check, and the
    // baseline the benchmarks compare against.
    router.get("/health") { _, _ in "ok" }
    // Prometheus text format.
    let commits = store.commitCounts == nil ? nil : SQLiteCommitMetrics(registry: metrics)
    router.get("/metrics") { _, _ in
        if let commits, let counts = store.commitCounts { commits.update(counts) }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
    }
    APIv2Controller<PanelRequestContext>(api: APIv2(store: store, currency: configuration.currency, logger: logger),
                                         throttle: APIThrottle(configuration.throttle, clock: store.clock), logger: logger)
        .addRoutes(to: router)
    var web = configuration.web
    web.currency = configuration.currency
    web.loopbackOnly = WebConfiguration.isLoopback(host: configuration.host)
    WebApp(store: store, configuration: web, engine: makeEngine(store: store, configuration: configuration, logger: logger),
           logger: logger).addRoutes(to: router)
    return router
}

/// The whole panel as one service group: the HTTP server and, unless disabled, the workers.
public func buildApplication(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                             metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(store: store, configuration: configuration, logger: logger, metrics: metrics),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [RequestReadDeadline(limit: TimeAmount(configuration.requestReadTimeout))],
            idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "SMMPanel"),
        logger: logger)
    if configuration.runWorkers {
        for worker in backgroundWorkers(store: store, configuration: configuration, logger: logger, metrics: metrics) {
            app.addServices(worker)
        }
    }
    return app
}

/// Everything that runs besides requests: drip-feed runs and the reseller engine.
public func backgroundWorkers(store: PanelStore, configuration: PanelConfiguration, logger: Logger,
                              metrics: PrometheusCollectorRegistry) -> [any ServiceLifecycle.Service] {
    let engine = makeEngine(store: store, configuration: configuration, logger: logger,
                            metrics: ProviderMetrics(factory: PrometheusMetricsFactory(registry: metrics)))
    return [
        PanelWorker(store: store, interval: configuration.workerInterval, logger: logger),
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

/// The SQLite writer's group commit as two counters: COMMITs (each one fsync) and the write
/// transactions they covered, so `rate(transactions) / rate(commits)` is the batch size — how
/// well concurrent writes share their fsyncs. Brought up to date when scraped (the writer
/// keeps the counts; nothing is added to its critical section). Absent on PostgreSQL.
final class SQLiteCommitMetrics: Sendable {
    /// Their names in the text format (the bench reads them back).
    static let commitsName = "smmpanel_sqlite_commits_total"
    static let transactionsName = "smmpanel_sqlite_transactions_total"
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
