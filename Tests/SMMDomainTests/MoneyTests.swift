import Testing
@testable import SMMDomain

@Suite("Money")
struct MoneyTests {
    @Test func constants() {
        #expect(Money.scale == 5)
        #expect(Money.unitsPerWhole == 100_000)
        #expect(Money.zero.minorUnits == 0)
        #expect(Money.zero == Money(minorUnits: 0))
    }

    @Test("parses decimal text into exact minor units", arguments: [
        ("12", 1_200_000),
        ("0.9", 90_000),
        ("0.90", 90_000),
        ("0.27819", 27_819),
        ("100.84292", 10_084_292),
        ("-3.5", -350_000),
        ("+2", 200_000),
        (".5", 50_000),
        ("5.", 500_000),
        ("-.5", -50_000),
        ("0", 0),
        ("-0", 0),
        ("0.00001", 1),
        ("-0.00001", -1),
        ("00012.00100", 1_200_100),
        ("  7.25\t", 725_000),
        ("\n8\n", 800_000),
        ("9999999999999.99999", 999_999_999_999_999_999),
        ("-9999999999999.99999", -999_999_999_999_999_999),
    ] as [(String, Int64)])
    func parsing(text: String, minorUnits: Int64) {
        #expect(Money(parsing: text)?.minorUnits == minorUnits)
    }

    @Test("trailing CRLF counts as a line break to trim")
    func parsingTrimsCRLF() {
        #expect(Money(parsing: "1.5\r\n")?.minorUnits == 150_000)
        #expect(Money(parsing: "\r\n2\r\n")?.minorUnits == 200_000)
    }

    @Test("rejects anything that is not an exact decimal of at most five places", arguments: [
        "", " ", "-", "+", ".", "-.", "+.",
        "1.234567",          // six decimals: rejected, never rounded
        "0.000001",
        "1e5", "1E5", "1,5", "1 000", "1.2.3", "--1", "+-1", "-+1", "- 1",
        "abc", "0x10", "1a", "$1", "1$", "∞", "NaN",
        "99999999999999",    // 14 whole digits
        "١٢",                // Arabic-Indic digits
        "１２",               // full-width digits
        "1\u{20E3}",         // keycap 1: a single Character that sorts between "0" and "9"
        "5\u{0301}",         // 5 with a combining accent
        "0.5\u{0301}",
    ])
    func rejectsMalformed(text: String) {
        #expect(Money(parsing: text) == nil)
    }

    @Test("apiString always has five decimals", arguments: [
        (10_084_292, "100.84292"),
        (27_819, "0.27819"),
        (0, "0.00000"),
        (1, "0.00001"),
        (-1, "-0.00001"),
        (100_000, "1.00000"),
        (90_000, "0.90000"),
        (-350_000, "-3.50000"),
        (1_234_500_000, "12345.00000"),
        (Int64.max, "92233720368547.75807"),
        (Int64.min, "-92233720368547.75808"),
    ] as [(Int64, String)])
    func apiString(minorUnits: Int64, text: String) {
        let value = Money(minorUnits: minorUnits)
        #expect(value.apiString == text)
        #expect(value.description == text)
        #expect(value.formatted() == text)
    }

    @Test("rateString keeps at least two decimals and drops trailing zeros after them", arguments: [
        (90_000, "0.90"),
        (800_000, "8.00"),
        (123_456, "1.23456"),
        (125_000, "1.25"),
        (123_400, "1.234"),
        (120_000, "1.20"),
        (0, "0.00"),
        (1, "0.00001"),
        (10, "0.0001"),
        (-90_000, "-0.90"),
        (1_000_000_000, "10000.00"),
    ] as [(Int64, String)])
    func rateString(minorUnits: Int64, text: String) {
        #expect(Money(minorUnits: minorUnits).rateString == text)
    }

    @Test("formatted with other minimum digits", arguments: [
        (100_000, 0, "1"),
        (150_000, 0, "1.5"),
        (0, 0, "0"),
        (-100_000, 0, "-1"),
        (-1, 0, "-0.00001"),
        (100_000, -3, "1"),
        (100_000, 3, "1.000"),
        (123_450, 1, "1.2345"),
        (100_000, 9, "1.00000"),
    ] as [(Int64, Int, String)])
    func formatted(minorUnits: Int64, digits: Int, text: String) {
        #expect(Money(minorUnits: minorUnits).formatted(minimumFractionDigits: digits) == text)
        // Written as bytes: the same text, after what was there.
        var out: [UInt8] = Array("[".utf8)
        Money(minorUnits: minorUnits).write(minimumFractionDigits: digits, to: &out)
        #expect(out == Array("[\(text)".utf8))
    }

    @Test("formatting and parsing round-trip", arguments: [
        0, 1, -1, 9, 10, 99_999, 100_000, 100_001, 27_819, 10_084_292, -350_000, 999_999_999_999_999_999,
    ] as [Int64])
    func roundTrip(minorUnits: Int64) {
        let value = Money(minorUnits: minorUnits)
        #expect(Money(parsing: value.apiString) == value)
        #expect(Money(parsing: value.rateString) == value)
        #expect(Money(parsing: value.formatted(minimumFractionDigits: 0)) == value)
    }

    @Test func arithmeticAndOrder() {
        let a = money("1.50000"), b = money("0.25")
        #expect((a + b).minorUnits == 175_000)
        #expect((a - b).minorUnits == 125_000)
        #expect((b - a).minorUnits == -125_000)
        #expect((-a).minorUnits == -150_000)
        #expect(-(-a) == a)
        #expect(b < a)
        #expect(!(a < b))
        #expect(!(a < a))
        #expect(a > b)
        #expect(-a < .zero)
        #expect([a, b, .zero, -a].sorted() == [-a, .zero, b, a])
        #expect(money("0.9") == money("0.90000"))
        #expect(Set([money("0.9"), money("0.90"), money("1")]).count == 2)
    }
}

@Suite("String.trimmingSpaces")
struct TrimmingTests {
    @Test(arguments: [
        ("  a b  ", "a b"),
        ("\t\na\n\t", "a"),
        ("\r\na\r\n", "a"),
        ("a\r", "a"),
        ("\r\n", ""),
        ("", ""),
        ("   ", ""),
        ("a", "a"),
        (" \u{00A0}a", "\u{00A0}a"),   // only space, tab and line breaks are trimmed
        (" \u{301}a ", " \u{301}a"),   // a space with a combining mark is no space
        ("é ", "é"),
        (" x\r\n\r\n", "x"),
        ("\u{600} ", "\u{600} "),       // a prepended mark joins the space into one Character
    ] as [(String, String)])
    func trims(input: String, output: String) {
        #expect(input.trimmingSpaces() == output)
        #expect(input.isBlank == output.isEmpty)
    }
}
