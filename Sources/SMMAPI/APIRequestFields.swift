import Foundation

/// Reads the fields of an API v2 call from wherever a real client put them: the query string
/// (GET bots), a form body (the documented way) or a JSON body. Body fields win over query
/// fields. Values are kept as text; what they mean is the action's business.
public enum APIRequestFields {
    public enum Failure: Error { case malformed }

    /// Fields whose JSON arrays become one item per line; other arrays join with commas
    /// (`"orders":[1,2]` → `"1,2"`).
    static let listFields: Set<String> = ["comments", "usernames", "hashtags", "keywords", "groups"]

    public static func parse(query: String?, body: [UInt8], contentType: String?) throws(Failure) -> [String: String] {
        var fields: [String: String] = [:]
        if let query, !query.isEmpty { parseForm(Array(query.utf8), into: &fields) }
        let firstNonSpace = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 })
        let isJSON = contentType?.lowercased().contains("json") == true || firstNonSpace == UInt8(ascii: "{")
        if isJSON, firstNonSpace != nil {
            try parseJSON(body, into: &fields)
        } else if !body.isEmpty {
            parseForm(body, into: &fields)
        }
        return fields
    }

    /// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte; a malformed escape
    /// is kept as written; the last repeat of a name wins, as in PHP.
    static func parseForm(_ bytes: [UInt8], into fields: inout [String: String]) {
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            var name = decodeComponent(parts[0])
            if name.hasSuffix("[]") { name.removeLast(2) }
            guard !name.isEmpty else { continue }
            fields[name] = parts.count > 1 ? decodeComponent(parts[1]) : ""
        }
    }

    static func decodeComponent(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func parseJSON(_ bytes: [UInt8], into fields: inout [String: String]) throws(Failure) {
        let object: [String: LooseJSON]
        do {
            object = try JSONDecoder().decode([String: LooseJSON].self, from: Data(bytes))
        } catch {
            throw .malformed
        }
        for (name, value) in object {
            guard let text = value.text(joiner: listFields.contains(name) ? "\n" : ",") else { throw .malformed }
            if let text { fields[name] = text } else { fields[name] = nil }
        }
    }
}

/// Any JSON value a client may send for a field.
enum LooseJSON: Decodable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null
    case array([LooseJSON])
    case object

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int64.self) { self = .integer(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([LooseJSON].self) { self = .array(value); return }
        _ = try decoder.container(keyedBy: AnyKey.self)
        self = .object
    }

    /// The field's text; `.some(nil)` for null (absent); nil for values no field can take.
    func text(joiner: String) -> String?? {
        switch self {
        case .string(let s): return .some(s)
        case .integer(let i): return .some(String(i))
        case .number(let d): return .some(d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d))
        case .bool(let b): return .some(b ? "1" : "0")
        case .null: return .some(nil)
        case .object: return nil
        case .array(let items):
            var parts: [String] = []
            for item in items {
                switch item {
                case .array, .object: return nil
                default:
                    guard case .some(let part) = item.text(joiner: joiner) else { return nil }
                    if let part { parts.append(part) }
                }
            }
            return .some(parts.joined(separator: joiner))
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
    }
}
