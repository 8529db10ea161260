/// Numbers written as decimal ASCII straight into bytes, for answers written as bytes (a
/// 100-id `status` answer holds some 300 numbers; a `String` for each would be a large part of
/// writing it: BENCHMARKS.md).
public enum DecimalDigits {
    /// Most digits a `UInt64` has.
    public static let maximumWidth = 20

    /// `value`'s digits, with zeros in front up to `width` digits (at most `maximumWidth`).
    public static func write(_ value: UInt64, width: Int = 1, to out: inout [UInt8]) {
        precondition(width <= maximumWidth, "more than \(maximumWidth) digits asked for")
        // Filled from the end: the digits come out last first.
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { digits in
            var start = digits.count
            var rest = value
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0 || digits.count - start < width
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }

    /// `value` as `String(value)` spells it.
    public static func write(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        write(value.magnitude, to: &out)
    }
}

extension Array where Element == UInt8 {
    /// Appends a literal's bytes (UTF-8), without going through `String`.
    public mutating func append(literal text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
