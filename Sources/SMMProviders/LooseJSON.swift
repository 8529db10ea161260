import Foundation
import SMMDomain

/// A JSON value read leniently, as upstream panels write it: numbers and strings are both
/// available as text, so `"157"` and `157` read the same.
enum LooseJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number as text (`JSONDocument.numberText`): an id of any length keeps every digit.
    case number(String)
    case string(String)
    case array([LooseJSON])
    /// Keys as written; a repeated key keeps its last value.
    case object([String: LooseJSON])

    /// How providers' answers are read: a byte-order mark skipped, and bytes that are not
    /// UTF-8 (a name in Latin-1) replaced rather than making the whole answer unreadable.
    static let readingOptions = JSONDocument.ReadingOptions(maxDepth: 256, skipsByteOrderMark: true, repairsUTF8: true)

    /// The JSON document `bytes` hold, or nil if they hold none: an HTML error page, a PHP
    /// warning, a truncated answer.
    static func parse(_ bytes: some Collection<UInt8>) -> LooseJSON? {
        JSONDocument.read(bytes, options: readingOptions).flatMap(LooseJSON.init)
    }

    /// nil only for a number no `Double` holds (`1e999`).
    init?(_ document: JSONDocument) {
        switch document {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .string(let text): self = .string(text)
        case .number(let token):
            guard let text = JSONDocument.numberText(token) else { return nil }
            self = .number(text)
        case .array(let items):
            var values: [LooseJSON] = []
            values.reserveCapacity(items.count)
            for item in items {
                guard let value = LooseJSON(item) else { return nil }
                values.append(value)
            }
            self = .array(values)
        case .object(let members):
            var fields: [String: LooseJSON] = [:]
            fields.reserveCapacity(members.count)
            for (key, member) in members {
                guard let value = LooseJSON(member) else { return nil }
                fields[key] = value
            }
            self = .object(fields)
        }
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

    /// The message of an answer that is an error, if it is one: `{"error": …}`, or
    /// `{"status":"error","message":"…"}` as many panels write it.
    var errorMessage: String? {
        if let error = self["error"] {
            // `"error": null`, `false` or `""` beside a result mean no error.
            switch error {
            case .null, .bool(false): break
            case .string(let text) where text.isEmpty: break
            case .object(let inner): return inner["message"]?.text ?? "error"
            default: return error.text ?? "error"
            }
        }
        guard case .string(let status) = self["status"] ?? .null, status.trimmingCharacters(in: .whitespaces).lowercased() == "error" else {
            return nil
        }
        return self["message"]?.text ?? "error"
    }

    /// The value written back as JSON, to keep what a provider said about one order; object
    /// keys come sorted (the order they were sent in is not kept).
    var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let text): text
        case .string(let text): JSONString.quoted(text)
        case .array(let items): "[" + items.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.keys.sorted().map { JSONString.quoted($0) + ":" + fields[$0]!.jsonText }.joined(separator: ",") + "}"
        }
    }
}
