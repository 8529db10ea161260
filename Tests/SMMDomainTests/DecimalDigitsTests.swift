import Testing
import SMMDomain

/// Numbers written straight into bytes must read exactly as `String(value)` spells them.
@Suite struct DecimalDigitsTests {
    static let edges: [Int64] = [0, 1, 9, 10, 99, 100, 12_345, 999_999_999, 1_000_000_000, Int64.max, Int64.max - 1, -1, -10, -987_654_321, Int64.min, Int64.min + 1]

    @Test func signedValuesAreSpelledAsString() {
        var generator = SystemRandomNumberGenerator()
        // Every length of number, at the edges where a digit is added.
        let lengths = (0...18).flatMap { power -> [Int64] in
            let ten = (0..<power).reduce(Int64(1)) { value, _ in value * 10 }
            return [ten - 1, ten, ten + 1].flatMap { [$0, -$0] }
        }
        let samples = Self.edges + lengths + (0..<2_000).map { _ in Int64.random(in: Int64.min...Int64.max, using: &generator) }
            + (0..<2_000).map { _ in Int64.random(in: -100_000...100_000, using: &generator) }
        for value in samples {
            var out: [UInt8] = [UInt8(ascii: "x")]
            DecimalDigits.write(value, to: &out)
            // Appended after what was there.
            #expect(String(decoding: out, as: UTF8.self) == "x" + String(value), "\(value)")
        }
    }

    @Test("zeros in front up to the width, never cut", arguments: [
        (UInt64(0), 1, "0"), (0, 5, "00000"), (7, 5, "00007"), (12_345, 5, "12345"), (123_456, 5, "123456"),
        (UInt64.max, 20, "18446744073709551615"), (1, 20, "00000000000000000001"), (42, 0, "42"),
    ] as [(UInt64, Int, String)])
    func width(value: UInt64, width: Int, text: String) {
        var out: [UInt8] = []
        DecimalDigits.write(value, width: width, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
    }

    @Test func literalsAppendTheirBytes() {
        var out: [UInt8] = Array("a".utf8)
        out.append(literal: "{\"é\":")
        #expect(out == Array("a{\"é\":".utf8))
    }
}
