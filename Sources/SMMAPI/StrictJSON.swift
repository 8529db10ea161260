import SMMDomain

/// A strict RFC 8259 reader for request bodies. Foundation's decoder on Linux quietly accepts
/// broken input such as trailing commas; a panel must answer such a body with
/// `Incorrect request`, never guess at it and place an order.
enum StrictJSON {
    indirect enum Value: Equatable {
        case string(String)
        case integer(Int64)
        case number(Double)
        case bool(Bool)
        case null
        case array([Value])
        case object([(String, Value)])

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.string(let a), .string(let b)): return a == b
            case (.integer(let a), .integer(let b)): return a == b
            case (.number(let a), .number(let b)): return a == b
            case (.bool(let a), .bool(let b)): return a == b
            case (.null, .null): return true
            case (.array(let a), .array(let b)): return a == b
            case (.object(let a), .object(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            default: return false
            }
        }
    }

    struct Malformed: Error {}

    /// Request bodies: nesting deeper than 32 is refused rather than risking the stack, and
    /// invalid UTF-8 is refused, not repaired.
    static let readingOptions = JSONDocument.ReadingOptions(maxDepth: 32, skipsByteOrderMark: false, repairsUTF8: false)

    static func parse(_ bytes: [UInt8]) throws(Malformed) -> Value {
        guard let document = JSONDocument.read(bytes, options: readingOptions), let value = Value(document) else { throw Malformed() }
        return value
    }
}

extension StrictJSON.Value {
    /// Integers as `Int64` when they fit, other numbers as `Double`.
    init?(_ document: JSONDocument) {
        switch document {
        case .string(let text): self = .string(text)
        case .bool(let value): self = .bool(value)
        case .null: self = .null
        case .number(let token):
            if JSONDocument.isInteger(token), let integer = Int64(token) {
                self = .integer(integer)
            } else {
                guard let number = Double(token) else { return nil }
                self = .number(number)
            }
        case .array(let items):
            var values: [StrictJSON.Value] = []
            for item in items {
                guard let value = StrictJSON.Value(item) else { return nil }
                values.append(value)
            }
            self = .array(values)
        case .object(let members):
            var values: [(String, StrictJSON.Value)] = []
            for (key, member) in members {
                guard let value = StrictJSON.Value(member) else { return nil }
                values.append((key, value))
            }
            self = .object(values)
        }
    }
}
