import Logging
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
    /// starts (`ProviderEngine.stopping`). So stopping waits at most about one call's timeout.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await every(schedule.interval) { await deliveryRound() } }
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

    /// Sends everything due (batch after batch), forwards cancels and refills, then syncs.
    public func deliveryRound() async {
        await attempt("dispatch") { while try await engine.dispatchRound() == engine.settings.dispatchBatch, !ProviderEngine.stopping {} }
        await attempt("cancel forwarding") { try await engine.cancelRound() }
        await attempt("refill forwarding") { try await engine.refillRound() }
        await attempt("status sync") { try await engine.statusRound() }
        await attempt("attention count") { engine.metrics.ordersNeedingAttention(try await engine.store.attentionCount()) }
    }

    private func seconds(_ duration: Duration) -> Int64 { max(1, duration.components.seconds) }

    private func attempt(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            logger.error("\(what) round failed", metadata: ["error": .string("\(error)")])
        }
    }
}
