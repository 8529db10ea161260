/// The one reader of integers that come from outside: requests, forms, cookies, provider
/// answers and the CLI. Text is ASCII decimal digits, with an optional sign where the caller
/// allows one, inside spaces; the value must lie in an explicit range. It reads each byte once
/// and cannot trap: anything else (a 40-digit number, Arabic-Indic digits, `1e9`, `0x10`) is nil.
public enum CheckedInteger {
    /// Whether a leading `+` or `-` is accepted.
    public enum Sign: Sendable {
        case allowed
        case refused
    }

    /// The integer written in `text` if it lies in `range`; nil otherwise.
    public static func parse(_ text: some StringProtocol, in range: ClosedRange<Int64>, sign: Sign = .allowed) -> Int64? {
        parse(utf8: text.utf8, in: range, sign: sign)
    }

    /// `parse` over bytes already at hand (a request body, a cookie).
    public static func parse<Bytes: Collection<UInt8>>(utf8 bytes: Bytes, in range: ClosedRange<Int64>, sign: Sign = .allowed) -> Int64? {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return nil }
        var index = first
        var negative = false
        if sign == .allowed, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index = bytes.index(after: index)
        }
        // Accumulated as a negative number: Int64.min has no positive counterpart.
        var value: Int64 = 0
        var digits = 0
        while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(bytes[index] - 0x30))
            guard !overflowA, !overflowB else { return nil }
            value = next
            digits += 1
            index = bytes.index(after: index)
        }
        guard digits > 0, bytes[index...].allSatisfy(isSpace) else { return nil }
        if !negative {
            guard value != .min else { return nil }
            value = -value
        }
        return range.contains(value) ? value : nil
    }
}
