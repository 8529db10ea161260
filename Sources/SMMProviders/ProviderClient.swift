import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SMMDatabase
import SMMDomain
import SMMStorage

/// Why a call to a provider got no usable answer.
public enum UpstreamCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connection was made: the request never reached the provider, so it is always safe to
    /// repeat.
    case unreachable(String)
    /// The provider's address or URL breaks the outbound rules (http, a private address): no
    /// connection was attempted.
    case addressRefused(String)
    /// The request may have reached the provider: no whole answer within the call's deadline.
    case timeout
    /// An HTTP error status (a proxy's 502, the panel's 500…), with the start of the body.
    case httpStatus(Int, String)
    /// A redirect, which is never followed and whose body is never read or shown: following
    /// one would send our key to wherever it points.
    case redirected(Int)
    /// An answer larger than `ProviderClient.maxAnswerBytes`.
    case tooLarge
    /// A 2xx answer that is not JSON (an HTML error page), with its start.
    case notJSON(String)
    /// JSON of an unexpected shape.
    case unexpected(String)
    /// The whole call was refused with an `{"error": …}` (bad key, unknown action…).
    case refused(String)

    /// Whether the provider may have acted on the request although we got no answer.
    public var mayHaveReachedProvider: Bool {
        switch self {
        case .unreachable, .addressRefused: false
        default: true
        }
    }

    /// Short label for metrics and logs.
    public var kind: String {
        switch self {
        case .unreachable: "unreachable"
        case .addressRefused: "address_refused"
        case .timeout: "timeout"
        case .httpStatus: "http_status"
        case .redirected: "redirect"
        case .tooLarge: "too_large"
        case .notJSON: "not_json"
        case .unexpected: "unexpected"
        case .refused: "refused"
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let detail): "provider unreachable: \(detail)"
        case .addressRefused(let detail): "provider address refused: \(detail)"
        case .timeout: "provider did not answer in time"
        case .httpStatus(let code, let body): "provider answered HTTP \(code): \(body)"
        case .redirected(let code): "provider answered a redirect (HTTP \(code)); redirects are not followed: check the provider's URL"
        case .tooLarge: "provider answered more than \(ProviderClient.maxAnswerBytes) bytes"
        case .notJSON(let body): "provider answered something that is not JSON: \(body)"
        case .unexpected(let body): "provider answered an unexpected shape: \(body)"
        case .refused(let message): "provider refused the call: \(message)"
        }
    }
}

/// The answer to `add`.
public enum AddAnswer: Sendable, Hashable {
    case order(String)
    case error(String)
}

/// A per-id answer of the multi `refill` and `refill_status` calls.
public enum ItemAnswer: Sendable, Hashable {
    case value(String)
    case error(String)
}

/// Calls a provider's API v2. Every call is a form POST (the documented transport), TLS
/// verified (AsyncHTTPClient's default), and every dialect of §7 read. The outbound rules:
/// the provider's URL and addresses pass `ProviderAddressPolicy` at every call and the
/// connection goes to the address checked; no redirect is followed; one deadline covers the
/// whole call (lookup, connect, head and body); the answer is capped at `maxAnswerBytes`.
public struct ProviderClient: Sendable {
    /// The largest answer read (a big panel's catalog is a few MB).
    public static let maxAnswerBytes = 8 * 1024 * 1024

    let group: any EventLoopGroup
    let timeout: TimeAmount
    let resolver: AddressResolver
    let observe: @Sendable (_ provider: String, _ action: String, _ seconds: Double) -> Void

    /// `http` lends its event loops; each call gets a client of its own (see `exchange`).
    public init(http: HTTPClient, timeout: TimeAmount = .seconds(30), resolver: AddressResolver = .system,
                observe: @escaping @Sendable (_ provider: String, _ action: String, _ seconds: Double) -> Void = { _, _, _ in }) {
        self.group = http.eventLoopGroup
        self.timeout = timeout
        self.resolver = resolver
        self.observe = observe
    }

    /// Checks a provider URL as every call will (for `provider add` and the admin form).
    public func checkAddress(url: String, allowHTTP: Bool, allowPrivateAddress: Bool) async throws -> ProviderTarget {
        try await ProviderAddressPolicy.check(url: url, allowHTTP: allowHTTP, allowPrivateAddress: allowPrivateAddress, resolver: resolver)
    }

    /// One call; returns the parsed JSON and the raw body (kept for the operator).
    func call(_ provider: Provider, _ fields: [(String, String)]) async throws -> (LooseJSON, String) {
        let body = FormEncoding.encode([("key", provider.apiKey)] + fields)
        let action = fields.first { $0.0 == "action" }?.1 ?? "?"
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            observe(provider.name, action, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        // One deadline for the whole call: when it passes, the call is cancelled (its connection
        // closed) and counts as a timeout, whatever stage it was in.
        let (status, bytes): (Int, ByteBuffer)
        do {
            (status, bytes) = try await withDeadline(.nanoseconds(timeout.nanoseconds)) { try await exchange(provider, body: body) }
        } catch is DeadlineExceeded {
            throw UpstreamCallError.timeout
        }
        let text = String(buffer: bytes)
        let snippet = String(text.prefix(300))
        guard (200..<300).contains(status) else { throw UpstreamCallError.httpStatus(status, snippet) }
        guard let json = LooseJSON.parse(bytes.readableBytesView) else { throw UpstreamCallError.notJSON(snippet) }
        return (json, text)
    }

    /// Checks the address, then makes the request on a client of its own whose only route is
    /// the checked address (`dnsOverride`: the URL's host stays in `Host`, SNI and the
    /// certificate check). AsyncHTTPClient has no resolver hook, and a shared client would look
    /// the name up again when connecting, after the check (DNS rebinding). A refused connection
    /// fails at once (no connection retries), and redirects come back as they are.
    private func exchange(_ provider: Provider, body: String) async throws -> (Int, ByteBuffer) {
        let target = try await ProviderAddressPolicy.check(url: provider.url, allowHTTP: provider.allowHTTP,
                                                           allowPrivateAddress: provider.allowPrivateAddress, resolver: resolver)
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: timeout, read: timeout))
        configuration.connectionPool.retryConnectionEstablishment = false
        if IPAddress(target.host) == nil { configuration.dnsOverride = [target.host: target.address.description] }
        let client = HTTPClient(eventLoopGroup: group, configuration: configuration)
        var request = HTTPClientRequest(url: provider.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "SMMPanel")
        request.body = .bytes(ByteBuffer(string: body))
        let deadline = NIODeadline.now() + timeout
        do {
            let result: (Int, ByteBuffer) = try await withTaskCancellationHandler {
                let response = try await client.execute(request, deadline: deadline)
                let status = Int(response.status.code)
                // Never read, never shown: a redirect's body is whatever its target serves.
                if (300..<400).contains(status) { throw UpstreamCallError.redirected(status) }
                do {
                    return (status, try await response.body.collect(upTo: Self.maxAnswerBytes))
                } catch is NIOTooManyBytesError {
                    throw UpstreamCallError.tooLarge
                }
            } onCancel: {
                // The deadline passed: close the connection under whatever stage the call is in.
                client.shutdown { _ in }
            }
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            if let known = error as? UpstreamCallError { throw known }
            throw Self.classify(error)
        }
    }

    /// Sorts transport failures into "never reached the provider" and "may have".
    static func classify(_ error: any Error) -> UpstreamCallError {
        if let error = error as? HTTPClientError {
            if [.connectTimeout, .invalidURL, .emptyHost, .emptyScheme].contains(error) {
                return .unreachable(String(describing: error))
            }
            if [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) { return .timeout }
        }
        if error is NIOConnectionError { return .unreachable(String(describing: error)) }
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED || io.errnoCode == EHOSTUNREACH || io.errnoCode == ENETUNREACH {
            return .unreachable(String(describing: io))
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return .unreachable("connect timeout") }
        return .timeout
    }

    // MARK: Actions

    public func balance(_ provider: Provider) async throws -> (balance: String, currency: String) {
        let (json, raw) = try await call(provider, [("action", "balance")])
        if let message = json.errorMessage { throw UpstreamCallError.refused(message) }
        guard let balance = json["balance"]?.text else { throw UpstreamCallError.unexpected(String(raw.prefix(300))) }
        return (balance, json["currency"]?.text ?? "")
    }

    /// The provider's catalog. Entries that cannot be read (no id, no rate) are skipped.
    public func services(_ provider: Provider) async throws -> [UpstreamCatalogEntry] {
        let (json, raw) = try await call(provider, [("action", "services")])
        if let message = json.errorMessage { throw UpstreamCallError.refused(message) }
        let items: [LooseJSON]
        switch json {
        case .array(let array): items = array
        case .object(let object) where object["services"] != nil:
            guard case .array(let array) = object["services"]! else { throw UpstreamCallError.unexpected(String(raw.prefix(300))) }
            items = array
        case .object(let object): items = object.keys.sorted().map { object[$0]! }
        default: throw UpstreamCallError.unexpected(String(raw.prefix(300)))
        }
        return items.compactMap { item in
            guard let id = item["service"]?.text?.trimmingSpaces(), !id.isEmpty,
                  let rate = item["rate"]?.text.flatMap(UpstreamDialect.money) else { return nil }
            return UpstreamCatalogEntry(
                id: id, name: item["name"]?.text ?? "Service \(id)", typeLabel: item["type"]?.text ?? "Default",
                category: item["category"]?.text ?? "Other", rate: rate,
                min: item["min"]?.text.flatMap(UpstreamDialect.integer) ?? 1,
                max: item["max"]?.text.flatMap(UpstreamDialect.integer) ?? 1,
                refill: item["refill"]?.flag ?? false, cancel: item["cancel"]?.flag ?? false,
                dripFeed: item["dripfeed"]?.flag ?? false, description: item["desc"]?.text ?? item["description"]?.text ?? "",
                statesRefill: item["refill"] != nil, statesCancel: item["cancel"] != nil)
        }
    }

    /// `add`; reads `{"order":1}`, `{"order":"1"}`, `{"status":"success","order":1}` and errors.
    public func add(_ provider: Provider, fields: [(String, String)]) async throws -> (AddAnswer, String) {
        let (json, raw) = try await call(provider, [("action", "add")] + fields)
        if let message = json.errorMessage { return (.error(message), raw) }
        if let order = json["order"]?.text?.trimmingSpaces(), !order.isEmpty { return (.order(order), raw) }
        if case .object(let inner) = json["data"] ?? .null, let order = inner["order"]?.text ?? inner["order_id"]?.text {
            return (.order(order), raw)
        }
        throw UpstreamCallError.unexpected(String(raw.prefix(300)))
    }

    /// Multi-status for up to 100 upstream ids; every id asked for gets a report (a missing
    /// one reads as an error).
    public func status(_ provider: Provider, ids: [String]) async throws -> ([String: UpstreamReport], String) {
        precondition(ids.count <= 100, "the protocol allows 100 ids per call")
        let (json, raw) = try await call(provider, [("action", "status"), ("orders", ids.joined(separator: ","))])
        if ids.count > 0, json["status"] != nil, json["error"] == nil, ids.count == 1 {
            // Some panels answer a one-id multi-status with the single shape.
            return ([ids[0]: report(from: json, codes: provider.statusCodes)], raw)
        }
        if let message = json.errorMessage, case .object(let object) = json, !ids.contains(where: { object[$0] != nil }) {
            throw UpstreamCallError.refused(message)
        }
        var entries: [String: LooseJSON] = [:]
        switch json {
        case .object(let object):
            entries = object
        case .array(let array):
            for item in array { if let id = item["order"]?.text ?? item["id"]?.text { entries[id] = item } }
        default:
            throw UpstreamCallError.unexpected(String(raw.prefix(300)))
        }
        var reports: [String: UpstreamReport] = [:]
        for id in ids {
            guard let entry = entries[id] else {
                reports[id] = UpstreamReport(.error("no report for this id"))
                continue
            }
            var read = report(from: entry, codes: provider.statusCodes)
            // What the provider said about this order alone (its status answer), for the operator.
            read.raw = entry.jsonText
            reports[id] = read
        }
        return (reports, raw)
    }

    func report(from item: LooseJSON, codes: [Int: OrderStatus]) -> UpstreamReport {
        // An entry that is not an object (`{"9999":"Incorrect order ID"}`) is that order's error.
        guard case .object = item else { return UpstreamReport(.error(item.text ?? "an answer for this order that is not an object")) }
        if let message = item.errorMessage { return UpstreamReport(.error(message)) }
        let label = item["status"]?.text ?? ""
        var children: [String] = []
        if case .array(let ids) = item["orders"] ?? .null { children = ids.compactMap(\.text) }
        return UpstreamReport(.status(UpstreamDialect.status(label, codes: codes), label: label,
                                      startCount: item["start_count"]?.text.flatMap(UpstreamDialect.integer),
                                      remains: item["remains"]?.text.flatMap(UpstreamDialect.integer),
                                      charge: item["charge"]?.text.flatMap(UpstreamDialect.cost),
                                      children: children))
    }

    /// Multi-cancel: `[{"order":9,"cancel":1},{"order":2,"cancel":{"error":"…"}}]`.
    public func cancel(_ provider: Provider, ids: [String]) async throws -> [String: CancelOutcome] {
        let (json, raw) = try await call(provider, [("action", "cancel"), ("orders", ids.joined(separator: ","))])
        return try perItem(json, raw: raw, ids: ids, idKey: "order", valueKey: "cancel", isValue: Self.isAcceptance).mapValues { answer in
            switch answer {
            case .value: .accepted
            case .error(let message): UpstreamDialect.classify(error: message) == .retryLater ? .retry(message) : .refused(message)
            }
        }
    }

    /// Multi-refill: `[{"order":1,"refill":1},{"order":3,"refill":{"error":"…"}}]`.
    public func refill(_ provider: Provider, ids: [String]) async throws -> [String: ItemAnswer] {
        let (json, raw) = try await call(provider, [("action", "refill"), ("orders", ids.joined(separator: ","))])
        return try perItem(json, raw: raw, ids: ids, idKey: "order", valueKey: "refill", isValue: Self.isID)
    }

    /// Multi refill status: `[{"refill":1,"status":"Completed"},{"refill":3,"status":{"error":"…"}}]`.
    public func refillStatus(_ provider: Provider, ids: [String]) async throws -> [String: ItemAnswer] {
        let (json, raw) = try await call(provider, [("action", "refill_status"), ("refills", ids.joined(separator: ","))])
        return try perItem(json, raw: raw, ids: ids, idKey: "refill", valueKey: "status", isValue: { !$0.isEmpty })
    }

    /// A cancel's answer: `1`, `"1"`, `true`, `"ok"`…
    private static func isAcceptance(_ text: String) -> Bool {
        UpstreamDialect.integer(text) != nil || ["true", "yes", "ok", "success"].contains(text.trimmingSpaces().lowercased())
    }

    /// A refill id: one token, never a sentence.
    private static func isID(_ text: String) -> Bool {
        let token = text.trimmingSpaces()
        return (1...100).contains(token.count) && !token.contains(where: \.isWhitespace)
    }

    /// Reads the array shape of the multi actions (and the object-keyed shape some panels use,
    /// where an id's entry may be its bare value). A text `isValue` refuses
    /// (`{"9999":"Incorrect order ID"}`) is that id's error.
    private func perItem(_ json: LooseJSON, raw: String, ids: [String], idKey: String, valueKey: String,
                         isValue: (String) -> Bool) throws -> [String: ItemAnswer] {
        var answers: [String: ItemAnswer] = [:]
        func read(_ value: LooseJSON?) -> ItemAnswer {
            guard let value else { return .error("no answer for this id") }
            if let message = value.errorMessage { return .error(message) }
            if case .string(let text) = value, !isValue(text) { return .error(text) }
            return value.text.map(ItemAnswer.value) ?? .error("unreadable answer")
        }
        switch json {
        case .array(let items):
            for item in items { if let id = item[idKey]?.text { answers[id] = read(item[valueKey]) } }
        case .object(let object):
            if let message = json.errorMessage, !ids.contains(where: { object[$0] != nil }) { throw UpstreamCallError.refused(message) }
            if ids.count == 1, let value = object[valueKey] { answers[ids[0]] = read(value) } else {
                for (id, item) in object { answers[id] = read(item[valueKey] ?? item) }
            }
        default:
            throw UpstreamCallError.unexpected(String(raw.prefix(300)))
        }
        for id in ids where answers[id] == nil { answers[id] = .error("no answer for this id") }
        return answers
    }
}

/// `application/x-www-form-urlencoded`, as PHP's `http_build_query` writes it.
enum FormEncoding {
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(UnicodeScalar(byte))
            } else if byte == 0x20 {
                out += "+"
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
