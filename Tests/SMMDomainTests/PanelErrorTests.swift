import Testing
@testable import SMMDomain

@Suite("PanelError — the contract's wording (§6)")
struct PanelErrorTests {
    @Test("every message, exactly", arguments: [
        (PanelError.incorrectRequest, "Incorrect request"),
        (.invalidAPIKey, "Invalid API key"),
        (.incorrectServiceID, "Incorrect service ID"),
        (.incorrectLink, "Incorrect link"),
        (.quantityBelowMinimum(50), "Quantity less than minimal 50"),
        (.quantityAboveMaximum(10_000), "Quantity more than maximum 10000"),
        (.quantityBelowMinimum(1), "Quantity less than minimal 1"),
        (.quantityAboveMaximum(2_147_483_647), "Quantity more than maximum 2147483647"),
        (.notEnoughFunds, "Not enough funds on balance"),
        (.activeOrderWithLink, "You have active order with this link. Please wait until order being completed."),
        (.incorrectOrderID, "Incorrect order ID"),
        (.refillNotFound, "Refill not found"),
        (.refillNotAvailable, "Refill is not available for this order"),
        (.cancelNotAvailable, "Cancel is not available for this order"),
        (.tooManyIDs, "Too many ids (maximum 100)"),
        (.missingField("comments"), "Missing required field: comments"),
        (.missingField("google_keyword"), "Missing required field: google_keyword"),
        (.incorrectField("quantity"), "Incorrect quantity"),
        (.incorrectField("delay"), "Incorrect delay"),
        (.dripFeedNotAvailable, "Drip-feed is not available for this service"),
        (.tooManyRequests, "Too many requests"),
        (.paymentRequestsWaiting(5), "You have 5 payment requests waiting; wait until they are reviewed"),
        (.rejected(.minBelowOne), "min must be at least 1"),
    ] as [(PanelError, String)])
    func message(error: PanelError, text: String) {
        #expect(error.message == text)
        #expect(error.description == text)
        #expect(String(describing: error) == text)
    }

    @Test("upstream error classes match by substring (§7)")
    func substringClasses() {
        #expect(PanelError.activeOrderWithLink.message.lowercased().contains("active order"))
        #expect(PanelError.quantityBelowMinimum(10).message.lowercased().contains("quantity less than"))
        #expect(PanelError.quantityAboveMaximum(10).message.lowercased().contains("quantity more than"))
        #expect(PanelError.incorrectLink.message.lowercased().contains("incorrect link"))
        #expect(PanelError.incorrectServiceID.message.lowercased().contains("incorrect service"))
        #expect(PanelError.notEnoughFunds.message.lowercased().contains("not enough funds"))
    }

    @Test func equality() {
        #expect(PanelError.quantityBelowMinimum(50) == .quantityBelowMinimum(50))
        #expect(PanelError.quantityBelowMinimum(50) != .quantityBelowMinimum(51))
        #expect(PanelError.missingField("comments") != .incorrectField("comments"))
    }
}

@Suite("ServiceTerms")
struct ServiceTermsTests {
    @Test func defaults() {
        let service = ServiceTerms(id: 1, type: .default, rate: money("0.90"), min: 50, max: 10_000)
        #expect(!service.dripFeed)
        #expect(!service.refill)
        #expect(service.refillDays == 30)
        #expect(!service.cancel)
        #expect(service.rate.rateString == "0.90")
    }

    func definitionError(rate: String = "0.90", min: Int64 = 50, max: Int64 = 10_000, refillDays: Int = 30) -> String? {
        do {
            try ServiceTerms.validateDefinition(rate: money(rate), min: min, max: max, refillDays: refillDays)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func validDefinitions() {
        #expect(definitionError() == nil)
        #expect(definitionError(rate: "0") == nil)
        #expect(definitionError(min: 1, max: 1) == nil)
        #expect(definitionError(refillDays: 0) == nil)
        #expect(definitionError(refillDays: 3650) == nil)
        #expect(definitionError(min: 1, max: .max) == nil)
    }

    @Test func invalidDefinitions() {
        #expect(definitionError(rate: "-0.00001") == "rate must not be negative")
        #expect(definitionError(min: 0) == "min must be at least 1")
        #expect(definitionError(min: -5) == "min must be at least 1")
        #expect(definitionError(min: 100, max: 99) == "max must be at least min")
        #expect(definitionError(refillDays: -1) == "refill days must be between 0 and 3650")
        #expect(definitionError(refillDays: 3651) == "refill days must be between 0 and 3650")
        // Checked in order: rate, min, max, refill days.
        #expect(definitionError(rate: "-1", min: 0, max: -1, refillDays: -1) == "rate must not be negative")
        #expect(definitionError(min: 0, max: -1, refillDays: -1) == "min must be at least 1")
    }
}
