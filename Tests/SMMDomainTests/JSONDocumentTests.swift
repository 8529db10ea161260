import SMMDomain
import Testing

/// The one JSON reader: what each reading option changes, and what no option changes.
@Suite struct JSONDocumentTests {
    static let strict = JSONDocument.ReadingOptions(maxDepth: 4, skipsByteOrderMark: false, repairsUTF8: false)
    static let lenient = JSONDocument.ReadingOptions(maxDepth: 4, skipsByteOrderMark: true, repairsUTF8: true)

    func read(_ bytes: [UInt8], _ options: JSONDocument.ReadingOptions) -> JSONDocument? { JSONDocument.read(bytes, options: options) }
    func read(_ text: String, _ options: JSONDocument.ReadingOptions) -> JSONDocument? { read(Array(text.utf8), options) }

    @Test func numbersKeepTheirTextAndMembersTheirOrder() {
        let document = read(#"{"b": 1.50, "a": -0, "b": 12345678901234567890123, "c": [1e3, "x"]}"#, Self.strict)
        #expect(document == .object([
            (key: "b", value: .number("1.50")), (key: "a", value: .number("-0")),
            (key: "b", value: .number("12345678901234567890123")), (key: "c", value: .array([.number("1e3"), .string("x")])),
        ]))
        #expect(read(#"{"a": 1, "b": 2}"#, Self.strict) != read(#"{"b": 2, "a": 1}"#, Self.strict))
    }

    @Test func byteOrderMark() {
        let marked: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("[1]".utf8)
        #expect(read(marked, Self.strict) == nil)
        #expect(read(marked, Self.lenient) == .array([.number("1")]))
        // Only at the start.
        #expect(read(Array("[1]".utf8) + [0xEF, 0xBB, 0xBF], Self.lenient) == nil)
    }

    @Test func bytesThatAreNotUTF8() {
        let latin1: [UInt8] = Array(#"["caf"#.utf8) + [0xE9] + Array(#""]"#.utf8)
        #expect(read(latin1, Self.strict) == nil)
        #expect(read(latin1, Self.lenient) == .array([.string("caf\u{FFFD}")]))
        // Escapes are not bytes: a lone surrogate is refused either way.
        #expect(read(#"["\udc00"]"#, Self.lenient) == nil)
    }

    @Test func depthLimit() {
        let four = "[[[[1]]]]", five = "[[[[[1]]]]]"
        #expect(read(four, Self.strict) != nil)
        #expect(read(five, Self.strict) == nil)
        #expect(read(#"{"a":{"b":{"c":{"d":1}}}}"#, Self.lenient) != nil)
        #expect(read(#"{"a":{"b":{"c":{"d":{}}}}}"#, Self.lenient) == nil)
    }

    @Test func numberTokensAsFieldText() {
        let cases: [(String, String?)] = [
            ("0", "0"), ("-0", "0"), ("-12", "-12"), ("123456789012345678901234", "123456789012345678901234"),
            ("1.50", "1.5"), ("2.0", "2"), ("1e3", "1000"), ("1E-2", "0.01"), ("0.27819", "0.27819"), ("-0.0", "0"),
            ("1e15", "1000000000000000.0"), ("1e16", "1e+16"), ("1e999", nil), ("-1e999", nil),
        ]
        for (token, text) in cases { #expect(JSONDocument.numberText(token) == text, "\(token)") }
    }

    /// Any contiguous or not collection of bytes reads the same.
    @Test func noncontiguousBytes() {
        let text = #"{"order": 23501}"#
        #expect(read(text, Self.strict) == JSONDocument.read(text.utf8.lazy.map { $0 }, options: Self.strict))
    }
}
