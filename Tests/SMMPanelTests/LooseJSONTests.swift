import Foundation
import SMMDomain
@testable import SMMProviders
import Testing

/// The reader of providers' answers: RFC 8259, numbers kept as text, and anything that is not
/// a JSON document (an HTML error page, a PHP warning, a cut-off answer) refused.
@Suite struct LooseJSONTests {
    func parse(_ text: String) -> LooseJSON? { LooseJSON.parse(Array(text.utf8)) }

    @Test func valuesAsProvidersWriteThem() {
        #expect(parse(#"{"order": 23501}"#) == .object(["order": .number("23501")]))
        #expect(parse(#" [1, "2", true, false, null, -0, -7, 0.27819, 1.50, 2.0, 1e3, 1E-2] "#) == .array([
            .number("1"), .string("2"), .bool(true), .bool(false), .null, .number("0"), .number("-7"), .number("0.27819"),
            .number("1.5"), .number("2"), .number("1000"), .number("0.01"),
        ]))
        // An id of any length keeps every digit.
        #expect(parse("[123456789012345678901234567890]") == .array([.number("123456789012345678901234567890")]))
        #expect(parse("[9223372036854775807, -9223372036854775808]") == .array([.number("9223372036854775807"), .number("-9223372036854775808")]))
        #expect(parse(#"{"a": {}, "b": [], "c": [[]], "a": 2}"#) == .object(["a": .number("2"), "b": .array([]), "c": .array([.array([])])]))
        #expect(parse("\u{FEFF}{\"x\":\"y\"}") == .object(["x": .string("y")]))
        #expect(parse("\t\r\n 42 \n") == .number("42"))
        #expect(parse(#""top-level string""#) == .string("top-level string"))
    }

    @Test func stringEscapes() {
        #expect(parse(#"["a\"b\\c\/d\be\ff\ng\rh\ti"]"#) == .array([.string("a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti")]))
        #expect(parse(#"["\u00e9\u0041\u20AC", "\ud83d\ude00", "é€😀", "\u0000"]"#) == .array([
            .string("éA€"), .string("😀"), .string("é€😀"), .string("\u{0}"),
        ]))
        // A lone or reversed surrogate is no character.
        for bad in [#"["\ud83d"]"#, #"["\ude00"]"#, #"["\ud83d\u0041"]"#, #"["\ud83dx"]"#] { #expect(parse(bad) == nil, "\(bad)") }
        // Bytes that are not UTF-8 are replaced, not fatal.
        #expect(LooseJSON.parse([0x5B, 0x22, 0x61, 0xE9, 0x62, 0x22, 0x5D]) == .array([.string("a\u{FFFD}b")]))
    }

    @Test func notJSONIsRefused() {
        let refused = [
            "", " ", "<html><head><title>502 Bad Gateway</title></head></html>",
            "Warning: mysqli_connect(): Too many connections in /var/www/api.php",
            #"{"order": 1"#, #"{"order": 1}}"#, #"{"order": 1} x"#, #"[1, 2"#, #"[1, 2,]"#, #"{"a": 1,}"#, #"{a: 1}"#, "{'a': 1}",
            #"{"a" 1}"#, #"["abc]"#, #"["a\x"]"#, #"["a\u12"]"#, "[\"tab\there\"]", "[\"line\nbreak\"]",
            "01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "NaN", "Infinity", "tru", "nul", "True", "[1 2]", "{\"a\":}",
        ]
        for text in refused { #expect(parse(text) == nil, "\(text)") }
    }

    @Test func nestingIsBounded() {
        #expect(parse(String(repeating: "[", count: 200) + String(repeating: "]", count: 200)) != nil)
        // A hostile answer cannot exhaust the stack.
        #expect(parse(String(repeating: "[", count: 100_000)) == nil)
        #expect(parse(String(repeating: #"{"a":"#, count: 5_000) + "1" + String(repeating: "}", count: 5_000)) == nil)
    }

    /// Random documents written by Foundation read back as what was written.
    @Test func readsWhatFoundationWrites() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let (object, expected) = Self.randomValue(depth: 0, &generator)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
            let parsed = LooseJSON.parse(Array(data))
            #expect(parsed == expected, "\(String(decoding: data, as: UTF8.self))")
        }
    }

    static func randomString(_ generator: inout some RandomNumberGenerator) -> String {
        let pool: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "é", "€", "😀", "ت", "\u{7F}"]
        return String((0..<Int.random(in: 0...12, using: &generator)).map { _ in pool.randomElement(using: &generator)! })
    }

    static func randomValue(depth: Int, _ generator: inout some RandomNumberGenerator) -> (Any, LooseJSON) {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
        case 0: return (NSNull(), .null)
        case 1:
            let value = Bool.random(using: &generator)
            return (value, .bool(value))
        case 2:
            let value = Int64.random(in: Int64.min...Int64.max, using: &generator)
            return (NSNumber(value: value), .number(String(value)))
        case 3:
            let value = Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 100_000
            return (NSNumber(value: value), .number(JSONDocument.numberText(String(value))!))
        case 4:
            let value = randomString(&generator)
            return (value, .string(value))
        case 5:
            let items = (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, &generator) }
            return (items.map(\.0), .array(items.map(\.1)))
        default:
            var object: [String: Any] = [:]
            var expected: [String: LooseJSON] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                let key = randomString(&generator)
                let (value, json) = randomValue(depth: depth + 1, &generator)
                object[key] = value
                expected[key] = json
            }
            return (object, .object(expected))
        }
    }
}
