import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SMMAPI
import SMMHTTP
import SMMDomain
import SMMStorage
import Synchronization
import Testing

/// Thousands of generated requests — random and malformed fields, wrong types, huge values,
/// unicode, SQL and HTML injection, duplicate and missing fields, every action, GET, form and
/// JSON — at a live server. No answer is a 5xx, every answer is JSON, a refused request changes
/// nothing, and the books balance afterwards.
///
/// `SMMPANEL_FUZZ_SEED` replays a run (the seed is printed); `SMMPANEL_FUZZ_REQUESTS` changes
/// the count (default 10,000).
@Suite struct FuzzTests {
    static let clients = 8

    @Test(arguments: TestEngine.available)
    func generatedRequestsBreakNothing(engine: TestEngine) async throws {
        let (seed, total) = FuzzRun.settings("SMMPANEL_FUZZ", defaultCount: 10_000, label: "FuzzTests[\(engine)]")
        try await TestPanel.with(engine) { panel in
            var serviceIDs: [ServiceID] = []
            for (index, type) in ServiceType.allCases.enumerated() {
                let service = try await panel.service(type, rate: index % 3 == 0 ? "0.5" : "12.34567", min: 1, max: 5000,
                                                      refill: index % 2 == 0, cancel: index % 3 != 1, dripFeed: type.supportsDripFeed)
                serviceIDs.append(service.id)
            }
            var customers: [(User, String)] = []
            for client in 0..<Self.clients { customers.append(try await panel.customer("fuzz\(client)", balance: "300")) }
            // Some orders move on, so refill and cancel meet every status.
            let tally = Tally()
            let customerList = customers
            let services = serviceIDs.map(\.rawValue)
            let started = ContinuousClock.now
            try await panel.live({ $0.throttle = .unlimited }) { api in
                let port = api.port
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for client in 0..<Self.clients {
                        group.addTask {
                            try await withExtraClient(port: port) { connection in
                                var generator = RequestGenerator(seed: RequestGenerator.clientSeed(seed, client: client),
                                                                 key: customerList[client].1, services: services)
                                let share = total / Self.clients + (client < total % Self.clients ? 1 : 0)
                                let userID = customerList[client].0.id
                                // Only this client (and its own operator steps) touches its customer,
                                // so the state after one request is the state before the next.
                                var before = try await panel.footprint(of: userID)
                                for index in 0..<share {
                                    let request = generator.next()
                                    let answer = try await request.send(connection)
                                    let after = try await panel.footprint(of: userID)
                                    tally.check(request, answer, before: before, after: after, userID: userID, client: client, index: index)
                                    before = after
                                    if index % 97 == 0 {
                                        try await Self.moveOrders(panel, userID: userID, step: index)
                                        before = try await panel.footprint(of: userID)
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let report = tally.report
            print("FuzzTests[\(engine)]: \(report.sent) requests in \(ContinuousClock.now - started); statuses \(report.statuses) (\(report.oversized) oversized bodies); "
                  + "\(report.accepted) accepted, \(report.refused) refused")
            #expect(report.sent == total)
            #expect(report.problems.isEmpty, "seed \(seed): \(report.problems.prefix(20).joined(separator: "\n"))")
            // Enough of each kind got through to mean something.
            #expect(report.accepted > total / 50 && report.refused > total / 2)
            #expect(Set(report.actions.keys).isSuperset(of: APIAction.allCases.map(\.rawValue)))
            try await panel.expectLedgerClean()
            for (user, _) in customers {
                let orders = try await panel.store.listOrders(.init(userID: user.id, limit: 1_000_000))
                #expect(Set(orders.map(\.id.rawValue)) == report.placed[user.id.rawValue] ?? [], "orders of \(user.username) differ from the acknowledged adds")
            }
        }
    }

    /// The operator's side, between requests: some orders complete, some go partial, so that
    /// refill and cancel see every state. Refunds change balances; the footprint is read
    /// around each request, so this never blurs the attribution.
    static func moveOrders(_ panel: TestPanel, userID: UserID, step: Int) async throws {
        for order in try await panel.store.listOrders(.init(userID: userID, status: .pending, limit: 3)) where order.runs == nil {
            let change = step % 2 == 0 ? OrderChange(status: .completed)
                : OrderChange(status: .partial, remains: max(1, order.quantity / 2))
            _ = try? await panel.store.updateOrder(id: order.id, change)
        }
    }

    /// What the run saw, shared by the clients.
    final class Tally: Sendable {
        struct Report: Sendable {
            var sent = 0
            var oversized = 0
            var accepted = 0
            var refused = 0
            var statuses: [Int: Int] = [:]
            var actions: [String: Int] = [:]
            /// Order ids acknowledged by `add`, per customer.
            var placed: [Int64: Set<Int64>] = [:]
            var problems: [String] = []
        }

        private let state = Mutex(Report())
        var report: Report { state.withLock { $0 } }

        func check(_ request: FuzzRequest, _ answer: (status: Int, body: String), before: Footprint, after: Footprint,
                   userID: UserID, client: Int, index: Int) {
            var problems: [String] = []
            let label = "client \(client) request \(index) (\(request.summary))"
            if answer.status >= 500 { problems.append("\(label): HTTP \(answer.status) \(answer.body.prefix(200))") }
            if ![200, 405, 413, 414].contains(answer.status) { problems.append("\(label): unexpected HTTP \(answer.status)") }
            let json = parseJSON(answer.body)
            if json == nil { problems.append("\(label): not JSON: \(answer.body.prefix(200))") }
            let verdict = Self.verdict(json, action: request.action)
            if !verdict.accepted, before != after {
                problems.append("\(label): refused (\(answer.body.prefix(120))) but changed \(before) → \(after)")
            }
            // An acknowledged add created exactly one order, unless it repeated a request_id
            // (which answers the first order again and creates nothing).
            if request.action == "add", verdict.orderID != nil, after.orders != before.orders + 1,
               !(request.hasRequestID && after == before) {
                problems.append("\(label): add acknowledged but orders went \(before.orders) → \(after.orders)")
            }
            if ["services", "status", "refill_status", "balance"].contains(request.action), before != after {
                problems.append("\(label): read-only action changed \(before) → \(after)")
            }
            state.withLock { report in
                report.sent += 1
                report.statuses[answer.status, default: 0] += 1
                if request.body.count > APIRequestLimits.maxBodySize { report.oversized += 1 }
                report.actions[request.action, default: 0] += 1
                if verdict.accepted { report.accepted += 1 } else { report.refused += 1 }
                if let id = verdict.orderID, request.action == "add" { report.placed[userID.rawValue, default: []].insert(Int64(id)) }
                report.problems += problems
            }
        }

        /// Whether an answer says something was done: an order, a refill, a cancel; a read
        /// that answered data. Anything else is a refusal and must have changed nothing.
        static func verdict(_ json: Any?, action: String) -> (accepted: Bool, orderID: Int?) {
            switch json {
            case let object as [String: Any]:
                if object["error"] != nil { return (false, nil) }
                if let id = object["order"] as? Int { return (true, id) }
                if action == "refill", object["refill"] != nil { return (true, nil) }
                return (["services", "status", "refill_status", "balance"].contains(action), nil)
            case let array as [Any]:
                // Multi refill and cancel: accepted if any entry went through.
                let done = array.contains { entry in
                    guard let entry = entry as? [String: Any] else { return false }
                    return (entry["cancel"] as? Int) == 1 || entry["refill"] is Int
                }
                return (done || action == "services" || action == "refill_status", nil)
            default:
                return (false, nil)
            }
        }
    }
}

/// A fuzz run's seed and request count, from `<PREFIX>_SEED` and `<PREFIX>_REQUESTS` when set;
/// printed, so that any run can be replayed.
enum FuzzRun {
    static func settings(_ prefix: String, defaultCount: Int, label: String) -> (seed: UInt64, count: Int) {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment[prefix + "_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        let count = environment[prefix + "_REQUESTS"].flatMap(Int.init) ?? defaultCount
        print("\(label): seed \(seed), \(count) requests (replay with \(prefix)_SEED=\(seed))")
        return (seed, count)
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One generated request, ready to send.
struct FuzzRequest: Sendable {
    enum Transport: String, Sendable { case form, query, json, rawBody, otherMethod }
    var transport: Transport
    /// The action as the generator meant it (what the server's answer is judged against).
    var action: String
    var method: HTTPRequest.Method = .post
    var uri: String = "/api/v2"
    var contentType: String?
    var body: [UInt8] = []
    var hasRequestID = false

    var summary: String { "\(transport.rawValue) \(action), \(body.count) body bytes, uri \(uri.prefix(80))" }

    func send(_ client: TestClient) async throws -> (status: Int, body: String) {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        let response = try await client.execute(TestClient.Request(uri, method: method, headers: headers,
                                                                   body: body.isEmpty ? nil : ByteBuffer(bytes: body)))
        return (Int(response.status.code), response.body.map { String(buffer: $0) } ?? "")
    }
}

/// Makes requests: mostly well-formed calls with one or more hostile or broken fields, some
/// outright garbage.
struct RequestGenerator {
    var random: SeededGenerator
    let key: String
    let services: [Int64]

    /// Each client's own stream. Seeds a fixed step apart would give SplitMix streams that are
    /// the same sequence shifted (all clients sending the same requests): hash instead.
    static func clientSeed(_ seed: UInt64, client: Int) -> UInt64 {
        var mixer = SeededGenerator(state: seed ^ (UInt64(client) &* 0xD1B5_4A32_D192_ED03))
        return mixer.next()
    }

    init(seed: UInt64, key: String, services: [Int64]) {
        random = SeededGenerator(state: seed)
        self.key = key
        self.services = services
    }

    static let actions = APIAction.allCases.map(\.rawValue)
    static let hostile: [String] = [
        "' OR '1'='1", "1; DROP TABLE orders; --", "1 UNION SELECT key_hash FROM api_keys", "\") OR 1=1 --", "%27%20OR%201=1",
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://x}",
        "Ελληνικά", "日本語のテキスト", "🔥🚀💸", "\u{202E}evil", "a\u{0000}b", "\u{FEFF}", "ＡＢＣ１２３", "e\u{301}", "\r\n\r\n",
        "", " ", "0", "-1", "-0", "1.5", "1e9", "0x10", "9223372036854775807", "9223372036854775808", "99999999999999999999999",
        "NaN", "null", "true", "[]", "{}", "1,2,3", ",,,", "1,,2, 3 ,x", "%", "%zz", "+", "&", "=", "\\", "/",
        "https://instagram.com/p/abc", "http://", "ftp://x", "https://a.test/" + String(repeating: "a", count: 3000),
    ]
    static let fieldNames = ["key", "action", "service", "link", "quantity", "runs", "interval", "order", "orders", "order_id", "id",
                             "refill", "refills", "comments", "usernames", "hashtags", "hashtag", "username", "media", "answer_number",
                             "groups", "keywords", "country", "device", "type_of_traffic", "google_keyword", "referring_url", "min",
                             "max", "posts", "old_posts", "delay", "expiry", "request_id", "currency", "user_id", "balance"]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    /// A value for a field: plausible most of the time, hostile or absurd otherwise.
    mutating func value(for field: String) -> String {
        if chance(30) { return pick(Self.hostile) }
        if chance(3) { return String(repeating: pick(["x", "é", "1", "\n", "🔥"]), count: Int.random(in: 1_000...70_000, using: &random)) }
        switch field {
        case "service": return String(chance(90) ? pick(services) : Int64.random(in: -5...500, using: &random))
        case "quantity", "runs", "interval", "min", "max", "posts", "old_posts", "delay", "answer_number", "device", "type_of_traffic":
            return String(Int.random(in: chance(80) ? 1...300 : -10...100_000, using: &random))
        case "order", "order_id", "id", "refill": return String(Int.random(in: 1...400, using: &random))
        case "orders", "refills":
            return (0..<Int.random(in: 1...(chance(5) ? 130 : 6), using: &random)).map { _ in String(Int.random(in: 1...400, using: &random)) }
                .joined(separator: pick([",", " , ", ",,"]))
        case "link", "referring_url", "media": return "https://fuzz.test/\(UInt32.random(in: 0...UInt32.max, using: &random))"
        case "comments", "usernames", "hashtags", "keywords", "groups":
            return (0..<Int.random(in: 1...(chance(3) ? 12_000 : 8), using: &random)).map { "item\($0)" }.joined(separator: pick(["\n", "\r\n"]))
        case "expiry": return pick(["31/12/2030", "29/02/2023", "1/1/1970", "12/31/2030"])
        case "key": return key
        case "request_id": return "r\(Int.random(in: 0...50, using: &random))"
        default: return "v\(Int.random(in: 0...1000, using: &random))"
        }
    }

    mutating func next() -> FuzzRequest {
        let action = chance(93) ? pick(Self.actions) : pick(["", "ADD", "Status", "delete", "add ", "refill_statuses", "services\u{0}", "🔥"])
        var fields: [(String, String)] = []
        // The key: mostly the customer's own, sometimes missing, wrong or hostile.
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<85: fields.append(("key", key))
        case 85..<90: break
        case 90..<95: fields.append(("key", pick(Self.hostile)))
        default: fields.append(("key", String(key.reversed())))
        }
        if chance(97) { fields.append(("action", action)) }
        // A random handful of fields, any of which an action might read.
        for _ in 0..<Int.random(in: 0...9, using: &random) {
            let name = chance(90) ? pick(Self.fieldNames) : pick(["", "orders[]", "a[b]", "key[]", "\u{0}", "💥", String(repeating: "n", count: 300)])
            fields.append((name, value(for: name)))
        }
        // Duplicates: the same name twice with different values.
        if chance(10), let first = fields.randomElement(using: &random) { fields.append((first.0, value(for: first.0))) }
        if chance(10) { fields.shuffle(using: &random) }
        let hasRequestID = fields.contains { $0.0 == "request_id" }
        let meant = action.trimmingCharacters(in: .whitespaces).lowercased()
        var request = FuzzRequest(transport: .form, action: Self.actions.contains(meant) && fields.contains { $0.0 == "action" } ? meant : "none",
                                  hasRequestID: hasRequestID)
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<40:
            request.contentType = pick(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8", "text/plain"])
            request.body = Array(LiveAPI.formEncode(fields).utf8)
        case 40..<60:
            request.transport = .query
            request.method = .get
            request.uri = "/api/v2?" + LiveAPI.formEncode(fields.filter { $0.1.utf8.count < 8_000 })
        case 60..<90:
            request.transport = .json
            request.contentType = pick(["application/json", "application/json; charset=utf-8", "text/json"])
            request.body = Array(json(fields).utf8)
        case 90..<97:
            request.transport = .rawBody
            request.contentType = pick(["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
            request.body = garbage()
        default:
            request.transport = .otherMethod
            request.method = pick([.put, .delete, .patch, .options])
            request.body = Array(LiveAPI.formEncode(fields).utf8)
        }
        if chance(1) { request.body += [UInt8](repeating: UInt8(ascii: "a"), count: APIRequestLimits.maxBodySize) }
        return request
    }

    /// A JSON object of the fields, with values of every JSON type (right and wrong).
    mutating func json(_ fields: [(String, String)]) -> String {
        func quoted(_ text: String) -> String {
            String(data: try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), encoding: .utf8)!
        }
        let members = fields.map { name, value -> String in
            let rendered: String
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<70: rendered = quoted(value)
            case 70..<78: rendered = Int64(value).map(String.init) ?? quoted(value)
            case 78..<84: rendered = "[\(quoted(value)), \(Int.random(in: 1...9, using: &random))]"
            case 84..<88: rendered = pick(["null", "true", "false", "1.5e300", "-0", "{}", "{\"a\":1}", "[[1]]", "[]"])
            case 88..<92: rendered = "[" + value.split(separator: ",").map { quoted(String($0)) }.joined(separator: ",") + "]"
            default: rendered = "\(Int.random(in: -1000...1000, using: &random))"
            }
            return "\(quoted(name)):\(rendered)"
        }
        var text = "{" + members.joined(separator: ",") + "}"
        if chance(5) { text.removeLast(Int.random(in: 1...min(5, text.count), using: &random)) }
        if chance(3) { text = "[" + text + "]" }
        return text
    }

    mutating func garbage() -> [UInt8] {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return (0..<Int.random(in: 1...2000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 1: return Array(String(repeating: "[", count: Int.random(in: 1...5000, using: &random)).utf8)
        case 2: return Array("{\"key\":\"\(key)\",\"action\":\"add\",\"link\":\"\\ud800\",\"quantity\":1e999}".utf8)
        default: return Array("key=\(key)&action=add&service=%FF%FE&link=%C0%AF&quantity=%00".utf8)
        }
    }
}
