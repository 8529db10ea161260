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

    /// Refills are sent one call per provider, every provider on its own. Stopping during
    /// the first provider's call, that call finishes and is recorded; refills a provider's pass
    /// claimed after the stop are not sent: they are due again at once (not after the claim's
    /// ten minutes), the attempt not counted, and the next process sends them once.
    @Test(arguments: TestEngine.available)
    func gracefulShutdownSendsNoFurtherRefillsAndGivesTheirClaimsBack(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream(name: "first") { first in
                try await panel.withUpstream(name: "second") { second in
                    let (user, _) = try await panel.customer(balance: "100")
                    var refills: [RefillID] = []
                    for (index, up) in [first, second].enumerated() {
                        let service = try await up.importService(index + 1, rate: "1.00", refill: true)
                        let order = try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"])
                        #expect(try await first.engine.dispatchRound() == 1)
                        up.fake.report(try await up.remote(order.id), status: .string("Completed"), remains: .string("0"))
                        try await first.engine.statusRound()
                        refills.append(try await up.store.createRefill(orderID: order.id, userID: user.id).id)
                    }
                    // The first provider takes a moment to answer: the stop comes during its call.
                    first.fake.fail(.refill, .slow)
                    func refillCalls() -> Int { first.fake.calls(.refill) + second.fake.calls(.refill) }
                    let (called, waiting) = (first, second)

                    try await testGracefulShutdown { trigger in
                        async let sent = first.engine.forwardRefills(to: first.provider)
                        while refillCalls() == 0 { try await Task.sleep(for: .milliseconds(5)) }
                        trigger.triggerGracefulShutdown()
                        // The call under way finished and was recorded.
                        #expect(try await sent == 1)
                        // A pass started now claims, sees the stop, and gives the claim back.
                        #expect(try await first.engine.forwardRefills(to: second.provider) == 0)
                        #expect(try await first.engine.refillRound() == 0)
                    }
                    #expect(refillCalls() == 1)
                    #expect(called.fake.refills.count == 1 && waiting.fake.refills.isEmpty)

                    // The refill left unsent is due now (the clock has not moved), its attempt given back.
                    let due = try await panel.store.claimRefillSends(limit: 100)
                    #expect(due.map(\.providerID) == [waiting.provider.id])
                    #expect(due.map(\.attempt) == [1])
                    try await panel.store.releaseRefillClaims(due)

                    // The next process sends it, once.
                    try await first.engine.refillRound()
                    #expect(first.fake.calls(.refill) == 1 && second.fake.calls(.refill) == 1)
                    #expect(waiting.fake.refills.count == 1)
                    #expect(try await panel.store.claimRefillSends(limit: 100).isEmpty)
                    for id in refills {
                        #expect(try await panel.store.refills(ids: [id], userID: user.id)[id]?.status == .pending)
                    }
                }
            }
            try await panel.expectLedgerClean()
        }
    }
}
