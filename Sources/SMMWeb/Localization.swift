import Foundation
import SMMDomain

/// The panel's languages. Every label of every template comes from the language's strings
/// table (`Resources/strings/<code>.json`, flat `key: text`), reached as `{{t.key}}`.
public enum Language: String, Sendable, CaseIterable {
    case en
    case ar

    public var isRightToLeft: Bool { self == .ar }
    public var direction: String { isRightToLeft ? "rtl" : "ltr" }

    /// The language a visitor asked for (cookie, form), or nil for anything unknown.
    public init?(code: String?) {
        guard let code, let language = Language(rawValue: code.trimmingSpaces().lowercased()) else { return nil }
        self = language
    }
}

/// One language's strings table.
public struct Strings: Sendable {
    public let table: [String: String]

    /// The text of `key`; a missing key shows itself, so a test (and a reader) notices.
    public subscript(_ key: String) -> String { table[key] ?? key }

    /// The text of `key` with `{name}` placeholders filled in.
    public func format(_ key: String, _ values: [String: String]) -> String {
        self[key].filling(values)
    }

    /// A refusal in this language. In English it is exactly the API's message (clients and
    /// customers see the same words); other languages translate the contract's cases.
    public func message(for error: PanelError) -> String {
        switch error {
        case .incorrectRequest: return self["err_incorrect_request"]
        case .invalidAPIKey: return self["err_invalid_key"]
        case .incorrectServiceID: return self["err_incorrect_service"]
        case .incorrectLink: return self["err_incorrect_link"]
        case .quantityBelowMinimum(let n): return format("err_quantity_below", ["n": String(n)])
        case .quantityAboveMaximum(let n): return format("err_quantity_above", ["n": String(n)])
        case .notEnoughFunds: return self["err_not_enough_funds"]
        case .activeOrderWithLink: return self["err_active_order"]
        case .incorrectOrderID: return self["err_incorrect_order"]
        case .refillNotFound: return self["err_refill_not_found"]
        case .refillNotAvailable: return self["err_refill_not_available"]
        case .cancelNotAvailable: return self["err_cancel_not_available"]
        case .tooManyIDs: return self["err_too_many_ids"]
        case .missingField(let name): return format("err_missing_field", ["field": name])
        case .incorrectField(let name): return format("err_incorrect_field", ["field": name])
        case .dripFeedNotAvailable: return self["err_dripfeed_not_available"]
        case .tooManyRequests: return self["err_too_many_requests"]
        case .paymentRequestsWaiting(let count): return format("err_payments_waiting", ["n": String(count)])
        case .rejected(let refusal): return text(of: refusal)
        }
    }

    /// An operator rule's refusal as `refusal_<key>`. English has no such entries: it is the
    /// domain's own sentence, so the page and the CLI cannot drift apart.
    func text(of refusal: Refusal) -> String {
        guard let template = table["refusal_" + refusal.key.rawValue] else { return refusal.english }
        var values = refusal.values
        for name in Refusal.statusValueNames {
            if let status = values[name] { values[name] = Rows.statusLabel(status, self) }
        }
        return template.filling(values)
    }
}

/// Both strings tables, loaded once from the bundle.
public struct Translations: Sendable {
    public let tables: [Language: Strings]

    public func strings(_ language: Language) -> Strings { tables[language] ?? tables[.en]! }

    static func load(from directory: URL) throws -> Translations {
        var tables: [Language: Strings] = [:]
        for language in Language.allCases {
            let data = try Data(contentsOf: directory.appendingPathComponent("strings/\(language.rawValue).json"))
            tables[language] = Strings(table: try JSONDecoder().decode([String: String].self, from: data))
        }
        return Translations(tables: tables)
    }
}
