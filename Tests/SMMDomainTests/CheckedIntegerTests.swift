import Testing
@testable import SMMDomain

@Suite("CheckedInteger")
struct CheckedIntegerTests {
    @Test("decimal text inside the range", arguments: [
        ("0", 0), ("7", 7), (" 42 ", 42), ("\t-3\r\n", -3), ("+9", 9), ("007", 7),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ] as [(String, Int64)])
    func reads(text: String, value: Int64) {
        #expect(CheckedInteger.parse(text, in: Int64.min...Int64.max) == value)
    }

    @Test("anything else is nil, never a trap", arguments: [
        "", " ", "-", "+", "--1", "+-1", "1-", "1 2", "1.0", "1e3", "0x10", "١٢٣", "１２３", "๑", "NaN", "Infinity",
        "9223372036854775808", "-9223372036854775809", "99999999999999999999999999999999", "1\u{0}", "\u{0}1", "- 1",
        String(repeating: "9", count: 100_000),
    ])
    func refuses(text: String) {
        #expect(CheckedInteger.parse(text, in: Int64.min...Int64.max) == nil)
    }

    @Test func rangeIsExplicit() {
        #expect(CheckedInteger.parse("5", in: 1...5) == 5)
        #expect(CheckedInteger.parse("6", in: 1...5) == nil)
        #expect(CheckedInteger.parse("0", in: 1...5) == nil)
        #expect(CheckedInteger.parse("-1", in: 0...5) == nil)
    }

    @Test func signCanBeRefused() {
        #expect(CheckedInteger.parse("+5", in: 1...9, sign: .refused) == nil)
        #expect(CheckedInteger.parse("-5", in: -9...9, sign: .refused) == nil)
        #expect(CheckedInteger.parse("5", in: 1...9, sign: .refused) == 5)
    }

    @Test func bytesAndTextAgree() {
        for text in ["12", " 12", "x", "-0", "000000000000000000000001"] {
            #expect(CheckedInteger.parse(utf8: Array(text.utf8)[...], in: -100...100) == CheckedInteger.parse(text, in: -100...100))
        }
    }

    /// A window of refill days too long to count in seconds is a lifetime, not a trap.
    @Test func refillWindowCannotOverflow() {
        let service = ServiceTerms(id: 1, type: .default, rate: .zero, min: 1, max: 10, refill: true, refillDays: Int.max)
        #expect(OrderLifecycle.canRefill(status: .completed, service: service, completedAt: 0, now: 1_000_000_000,
                                        hasOpenRefill: false, isSubscription: false))
    }
}
