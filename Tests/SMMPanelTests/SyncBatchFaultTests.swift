import Foundation
import SMMDomain
@testable import SMMProviders
import SMMStorage
import Testing

/// A status call's reports are applied in one transaction; when it fails, nothing of it stays
/// and each report is applied on its own, so one order that cannot be written holds back
/// neither the others nor their refunds — and nobody is refunded twice.
@Suite struct SyncBatchFaultTests {
    /// What an order keeps of a call that answered for many: its own part, as JSON.
    @Test func aReportReadsAsTheStatusAnswerItCameFrom() {
        let report = UpstreamReport(.status(.known(.partial), label: "Partial \"x\"\n", startCount: 12, remains: -3,
                                            charge: money("0.27819"), children: ["7", "8"]))
        #expect(report.description == #"{"status":"Partial \"x\"\n","start_count":"12","remains":"-3","charge":"0.27819","orders":["7","8"]}"#)
        #expect(LooseJSON.parse(Array(report.description.utf8))?["status"]?.text == "Partial \"x\"\n")
        let error = UpstreamReport(.error("Incorrect order ID \u{1}"))
        #expect(error.description == #"{"error":"Incorrect order ID \u0001"}"#)
        #expect(LooseJSON.parse(Array(error.description.utf8))?.errorMessage == "Incorrect order ID \u{1}")
        #expect(UpstreamReport(.status(.known(.pending), label: "Pending", startCount: nil, remains: nil, charge: nil, children: [])).description
                == #"{"status":"Pending"}"#)
    }

    @Test(arguments: TestEngine.available)
    func aFailingReportHoldsBackOnlyItself(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.withUpstream { up in
                let service = try await up.importService(1, rate: "1.00")
                let (user, _) = try await panel.customer(balance: "100")
                var orders: [Order] = []
                for index in 0..<5 {
                    orders.append(try await up.place(user, service, ["link": "https://x.test/\(index)", "quantity": "1000"]))
                }
                #expect(try await up.engine.dispatchRound() == 5)
                // Three delivered, two canceled by the provider (each refunded 1.00).
                for (index, order) in orders.enumerated() {
                    let remote = try await up.remote(order.id)
                    if index < 3 {
                        up.fake.report(remote, status: .string("Completed"), remains: .string("0"))
                    } else {
                        up.fake.report(remote, status: .string("Canceled"))
                    }
                }
                let faulty = FaultyBackend(panel.store.backend)
                let engine = Upstream.makeEngine(store: PanelStore(backend: faulty, clock: panel.clock), timeout: .seconds(10),
                                                 metrics: .none, settings: up.engine.settings)
                // The batch's first write fails, and again when the first order is applied alone.
                faulty.failNext("UPDATE upstream_orders SET upstream_status")
                faulty.failNext("UPDATE upstream_orders SET upstream_status")
                panel.clock.advance(seconds: up.engine.settings.recheckAfter)
                await #expect(throws: InjectedFault.self) { try await engine.statusRound() }

                #expect(try await up.order(orders[0].id).status == .pending)
                #expect(try await up.info(orders[0].id).state == .sent)
                for order in orders[1..<3] { #expect(try await up.order(order.id).status == .completed) }
                for order in orders[3...] { #expect(try await up.order(order.id).status == .canceled) }
                #expect(try await panel.balance(of: user) == money("97"))
                try await panel.expectLedgerClean()
                // Each order keeps what the provider said of it, as a status answer.
                let kept = LooseJSON.parse(Array(try await up.info(orders[1].id).lastResponse.utf8))
                #expect(kept?["status"]?.text == "Completed" && kept?["remains"]?.text == "0", "\(String(describing: kept))")

                // The next round applies the one left; the others are closed and not asked again.
                #expect(try await up.syncAgain() == 1)
                #expect(up.fake.statusCallSizes.last == 1)
                #expect(try await up.order(orders[0].id).status == .completed)
                #expect(try await panel.balance(of: user) == money("97"))
                try await panel.expectLedgerClean()
            }
        }
    }
}
