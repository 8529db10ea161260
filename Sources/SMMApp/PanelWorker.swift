import Logging
import SMMDomain
import SMMServices
import ServiceLifecycle

/// Background work that belongs to no request: starting due drip-feed runs. Runs inside
/// `serve`, stops on graceful shutdown; a failed round is logged and retried next round.
public struct PanelWorker: ServiceLifecycle.Service {
    let orders: OrderAdminService
    let interval: Duration
    let logger: Logger

    public init(orders: OrderAdminService, interval: Duration, logger: Logger) {
        self.orders = orders
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One round of every job; also what the tests call to drive the worker deterministically.
    public func runOnce() async {
        do {
            while try await orders.startDueDripFeedRuns(limit: 100) == 100 {}
        } catch {
            logger.error("drip-feed round failed", metadata: ["error": .string("\(error)")])
        }
    }
}
