import SMMDomain

/// What one API call may carry; past these the call is refused before any work.
public enum APIRequestLimits {
    /// Largest body read; larger ones get HTTP 413.
    public static let maxBodySize = 2 * 1024 * 1024
    /// Longest query string (GET clients); longer ones get HTTP 414.
    public static let maxQueryLength = 64 * 1024
    /// Distinct field names in one call: every action's fields of every type fit many times.
    public static let maxFields = 200
}

/// Reads the fields of an API v2 call from wherever a real client put them: the query string
/// (GET bots), a form body (the documented way) or a JSON body. Body fields win over query
/// fields. Values are kept as text; what they mean is the action's business.
public enum APIRequestFields {
    public enum Failure: Error { case malformed }

    /// Fields whose JSON arrays become one item per line; other arrays join with commas
    /// (`"orders":[1,2]` → `"1,2"`).
    static let listFields: Set<String> = ["comments", "usernames", "hashtags", "keywords", "groups"]

    public static func parse(query: String?, body: [UInt8], contentType: String?) throws(Failure) -> [String: String] {
        let fields = try parseFields(query: query, body: body, contentType: contentType)
        // A NUL byte belongs in no field (and PostgreSQL text cannot store one): the request is
        // malformed, whichever field carries it.
        guard !fields.contains(where: { $0.key.utf8.contains(0) || $0.value.utf8.contains(0) }) else { throw .malformed }
        return fields
    }

    private static func parseFields(query: String?, body: [UInt8], contentType: String?) throws(Failure) -> [String: String] {
        var fields: [String: String] = [:]
        if let query, !query.isEmpty { try parseForm(Array(query.utf8), into: &fields) }
        let firstNonSpace = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 })
        let isJSON = contentType.map(mentionsJSON) == true || firstNonSpace == UInt8(ascii: "{")
        if isJSON, firstNonSpace != nil {
            try parseJSON(body, into: &fields)
        } else if !body.isEmpty {
            try parseForm(body, into: &fields)
        }
        guard fields.count <= APIRequestLimits.maxFields else { throw .malformed }
        return fields
    }

    /// Whether a Content-Type names JSON (`application/json`, `text/JSON; charset=utf-8`…), in
    /// any case. By bytes: `lowercased().contains` goes through Foundation's string search, on
    /// every call (BENCHMARKS.md).
    static func mentionsJSON(_ contentType: String) -> Bool {
        // "json" has no letter twice, so a mismatch restarts the match at this byte.
        let target: (UInt8, UInt8, UInt8, UInt8) = (0x6A, 0x73, 0x6F, 0x6E)
        var matched = 0
        for byte in contentType.utf8 {
            // `| 0x20` folds an ASCII capital to its small letter; no other byte becomes j, s, o or n.
            let folded = byte | 0x20
            let expected = switch matched { case 0: target.0; case 1: target.1; case 2: target.2; default: target.3 }
            if folded == expected {
                matched += 1
                if matched == 4 { return true }
            } else {
                matched = folded == target.0 ? 1 : 0
            }
        }
        return false
    }

    /// Items one repeated field (`orders[]=…`) may collect: the longest list any action takes.
    static let maxListItems = OrderLimits.maxListLines

    /// `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte; a malformed escape
    /// is kept as written; the last repeat of a plain name wins, as in PHP. Linear in the
    /// body: repeats are collected and joined once, and the caps on distinct names and on a
    /// list's items end the parse as soon as they are passed.
    static func parseForm(_ bytes: [UInt8], into fields: inout [String: String]) throws(Failure) {
        // Lists being collected; a list continues what a plain field of its name already holds.
        var lists: [String: [String]] = [:]
        var names = fields.count
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            defer { start = end + 1 }
            guard end > start else { continue }
            let pair = bytes[start..<end]
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            var name = decodeComponent(pair[..<(equals ?? end)])
            let value = equals.map { decodeComponent(pair[($0 + 1)...]) } ?? ""
            let isListItem = name.hasSuffix("[]")
            if isListItem { name.removeLast(2) }
            guard !name.isEmpty else { continue }
            if fields[name] == nil, lists[name] == nil {
                names += 1
                guard names <= APIRequestLimits.maxFields else { throw .malformed }
            }
            if isListItem {
                // PHP-style repeats (`orders[]=1&orders[]=2`) collect into one list.
                var items = lists.removeValue(forKey: name) ?? fields[name].map { [$0] } ?? []
                guard items.count < maxListItems else { throw .malformed }
                items.append(value)
                lists[name] = items
            } else {
                lists[name] = nil
                fields[name] = value
            }
        }
        for (name, items) in lists {
            fields[name] = items.joined(separator: listFields.contains(name) ? "\n" : ",")
        }
    }

    static func decodeComponent(_ bytes: ArraySlice<UInt8>) -> String {
        // Most components (names, keys, ids) have nothing to decode: one copy, not two.
        if !bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) {
            return String(decoding: bytes, as: UTF8.self)
        }
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

    /// A JSON body must be one object; each value becomes the field's text. Nested objects, or
    /// arrays inside arrays, fit no field and make the request malformed.
    static func parseJSON(_ bytes: [UInt8], into fields: inout [String: String]) throws(Failure) {
        guard case .object(let members) = try? StrictJSON.parse(bytes) else { throw .malformed }
        for (name, value) in members {
            switch fieldText(value, joiner: listFields.contains(name) ? "\n" : ",") {
            case .text(let text): fields[name] = text
            case .absent: fields[name] = nil
            case .unusable: throw .malformed
            }
        }
    }

    private enum FieldText {
        case text(String)
        /// JSON null: as if the field were not sent.
        case absent
        case unusable
    }

    private static func fieldText(_ value: JSONDocument, joiner: String) -> FieldText {
        switch value {
        case .string(let s): return .text(s)
        case .number(let token): return JSONDocument.numberText(token).map(FieldText.text) ?? .unusable
        case .bool(let b): return .text(b ? "1" : "0")
        case .null: return .absent
        case .object: return .unusable
        case .array(let items):
            guard items.count <= maxListItems else { return .unusable }
            var parts: [String] = []
            for item in items {
                if case .array = item { return .unusable }
                switch fieldText(item, joiner: joiner) {
                case .text(let text): parts.append(text)
                case .absent: continue
                case .unusable: return .unusable
                }
            }
            return .text(parts.joined(separator: joiner))
        }
    }
}
