import Testing
@testable import SMMDomain

@Suite("Refusal — operator rules in the CLI's and API's words")
struct RefusalTests {
    /// One of every refusal with the sentence the CLI and API have always said, written out.
    static let sentences: [(Refusal, String)] = [
        (.negativeRate, "rate must not be negative"),
        (.minBelowOne, "min must be at least 1"),
        (.maxBelowMin, "max must be at least min"),
        (.refillDaysRange(max: 3650), "refill days must be between 0 and 3650"),
        (.categoryNameLength(max: 200), "a category name needs 1 to 200 characters"),
        (.categoryExists(name: "TikTok"), "a category named TikTok exists already"),
        (.noCategory(id: 7), "no category 7"),
        (.serviceNeedsName(max: 500), "a service needs a name (1 to 500 characters)"),
        (.serviceNeedsCategory, "a service needs a category"),
        (.serviceNeedsTerms, "a service needs a type, a rate, a min and a max"),
        (.serviceNameLength(max: 500), "a service name needs 1 to 500 characters"),
        (.orderFinal(.completed), "order is Completed already; a final order does not change"),
        (.statusNotApplicable(.paused, subscription: false), "status Paused does not apply to an order"),
        (.statusNotApplicable(.partial, subscription: true), "status Partial does not apply to a subscription"),
        (.orderMovesForward(from: .inProgress, to: .pending), "an order moves forward only: In progress cannot go back to Pending"),
        (.negativeStartCount, "start count must not be negative"),
        (.completedWithRemains(30), "a Completed order has nothing left to deliver; with remains 30 it is Partial"),
        (.partialRemains(max: 999), "a Partial order needs remains between 1 and 999; nothing delivered is Canceled"),
        (.orderBeingSent(id: 12), "order 12 is being sent to its provider right now; try again in a minute"),
        (.dripFeedStarted(id: 5),
         "drip-feed order 5 has started: update its runs (child orders), or set it Canceled to stop the remaining runs"),
        (.usernameLength(max: 64), "a username needs 1 to 64 characters"),
        (.userExists(name: "alice"), "a user named alice exists already"),
        (.amountRange(max: Money.maximumBalance), "the amount must be greater than 0 and at most 10000000000000.00000"),
        (.amountNotPositive, "the amount must be greater than 0"),
        (.balanceLimit(max: Money.maximumBalance), "the balance would exceed 10000000000000.00000"),
        (.providerNameLength(max: 64), "a provider name needs 1 to 64 characters"),
        (.providerURL, "a provider URL starts with https:// (or http:// for a local test panel)"),
        (.providerNeedsKey, "a provider needs its API key"),
        (.providerExists(name: "upstream"), "a provider named upstream exists already"),
        (.markupRange, "markup out of range"),
        (.serviceNotFromProvider(id: 3), "service 3 is not sold from a provider"),
        (.orderNotHeld(id: 9), "order 9 is not held for its provider"),
        (.upstreamIDNeeded, "an upstream order id is needed"),
        (.paymentDecided(id: 4), "payment request 4 was decided already"),
        (.noPaymentRequest(id: 4), "no payment request 4"),
        (.keyNameLength(max: 64), "a key name needs 1 to 64 printable characters"),
        (.tooManyKeys(max: 20), "a user may hold at most 20 live keys; revoke one first"),
        (.noLiveKey(userID: 2, keyID: 8), "user 2 has no live key 8"),
        (.refillCannotMove(id: 6, from: .completed, to: .pending), "refill 6 is Completed; it cannot become Pending"),
    ]

    @Test("every refusal's English, exactly", arguments: sentences)
    func english(refusal: Refusal, text: String) {
        #expect(refusal.english == text)
        #expect(PanelError.rejected(refusal).message == text)
        #expect(String(describing: PanelError.rejected(refusal)) == text)
    }

    @Test("every key is written out above, and each fills exactly its template's placeholders")
    func everyKeyFilled() {
        #expect(Set(Self.sentences.map(\.0.key)) == Set(Refusal.Key.allCases))
        for (refusal, _) in Self.sentences {
            #expect(refusal.key.template.placeholderNames == Set(refusal.values.keys), "\(refusal.key)")
            #expect(refusal.english.placeholderNames.isEmpty, "\(refusal.key)")
        }
    }

    @Test("a sentence thrown in two places is one refusal")
    func sharedSentences() {
        // The catalog's check and the custom rate's check say the same words.
        #expect(throws: PanelError.rejected(.negativeRate)) {
            try ServiceTerms.validateDefinition(rate: Money(minorUnits: -1), min: 1, max: 1, refillDays: 0)
        }
    }

    @Test("placeholders are filled in one pass; a value is never read for placeholders")
    func filling() {
        #expect(Refusal.categoryExists(name: "{name}").english == "a category named {name} exists already")
        #expect(Refusal.userExists(name: "{max}").english == "a user named {max} exists already")
        #expect("{a}{a} {b}".filling(["a": "x", "b": "{a}"]) == "xx {a}")
        #expect("{{a}} {unknown} {".filling(["a": "x"]) == "{x} {unknown} {")
        #expect(#"{"error": "…"} {n}"#.filling(["n": "5"]) == #"{"error": "…"} 5"#)
        #expect("no placeholder".filling(["a": "x"]) == "no placeholder")
        #expect("{a} {b_2} {} {not a name} {".placeholderNames == ["a", "b_2"])
    }
}
