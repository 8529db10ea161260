import Foundation

/// A JSON value read leniently, as upstream panels write it: numbers and strings are both
/// available as text, so `"157"` and `157` read the same.
enum LooseJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number as text: an integer exactly as written (an id of any length keeps every digit),
    /// anything else as its shortest decimal text (`0.27819`, `1.5` for `1.50`).
    case number(String)
    case string(String)
    case array([LooseJSON])
    /// Keys as written; a repeated key keeps its last value.
    case object([String: LooseJSON])

    /// The JSON document `bytes` (RFC 8259; a leading UTF-8 byte-order mark is skipped), or nil
    /// if it is not one: an HTML error page, a PHP warning, a truncated answer.
    ///
    /// Read by hand rather than through `JSONDecoder`: decoding an enum of unknown shape that
    /// way tries each case in turn and throws a `DecodingError` for every miss, which made
    /// reading a 100-order status answer ~3 ms — a fifth of status sync (profiled).
    static func parse(_ bytes: some Collection<UInt8>) -> LooseJSON? {
        let parsed: LooseJSON?? = bytes.withContiguousStorageIfAvailable { buffer in
            var reader = LooseJSONReader(buffer)
            return reader.document()
        }
        if let parsed { return parsed }
        return Array(bytes).withUnsafeBufferPointer { buffer in
            var reader = LooseJSONReader(buffer)
            return reader.document()
        }
    }

    /// `number`'s text for a JSON number token (already checked against the grammar).
    static func numberText(_ token: String) -> String? {
        let digits = token.utf8.drop { $0 == UInt8(ascii: "-") }
        if !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return token == "-0" ? "0" : token
        }
        guard let value = Double(token), value.isFinite else { return nil }
        return text(of: value)
    }

    static func text(of value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    subscript(key: String) -> LooseJSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// Numbers and strings as text; nil for anything else.
    var text: String? {
        switch self {
        case .number(let text), .string(let text): return text
        case .bool(let value): return value ? "1" : "0"
        default: return nil
        }
    }

    /// Booleans as panels send them: `true`, `1`, `"1"`, `"true"`, `"yes"`.
    var flag: Bool {
        switch self {
        case .bool(let value): return value
        case .number(let text), .string(let text):
            return ["1", "true", "yes", "on"].contains(text.lowercased().trimmingCharacters(in: .whitespaces))
        default: return false
        }
    }

    /// The `error` message of an answer that is an error, if it is one.
    var errorMessage: String? {
        // `"error": null`, `false` or `""` beside a result mean no error.
        guard let error = self["error"] else { return nil }
        switch error {
        case .null, .bool(false): return nil
        case .string(let text) where text.isEmpty: return nil
        default: break
        }
        if case .object(let inner) = error { return inner["message"]?.text ?? "error" }
        return error.text ?? "error"
    }
}

/// RFC 8259 over UTF-8 bytes, for `LooseJSON.parse`.
private struct LooseJSONReader {
    /// Deeper nesting is refused rather than followed: a hostile answer must not exhaust the
    /// stack.
    static let maxDepth = 256

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() -> LooseJSON? {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        guard let value = value() else { return nil }
        skipSpace()
        return index == bytes.count ? value : nil
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value() -> LooseJSON? {
        skipSpace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(LooseJSON.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: LooseJSON) -> LooseJSON? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func enter() -> Bool {
        depth += 1
        index += 1
        return depth <= Self.maxDepth
    }

    private mutating func object() -> LooseJSON? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        var fields: [String: LooseJSON] = [:]
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return .object(fields) }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let value = value() else { return nil }
            fields[key] = value
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(fields)
            default: return nil
            }
        }
    }

    private mutating func array() -> LooseJSON? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        var items: [LooseJSON] = []
        skipSpace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard let item = value() else { return nil }
            items.append(item)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(items)
            default: return nil
            }
        }
    }

    /// At the opening quote; nil for a bad escape, a raw control character or no closing
    /// quote. Bytes that are not UTF-8 (a name in Latin-1) become U+FFFD rather than make the
    /// whole answer unreadable.
    private mutating func string() -> String? {
        index += 1
        let start = index
        // Most strings have no escape: one validated copy of their bytes.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { return nil }
            index += 1
        }
        guard let stop = current else { return nil }
        var utf8 = Array(bytes[start..<index])
        if stop == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: utf8, as: UTF8.self)
        }
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard let escaped = current else { return nil }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    utf8.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                utf8.append(byte)
                index += 1
            }
        }
        return nil
    }

    /// After `\u`: four hex digits, and a low surrogate's escape after a high one. A lone
    /// surrogate is not a character: refused.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let unit = hex4() else { return nil }
        if (0xD800..<0xDC00).contains(unit) {
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
            index += 2
            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(unit)
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() -> LooseJSON? {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, isDigit(first) else { return nil }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if current == UInt8(ascii: ".") {
            index += 1
            guard skipDigits() else { return nil }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard skipDigits() else { return nil }
        }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        return LooseJSON.numberText(token).map(LooseJSON.number)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Skips a run of digits; false if there was none.
    @discardableResult
    private mutating func skipDigits() -> Bool {
        let start = index
        while let byte = current, isDigit(byte) { index += 1 }
        return index > start
    }
}
