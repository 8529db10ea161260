/// A JSON document as read (RFC 8259), keeping what its readers decide on themselves: numbers
/// as their text, object members in order (a repeated key kept twice).
///
/// One reader for the JSON the panel receives: request bodies (`StrictJSON`: invalid UTF-8
/// refused, shallow) and providers' answers (`LooseJSON`: a byte-order mark skipped, invalid
/// UTF-8 replaced). Foundation's decoder fits neither: on Linux it accepts trailing commas, and
/// decoding a value of unknown shape through it throws a `DecodingError` per shape tried, too
/// slow for status sync (BENCHMARKS.md).
public indirect enum JSONDocument: Sendable, Equatable {
    case string(String)
    /// The number token as written (`-7`, `0.27819`, `1.5e2`, an id of any length).
    case number(String)
    case bool(Bool)
    case null
    case array([JSONDocument])
    case object([(key: String, value: JSONDocument)])

    public struct ReadingOptions: Sendable {
        /// Deeper nesting is refused rather than followed: hostile input must not exhaust the
        /// stack.
        public var maxDepth: Int
        /// Skip a leading UTF-8 byte-order mark (some PHP panels send one).
        public var skipsByteOrderMark: Bool
        /// Bytes that are not UTF-8 become U+FFFD; otherwise the document is refused.
        public var repairsUTF8: Bool

        public init(maxDepth: Int, skipsByteOrderMark: Bool, repairsUTF8: Bool) {
            self.maxDepth = maxDepth
            self.skipsByteOrderMark = skipsByteOrderMark
            self.repairsUTF8 = repairsUTF8
        }
    }

    /// The document `bytes` hold, or nil if they hold none (an HTML page, a PHP warning, a
    /// cut-off answer, a trailing comma, anything after the value).
    public static func read(_ bytes: some Collection<UInt8>, options: ReadingOptions) -> JSONDocument? {
        let read: JSONDocument?? = bytes.withContiguousStorageIfAvailable { buffer in
            var reader = JSONReader(buffer, options)
            return reader.document()
        }
        if let read { return read }
        return Array(bytes).withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, options)
            return reader.document()
        }
    }

    /// A number token as the text a field holds: an integer exactly as written, however long
    /// (`-0` as `0`); anything else as its shortest decimal text, an integral value without a
    /// fraction (`1.50` → `1.5`, `2.0` → `2`, `1e3` → `1000`). nil for a number no `Double`
    /// holds (`1e999`).
    public static func numberText(_ token: String) -> String? {
        let digits = token.utf8.drop { $0 == UInt8(ascii: "-") }
        if !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return token == "-0" ? "0" : token
        }
        guard let value = Double(token), value.isFinite else { return nil }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)), (.number(let a), .number(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

/// RFC 8259 over UTF-8 bytes, for `JSONDocument.read`.
private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let options: JSONDocument.ReadingOptions
    var index = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, _ options: JSONDocument.ReadingOptions) {
        self.bytes = bytes
        self.options = options
    }

    mutating func document() -> JSONDocument? {
        if options.skipsByteOrderMark, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        guard let value = value() else { return nil }
        skipSpace()
        return index == bytes.count ? value : nil
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private mutating func value() -> JSONDocument? {
        skipSpace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(JSONDocument.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONDocument) -> JSONDocument? {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return nil }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
        index += count
        return value
    }

    private mutating func enter() -> Bool {
        depth += 1
        index += 1
        return depth <= options.maxDepth
    }

    private mutating func object() -> JSONDocument? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        var members: [(key: String, value: JSONDocument)] = []
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let value = value() else { return nil }
            members.append((key, value))
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: return nil
            }
        }
    }

    private mutating func array() -> JSONDocument? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        var items: [JSONDocument] = []
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
    /// quote, and for bytes that are not UTF-8 unless the options repair them.
    private mutating func string() -> String? {
        index += 1
        let start = index
        // Most strings have no escape: their bytes become the String in one copy.
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { return nil }
            index += 1
        }
        guard let stop = current else { return nil }
        if stop == UInt8(ascii: "\"") {
            index += 1
            return text(UnsafeBufferPointer(rebasing: bytes[start..<index - 1]))
        }
        var utf8 = Array(bytes[start..<index])
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return text(utf8)
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

    private func text(_ utf8: some Collection<UInt8>) -> String? {
        options.repairsUTF8 ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
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
    private mutating func number() -> JSONDocument? {
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
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
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
