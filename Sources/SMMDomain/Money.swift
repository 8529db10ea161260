/// An amount of money in minor units of 0.00001 of the panel currency.
///
/// Integer arithmetic only: the API shows five decimals (`"0.27819"`), so one minor unit is
/// the smallest amount the wire can carry and nothing smaller ever exists in the system.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Decimal places carried by a minor unit.
    public static let scale = 5
    /// Minor units in one whole currency unit.
    public static let unitsPerWhole: Int64 = 100_000
    public static let zero = Money(minorUnits: 0)
    /// No balance grows past this (10^13 currency units), so balance arithmetic never nears
    /// Int64's limit.
    public static let maximumBalance = Money(minorUnits: 1_000_000_000_000_000_000)

    public var minorUnits: Int64

    public init(minorUnits: Int64) { self.minorUnits = minorUnits }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits + rhs.minorUnits) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits - rhs.minorUnits) }
    public static prefix func - (value: Money) -> Money { Money(minorUnits: -value.minorUnits) }

    /// Parses a decimal string such as `"12"`, `"0.9"`, `"100.84292"` or `"-3.5"`.
    ///
    /// Rejects more than five decimals rather than rounding them: an operator typing a rate
    /// must get exactly what was typed, or an error.
    public init?(parsing text: String) {
        var s = Substring(text.trimmingSpaces())
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholePart = parts.first else { return nil }
        let fractionPart = parts.count > 1 ? parts[1] : ""
        if wholePart.isEmpty && fractionPart.isEmpty { return nil }
        guard wholePart.allSatisfy(\.isASCIIDigit), fractionPart.allSatisfy(\.isASCIIDigit),
              fractionPart.count <= Money.scale, wholePart.count <= 13
        else { return nil }
        let whole = wholePart.isEmpty ? 0 : Int64(wholePart)!
        let paddedFraction = fractionPart + String(repeating: "0", count: Money.scale - fractionPart.count)
        let fraction = Int64(paddedFraction)!
        let units = whole * Money.unitsPerWhole + fraction
        self.minorUnits = negative ? -units : units
    }

    /// Formats with at least `minimumFractionDigits` decimals (trailing zeros beyond that are
    /// dropped) and at most five.
    public func formatted(minimumFractionDigits: Int = Money.scale) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        write(minimumFractionDigits: minimumFractionDigits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `formatted(minimumFractionDigits:)`'s text as bytes, with no `String` between:
    /// answers written as bytes carry many (every charge of a 100-id `status`; BENCHMARKS.md).
    public func write(minimumFractionDigits: Int = Money.scale, to out: inout [UInt8]) {
        let magnitude = minorUnits.magnitude
        let whole = magnitude / UInt64(Money.unitsPerWhole)
        var fraction = magnitude % UInt64(Money.unitsPerWhole)
        // The fraction has `scale` digits; trailing zeros go, down to the minimum asked for.
        var digits = Money.scale
        let kept = min(max(0, minimumFractionDigits), Money.scale)
        while digits > kept, fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        if minorUnits < 0 { out.append(UInt8(ascii: "-")) }
        DecimalDigits.write(whole, to: &out)
        guard digits > 0 else { return }
        out.append(UInt8(ascii: "."))
        DecimalDigits.write(fraction, width: digits, to: &out)
    }

    /// The five-decimal form the API uses for balances and charges: `"100.84292"`.
    public var apiString: String { formatted(minimumFractionDigits: Money.scale) }
    /// The form used for rates in the catalog: `"0.90"`, `"8.00"`, `"1.23456"`.
    public var rateString: String { formatted(minimumFractionDigits: 2) }
    public var description: String { apiString }
}

extension Character {
    /// Exactly one of the scalars 0…9: a digit with a combining mark or a keycap sorts inside
    /// "0"..."9" as a Character, but is no digit.
    var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}

extension String {
    /// Whether `trimmingSpaces()` would leave nothing, without building that string: the
    /// Characters it trims are all ASCII, so a blank text is exactly one whose bytes are all
    /// spaces, tabs and line breaks.
    public var isBlank: Bool {
        utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// Trims spaces, tabs and line breaks at both ends (no Foundation needed).
    public func trimmingSpaces() -> String {
        // ASCII text (ids, keys, actions: nearly every call) by its bytes, where each byte is
        // a Character: iterating Characters is slow on the hot `status` path (BENCHMARKS.md).
        if utf8.allSatisfy({ $0 < 0x80 }) {
            let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
            guard let start = utf8.firstIndex(where: { !isSpace($0) }) else { return "" }
            let end = utf8.lastIndex(where: { !isSpace($0) })!
            if start == utf8.startIndex && utf8.index(after: end) == utf8.endIndex { return self }
            return String(self[start...end])
        }
        // Otherwise by Characters: a space joined to a combining mark is not a space.
        // "\r\n" is a single Character, equal to neither "\r" nor "\n".
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }
}
