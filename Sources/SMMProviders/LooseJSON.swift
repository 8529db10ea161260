import Foundation

/// A JSON value read leniently, as upstream panels write it: numbers and strings are both
/// available as text, so `"157"` and `157` read the same.
enum LooseJSON: Decodable, Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, as its shortest decimal text (`157`, `0.27819`).
    case number(String)
    case string(String)
    case array([LooseJSON])
    case object([String: LooseJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        // Integers first: a Double would lose digits of a large id.
        if let value = try? container.decode(Int64.self) { self = .number(String(value)); return }
        if let value = try? container.decode(Double.self) { self = .number(Self.text(of: value)); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([LooseJSON].self) { self = .array(value); return }
        self = .object(try container.decode([String: LooseJSON].self))
    }

    static func parse(_ bytes: some Collection<UInt8>) -> LooseJSON? {
        try? JSONDecoder().decode(LooseJSON.self, from: Data(bytes))
    }

    private static func text(of value: Double) -> String {
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
