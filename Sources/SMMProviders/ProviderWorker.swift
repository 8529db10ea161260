import Logging
import SMMDomain
import SMMStorage
import ServiceLifecycle

/// Runs the reseller engine's rounds on their schedules inside `serve` (or alone in
/// `smmpanel worker`), until graceful shutdown. A failed round is logged and tried again next
/// time: every round's state lives in the database, so nothing is lost between rounds.
public struct ProviderWorker: ServiceLifecycle.Service {
    public struct Schedule: Sendable {
        /// Dispatch, cancels, refills and status sync look for work this often.
        public var interval: Duration
        /// Catalog sync of every provider.
        public var catalogInterval: Duration
        /// Provider balance check.
        public var balanceInterval: Duration

        public init(interval: Duration = .seconds(2), catalogInterval: Duration = .seconds(3600),
                    balanceInterval: Duration = .seconds(300)) {
            self.interval = interval
            self.catalogInterval = catalogInterval
            self.balanceInterval = balanceInterval
        }
    }

    let engine: ProviderEngine
    let schedule: Schedule
    let logger: Logger

    public init(engine: ProviderEngine, schedule: Schedule, logger: Logger) {
        self.engine = engine
        self.schedule = schedule
        self.logger = logger
    }

    /// Runs until graceful shutdown. Shutdown does not cancel the rounds: a call to a provider
    /// already under way finishes and its answer is recorded (cut off, a send to a provider
    /// that ignores `request_id` would have to be held for the operator), and no new call
    /// starts (`ProviderEngine.stopping`). Providers' calls run side by side, each bounded by
    /// the call deadline, so stopping waits at most about one deadline.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await deliveryLanes() }
            // Periodic jobs run on one process at a time, once per period across all of them.
            group.addTask {
                await every(schedule.interval) {
                    await attempt("catalog sync") {
                        try await engine.store.runPeriodic("catalog-sync", every: seconds(schedule.catalogInterval)) {
                            await engine.catalogRound()
                        }
                    }
                    await attempt("balance check") {
                        try await engine.store.runPeriodic("provider-balances", every: seconds(schedule.balanceInterval)) {
                            await engine.balanceRound()
                        }
                    }
                }
            }
        }
    }

    private func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
        while !ProviderEngine.stopping {
            await body()
            // Only the wait between rounds is cut short by shutdown.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Every provider in a lane of its own: each interval, every enabled provider whose lane is
    /// idle gets one delivery pass (`lane`). A provider whose calls are slow keeps only its
    /// own lane busy; the others' sends and syncs go on at their pace.
    func deliveryLanes() async {
        await withTaskGroup(of: ProviderID?.self) { lanes in
            var busy: Set<ProviderID> = []
            lanes.addTask { nil }
            // A lane ends with its provider's id; the timer with nil.
            while let finished = await lanes.next() {
                if let id = finished {
                    busy.remove(id)
                    continue
                }
                guard !ProviderEngine.stopping else { continue }
                await attempt("provider list") {
                    for provider in try await engine.store.providers() where provider.enabled && !busy.contains(provider.id) {
                        busy.insert(provider.id)
                        lanes.addTask {
                            await lane(provider)
                            return provider.id
                        }
                    }
                }
                await attempt("attention count") { engine.metrics.ordersNeedingAttention(try await engine.store.attentionCount()) }
                await attempt("sync lag") { engine.metrics.syncLag(seconds: try await engine.store.syncLag()) }
                lanes.addTask {
                    // Only the wait between rounds is cut short by shutdown.
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: schedule.interval) }
                    return nil
                }
            }
        }
    }

    /// One provider's delivery pass: sends everything due (batch after batch), forwards
    /// cancels and refills, then syncs statuses.
    func lane(_ provider: Provider) async {
        await attempt("dispatch", provider) {
            while try await engine.dispatch(to: provider) == engine.settings.dispatchBatch, !ProviderEngine.stopping {}
        }
        await attempt("cancel forwarding", provider) { try await engine.forwardCancels(to: provider) }
        await attempt("refill forwarding", provider) { try await engine.forwardRefills(to: provider) }
        await attempt("status sync", provider) { try await engine.syncStatuses(of: provider) }
    }

    /// Every provider's delivery pass once, side by side (tests and tools drive the engine so).
    public func deliveryRound() async {
        guard let providers = try? await engine.enabledProviders() else { return }
        await withTaskGroup(of: Void.self) { group in
            for provider in providers { group.addTask { await lane(provider) } }
        }
        await attempt("attention count") { engine.metrics.ordersNeedingAttention(try await engine.store.attentionCount()) }
    }

    private func seconds(_ duration: Duration) -> Int64 { max(1, duration.components.seconds) }

    private func attempt(_ what: String, _ provider: Provider? = nil, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            var metadata: Logger.Metadata = ["error": .string("\(error)")]
            if let provider { metadata["provider"] = .string(provider.name) }
            logger.error("\(what) round failed", metadata: metadata)
        }
    }
}
