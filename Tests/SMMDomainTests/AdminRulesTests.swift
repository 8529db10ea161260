import Testing
@testable import SMMDomain

@Suite("Drip-feed, cancel and catalog rules — what storage is told to write")
struct AdminRulesTests {
    static func order(quantity: Int64 = 1_000, charge: String = "1.00001", runs: Int64? = 3, status: OrderStatus = .pending,
                      remains: Int64 = 0, parentID: OrderID? = nil) -> Order {
        Order(id: 1, userID: 1, serviceID: 1, type: .default, link: "https://x.test/1", quantity: quantity, charge: Money(parsing: charge)!,
              startCount: 0, remains: remains, status: status, fields: [:], parentID: parentID, runs: runs, intervalMinutes: 10,
              runsDone: 0, createdAt: 0, updatedAt: 0)
    }

    @Test func runSharesAddUpToTheParentsCharge() {
        let parent = Self.order()
        let shares = (1...3).map { DripFeed.chargeShare(parent, run: $0) }
        #expect(shares.reduce(Money.zero, +) == parent.charge)
        #expect(shares[0] == shares[1] && shares[2] >= shares[0])
        #expect(DripFeed.quantityPerRun(parent) == 333)
        #expect(DripFeed.nextRun(after: 1, of: parent, now: 1_000) == 1_600)
        #expect(DripFeed.nextRun(after: 3, of: parent, now: 1_000) == nil)
    }

    @Test func settlementFollowsWhatTheRunsDelivered() {
        let parent = Self.order(quantity: 300)
        let run = { (status: OrderStatus, remains: Int64) in Self.order(quantity: 100, runs: nil, status: status, remains: remains, parentID: 1) }
        #expect(DripFeed.settlement(of: parent, runs: [run(.completed, 0), run(.inProgress, 50)]) == nil)
        #expect(DripFeed.settlement(of: parent, runs: [run(.completed, 0), run(.completed, 0), run(.completed, 0)])
                == OrderChange(status: .completed, remains: 0))
        #expect(DripFeed.settlement(of: parent, runs: [run(.canceled, 100), run(.canceled, 100)]) == OrderChange(status: .canceled))
        // A run never started counts as undelivered; a Partial run gives what it delivered.
        #expect(DripFeed.settlement(of: parent, runs: [run(.completed, 0), run(.partial, 40)]) == OrderChange(status: .partial, remains: 140))
    }

    @Test func customerCancelGoesWhereTheUpstreamSendStands() {
        #expect(CustomerCancel.route(upstream: nil, mayExistUpstream: false, cancelState: nil) == .cancelHere)
        #expect(CustomerCancel.route(upstream: .failed, mayExistUpstream: true, cancelState: nil) == .cancelHere)
        #expect(CustomerCancel.route(upstream: .sending, mayExistUpstream: false, cancelState: nil) == .refused)
        #expect(CustomerCancel.route(upstream: .queued, mayExistUpstream: false, cancelState: nil) == .cancelHere)
        #expect(CustomerCancel.route(upstream: .held, mayExistUpstream: true, cancelState: nil) == .refused)
        #expect(CustomerCancel.route(upstream: .sent, mayExistUpstream: false, cancelState: nil) == .askProvider)
        #expect(CustomerCancel.route(upstream: .sent, mayExistUpstream: false, cancelState: .refused) == .refused)
        #expect(CustomerCancel.route(upstream: .sent, mayExistUpstream: false, cancelState: .requested) == .askedAlready)
        #expect(OperatorSettlement.route(to: .canceled, upstream: .sending) == .refusedWhileSending)
        #expect(OperatorSettlement.route(to: .canceled, upstream: .sent) == .applyAndAskProvider)
        #expect(OperatorSettlement.route(to: .completed, upstream: .sent) == .apply)
    }

    @Test func catalogInputsAreCheckedBeforeStorageSeesThem() throws {
        #expect(throws: PanelError.rejected(.categoryNameLength(max: 200))) { try CatalogRules.categoryName("  ") }
        #expect(try CatalogRules.categoryName("  TikTok ") == "TikTok")
        let draft = ServiceDraft(name: " Followers ", categoryName: "Instagram", type: .default, rate: Money(parsing: "1")!, min: 10, max: 100)
        let new = try CatalogRules.newService(draft)
        #expect(new.name == "Followers" && new.refillDays == 30 && !new.refill && new.description.isEmpty)
        var nameless = draft
        nameless.name = nil
        #expect(throws: PanelError.rejected(.serviceNeedsName(max: 500))) { try CatalogRules.newService(nameless) }
        var noTerms = draft
        noTerms.max = nil
        #expect(throws: PanelError.rejected(.serviceNeedsTerms)) { try CatalogRules.newService(noTerms) }
        #expect(throws: PanelError.rejected(.negativeRate)) { try CatalogRules.customRate(Money(parsing: "-1")!) }

        let service = Service(id: 1, name: "Followers", categoryID: 1, categoryName: "Instagram", type: .default, rate: Money(parsing: "1")!,
                              min: 10, max: 100, refill: false, refillDays: 30, cancel: false, dripFeed: false, description: "",
                              enabled: true, sort: 0)
        #expect(try CatalogRules.edited(service, by: ServiceDraft(max: 500)).max == 500)
        #expect(throws: PanelError.self) { try CatalogRules.edited(service, by: ServiceDraft(min: 1_000)) }
        #expect(throws: PanelError.rejected(.serviceNameLength(max: 500))) { try CatalogRules.edited(service, by: ServiceDraft(name: " ")) }
    }

    @Test func accountsMoneyAndProvidersAreCheckedBeforeStorageSeesThem() throws {
        #expect(try AccountRules.username(" alice ") == "alice")
        #expect(throws: PanelError.rejected(.usernameLength(max: 64))) { try AccountRules.username(String(repeating: "a", count: 65)) }
        #expect(AccountRules.asciiLowercased("ÄliCE") == "Älice")
        #expect(throws: PanelError.rejected(.keyNameLength(max: 64))) { try AccountRules.keyName("bot\u{7}") }
        #expect(throws: PanelError.rejected(.amountRange(max: Money.maximumBalance))) { try AccountRules.deposit(.zero) }
        #expect(throws: PanelError.rejected(.amountNotPositive)) { try AccountRules.deduction(Money(parsing: "-0.1")!) }
        #expect(throws: PanelError.incorrectField("method")) { try NewPaymentRequest(method: "Gold", amount: Money(parsing: "1")!, reference: "r") }
        #expect(throws: PanelError.incorrectField("reference")) { try NewPaymentRequest(method: "Cash", amount: Money(parsing: "1")!, reference: " ") }
        #expect(NewPaymentRequest.decisionNote(" " + String(repeating: "n", count: 600)).count == 500)
        #expect(throws: PanelError.rejected(.providerURL)) {
            try NewProvider(name: "up", url: "http://up.test/api/v2", apiKey: "k", honorsRequestID: false)
        }
        #expect(try NewProvider(name: " up ", url: "http://up.test/api/v2", apiKey: "k", honorsRequestID: false, allowHTTP: true).name == "up")
        #expect(throws: PanelError.incorrectField("concurrency")) {
            try NewProvider(name: "up", url: "https://up.test", apiKey: "k", honorsRequestID: false, concurrency: 33)
        }
    }
}
