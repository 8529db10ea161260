import SMMDomain
import SMMServices
import SMMStorage
import Synchronization
import Testing

/// The catalog, ledger and payment services against in-memory repositories that record what
/// reaches them: storage receives only inputs the domain has checked (names trimmed, amounts in
/// range, limits passed in), and a refused input reaches no repository at all. The SQL side is
/// tested on both engines through the pages and the commands (`WebAdminTests`, `CLITests`).
@Suite struct ServiceLayerTests {
    /// Every call that reached storage, as text.
    final class Recorder: CatalogRepository, LedgerRepository, PaymentRepository {
        let calls = Mutex<[String]>([])
        let stored = Service(id: 3, name: "Followers", categoryID: 1, categoryName: "Instagram", type: .default,
                             rate: Money(parsing: "1")!, min: 10, max: 100, refill: false, refillDays: 30, cancel: false,
                             dripFeed: false, description: "", enabled: true, sort: 0)
        var log: [String] { calls.withLock { $0 } }
        func record(_ call: String) { calls.withLock { $0.append(call) } }

        func createCategory(name: String, sort: Int64) async throws -> Category {
            record("createCategory \(name)")
            return Category(id: 1, name: name, sort: sort)
        }
        func updateCategory(id: CategoryID, name: String, sort: Int64) async throws { record("updateCategory \(id) \(name)") }
        func createService(_ new: NewService) async throws -> Service {
            record("createService \(new.name) in \(new.categoryName)")
            return stored
        }
        func updateService(id: ServiceID, categoryName: String?, _ edit: @escaping @Sendable (Service) throws -> Service) async throws -> Service {
            let edited = try edit(stored)
            record("updateService \(id) \(edited.name) max \(edited.max) category \(categoryName ?? "kept")")
            return edited
        }
        func setServiceEnabled(id: ServiceID, _ enabled: Bool) async throws { record("setServiceEnabled \(id) \(enabled)") }
        func setServiceMarkup(serviceID: ServiceID, markup: Money?) async throws { record("setServiceMarkup \(serviceID)") }
        func setCustomRate(userID: UserID, serviceID: ServiceID, rate: Money?) async throws {
            record("setCustomRate \(userID) \(serviceID) \(rate?.apiString ?? "none")")
        }
        func addFunds(userID: UserID, amount: Money, memo: String) async throws -> Money {
            record("addFunds \(userID) \(amount.apiString)")
            return amount
        }
        func deductFunds(userID: UserID, amount: Money, memo: String) async throws -> Money {
            record("deductFunds \(userID) \(amount.apiString)")
            return .zero
        }
        func createPaymentRequest(userID: UserID, _ new: NewPaymentRequest, maxPending: Int) async throws -> PaymentRequest {
            record("createPaymentRequest \(userID) \(new.method) \(new.reference) max \(maxPending)")
            return PaymentRequest(id: 1, userID: userID, method: new.method, amount: new.amount, reference: new.reference, status: .pending,
                                  adminNote: "", decidedBy: nil, createdAt: 0, decidedAt: nil)
        }
        func decidePaymentRequest(id: PaymentRequestID, approve: Bool, adminID: UserID, note: String) async throws -> PaymentRequest {
            record("decidePaymentRequest \(id) \(approve) note \(note.count)")
            return PaymentRequest(id: id, userID: 2, method: "Cash", amount: Money(parsing: "1")!, reference: "r",
                                  status: approve ? .approved : .rejected, adminNote: note, decidedBy: adminID, createdAt: 0, decidedAt: 0)
        }
    }

    @Test func theCatalogReceivesCheckedNamesAndTerms() async throws {
        let storage = Recorder()
        let catalog = CatalogService(repository: storage)
        _ = try await catalog.createCategory(name: "  TikTok ")
        await #expect(throws: PanelError.rejected(.categoryNameLength(max: 200))) { try await catalog.createCategory(name: " ") }
        _ = try await catalog.createService(ServiceDraft(name: " Views ", categoryName: " TikTok ", type: .default,
                                                         rate: Money(parsing: "0.5")!, min: 100, max: 1_000))
        await #expect(throws: PanelError.rejected(.maxBelowMin)) {
            try await catalog.createService(ServiceDraft(name: "Views", categoryName: "TikTok", type: .default,
                                                         rate: Money(parsing: "0.5")!, min: 100, max: 10))
        }
        // An edit runs on the row as stored; a blank category keeps the category.
        _ = try await catalog.updateService(id: 3, ServiceDraft(categoryName: " ", max: 500))
        await #expect(throws: PanelError.self) { try await catalog.updateService(id: 3, ServiceDraft(min: 1_000)) }
        await #expect(throws: PanelError.rejected(.negativeRate)) {
            try await catalog.setCustomRate(userID: 2, serviceID: 3, rate: Money(parsing: "-0.1")!)
        }
        try await catalog.setCustomRate(userID: 2, serviceID: 3, rate: nil)
        #expect(storage.log == ["createCategory TikTok", "createService Views in TikTok", "updateService 3 Followers max 500 category kept",
                                "setCustomRate 2 3 none"])
    }

    @Test func moneyReachesStorageOnlyInRange() async throws {
        let storage = Recorder()
        let ledger = LedgerService(repository: storage), payments = PaymentService(repository: storage)
        await #expect(throws: PanelError.rejected(.amountRange(max: Money.maximumBalance))) {
            try await ledger.addFunds(userID: 2, amount: Money(parsing: "-5")!, memo: "m")
        }
        await #expect(throws: PanelError.rejected(.amountNotPositive)) { try await ledger.deductFunds(userID: 2, amount: .zero, memo: "m") }
        _ = try await ledger.addFunds(userID: 2, amount: Money(parsing: "5")!, memo: "m")
        await #expect(throws: PanelError.incorrectField("method")) {
            try await payments.file(userID: 2, method: "Gift card", amount: Money(parsing: "5")!, reference: "r")
        }
        _ = try await payments.file(userID: 2, method: " PayPal ", amount: Money(parsing: "5")!, reference: " tx-1 ")
        try await payments.decide(id: 1, approve: true, adminID: 1, note: String(repeating: "n", count: 700))
        #expect(storage.log == ["addFunds 2 5.00000", "createPaymentRequest 2 PayPal tx-1 max 5", "decidePaymentRequest 1 true note 500"])
    }
}
