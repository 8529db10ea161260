import Foundation
import SMMDomain
@testable import SMMProviders
import SMMStorage
import ServiceLifecycleTestKit
import Testing

/// Stopping the panel (a deploy, a restart) while the worker is sending: calls already under way
/// finish and are recorded, nothing new is sent, and what was claimed but not sent goes back to
/// the queue. Cutting the calls off would leave orders the provider may or may not have — held
/// for the operator when the provider ignores `request_id`.
@Suite struct WorkerShutdownTests {
    @Test(arguments: TestEngine.available)
    func gracefulShutdownFinishesCallsUnderWayAndSendsNothingNew(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(honorsRequestID: false, settings: { $0.dispatchConcurrency = 2 }) { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "100")
                var orders: [Order] = []
                for index in 1...6 {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                    // Every answer takes a moment: the stop comes while calls are under way.
                    up.fake.fail(.add, .slow)
                }
                let worker = ProviderWorker(engine: up.engine, schedule: .init(interval: .milliseconds(50)), logger: quietLogger)
                try await testGracefulShutdown { trigger in
                    async let running: Void = worker.run()
                    while up.fake.calls(.add) == 0 { try await Task.sleep(for: .milliseconds(5)) }
                    trigger.triggerGracefulShutdown()
                    try await running
                }
                // The provider got the orders whose calls were under way, once each; each of them
                // is recorded as sent with the provider's id. No order was held.
                let reached = up.fake.orders.count
                #expect(reached >= 1 && reached <= 2)
                #expect(up.fake.calls(.add) == reached)
                var sent = 0
                for order in orders {
                    let info = try await up.info(order.id)
                    switch info.state {
                    case .sent:
                        sent += 1
                        #expect(info.upstreamOrderID != nil)
                    case .queued:
                        // Claimed or not, never sent: queued as before, the attempt not counted.
                        #expect(info.attempts == 0, "\(info)")
                    default:
                        Issue.record("order \(order.id) left \(info.state): \(info.reason)")
                    }
                }
                #expect(sent == reached)
                #expect(try await up.store.attentionCount() == 0)

                // The next process sends the rest, each exactly once.
                while try await up.engine.dispatchRound() > 0 {}
                #expect(up.fake.orders.count == orders.count)
                #expect(up.fake.calls(.add) == orders.count)
                for order in orders { #expect(try await up.info(order.id).state == .sent) }
            }
            try await panel.expectLedgerClean()
        }
    }
}
