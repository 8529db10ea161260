import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SMMDomain
import Synchronization

/// JSON as a fake provider writes it: each number is chosen to go out as a JSON number or as a
/// string, the way real panels differ (contract §7).
indirect enum FakeJSON: Sendable {
    case string(String)
    /// A JSON number, written as this text (`157`, `-20`, `0.27819`).
    case number(String)
    case bool(Bool)
    case null
    case array([FakeJSON])
    case object([(String, FakeJSON)])

    var text: String {
        switch self {
        case .string(let value): return JSONString.quoted(value)
        case .number(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.map { JSONString.quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }
}

/// An upstream panel inside the test process: API v2 over form POSTs on a loopback port, with
/// programmable faults and every dialect quirk of contract §7. All its state sits behind one
/// `Mutex`, so request handlers (on NIO threads) and the test read and change it safely.
final class FakeUpstream: Sendable {
    enum Action: String, CaseIterable, Sendable {
        case services, add, status, cancel, refill
        case refillStatus = "refill_status"
        case balance
    }

    /// What goes wrong with one call.
    enum Fault: Sendable {
        /// An HTTP error status with a short plain body (a 500 from the panel, a 503…).
        case http(Int)
        /// A proxy's HTML error page, with this status (200 or 502 in practice).
        case html(status: Int)
        /// A 200 whose body is not JSON at all.
        case notJSON
        /// No answer before the client gives up (the answer comes `timeoutDelay` later).
        case timeout
        /// A late answer that still arrives in time (`slowDelay`).
        case slow
        /// An `{"error": …}` answer.
        case error(String)
        /// A `{"status":"error","message":…}` answer, another common shape.
        case statusError(String)
        /// A 200 with exactly this body (a real panel's racing `add` answered a lone "\n").
        case body(String)
        /// A redirect to `location`, with a body the client must never show.
        case redirect(status: Int, location: String)
        /// The head at once, then the answer one byte every `every`, padded with spaces so it
        /// lasts `lasting` (a provider that keeps a connection alive without answering).
        case dribble(every: Duration, lasting: Duration)
    }

    /// How `add` reports the new order's id.
    enum OrderIDStyle: Sendable {
        case number, string, successWrapped
    }

    struct PlannedFault: Sendable {
        var fault: Fault
        /// The action is carried out first (the order is created, the cancel applied), and only
        /// the answer is lost: the ambiguous case.
        var afterActing: Bool

        var isSlow: Bool {
            switch fault {
            case .slow, .dribble: return true
            default: return false
            }
        }
    }

    /// An order the fake provider holds, with what its `status` answers.
    struct Order: Sendable {
        var id: Int
        var requestID: String?
        /// The `add` fields as received (without key and action).
        var fields: [String: String]
        var status: FakeJSON = .string("Pending")
        var startCount: FakeJSON = .string("0")
        var remains: FakeJSON
        var charge: FakeJSON = .string("0.00000")
        /// Extra fields of the status entry (`runs`, `orders` of a drip-feed parent).
        var extra: [(String, FakeJSON)] = []
        /// When set, `status` answers this error for the id.
        var error: String?
        var cancels = 0
    }

    struct Refill: Sendable {
        var id: Int
        var orderID: Int
        var status: FakeJSON = .string("Pending")
    }

    struct State: Sendable {
        var apiKey = "upstream-key"
        var catalog: [FakeJSON] = []
        var orders: [Int: Order] = [:]
        var nextOrderID = 7001
        var honorsRequestID = false
        var orderIDStyle = OrderIDStyle.number
        var faults: [Action: [PlannedFault]] = [:]
        var calls: [Action: Int] = [:]
        /// The number of ids of each multi-status call, in order.
        var statusCallSizes: [Int] = []
        /// The ids of each multi-status call, in order.
        var statusCallIDs: [[String]] = []
        var balance: FakeJSON = .string("100.84292")
        /// Per upstream order id, the error its cancel answers (default: accepted).
        var cancelRefusals: [Int: String] = [:]
        /// Whether an accepted cancel turns the order Canceled at once (most panels do).
        var cancelCancels = true
        var refillRefusals: [Int: String] = [:]
        var refills: [Int: Refill] = [:]
        var nextRefillID = 901
        /// Every request that reached the server, whatever its path or method.
        var received: [ReceivedRequest] = []
        /// `add` calls being answered now, and the most there ever were at once.
        var addsInFlight = 0
        var maxAddsInFlight = 0
        /// How a wrong key is refused (a widely deployed PHP panel words it its own way).
        var keyRefusal = "Invalid API key"
        /// `add` without `quantity` is refused (`Quantity is required`), packages included.
        var requiresQuantity = false
        /// Actions answered as a whole with `{"error":"This action is Invalid"}`.
        var unsupported: Set<Action> = []
        /// Multi-status errors as bare strings (`{"9999":"Incorrect order ID"}`).
        var bareStatusErrors = false
    }

    struct ReceivedRequest: Sendable {
        var method: String
        var path: String
        var body: String
    }

    let state: Mutex<State>
    /// How late a `.timeout` answer comes: longer than the client's timeout in the tests.
    let timeoutDelay: Duration
    let slowDelay: Duration

    init(honorsRequestID: Bool = false, timeoutDelay: Duration = .milliseconds(3000), slowDelay: Duration = .milliseconds(300)) {
        var initial = State()
        initial.honorsRequestID = honorsRequestID
        state = Mutex(initial)
        self.timeoutDelay = timeoutDelay
        self.slowDelay = slowDelay
    }

    // MARK: Programming it

    func configure(_ body: (inout State) -> Void) { state.withLock { body(&$0) } }

    /// The next call of `action` fails so (faults queue up in order).
    func fail(_ action: Action, _ fault: Fault, afterActing: Bool = false) {
        state.withLock { $0.faults[action, default: []].append(PlannedFault(fault: fault, afterActing: afterActing)) }
    }

    /// A catalog entry in the documented shape (`service` a number, `rate`/`min`/`max` strings)
    /// unless told otherwise.
    func addService(_ id: Int, name: String = "Upstream service", type: String = "Default", category: String = "Upstream",
                    rate: FakeJSON, min: FakeJSON = .string("10"), max: FakeJSON = .string("100000"),
                    refill: Bool = true, cancel: Bool = true, dripFeed: Bool = false, id idJSON: FakeJSON? = nil) {
        let entry = FakeJSON.object([
            ("service", idJSON ?? .number(String(id))), ("name", .string(name)), ("type", .string(type)),
            ("category", .string(category)), ("rate", rate), ("min", min), ("max", max),
            ("refill", .bool(refill)), ("cancel", .bool(cancel)), ("dripfeed", .bool(dripFeed)), ("desc", .string("desc of \(id)")),
        ])
        state.withLock { $0.catalog.append(entry) }
    }

    func setCatalog(_ entries: [FakeJSON]) { state.withLock { $0.catalog = entries } }

    /// Changes what `status` answers for an upstream order.
    func update(_ id: Int, _ body: (inout Order) -> Void) {
        state.withLock { state in
            guard var order = state.orders[id] else { preconditionFailure("the fake provider has no order \(id)") }
            body(&order)
            state.orders[id] = order
        }
    }

    /// Sets the status fields of an upstream order; nil leaves a field as it is.
    func report(_ id: Int, status: FakeJSON? = nil, startCount: FakeJSON? = nil, remains: FakeJSON? = nil, charge: FakeJSON? = nil) {
        update(id) { order in
            if let status { order.status = status }
            if let startCount { order.startCount = startCount }
            if let remains { order.remains = remains }
            if let charge { order.charge = charge }
        }
    }

    /// Creates an order at the provider as if someone placed it there directly (for example
    /// drip-feed runs); returns its id.
    func createOrder(fields: [String: String] = [:]) -> Int {
        state.withLock { state in
            let id = state.nextOrderID
            state.nextOrderID += 1
            state.orders[id] = Order(id: id, fields: fields, remains: .string(fields["quantity"] ?? "0"))
            return id
        }
    }

    // MARK: Reading it

    var orders: [Order] { state.withLock { $0.orders.values.sorted { $0.id < $1.id } } }
    func order(_ id: Int) -> Order? { state.withLock { $0.orders[id] } }
    func calls(_ action: Action) -> Int { state.withLock { $0.calls[action] ?? 0 } }
    var statusCallSizes: [Int] { state.withLock { $0.statusCallSizes } }
    var statusCallIDs: [[String]] { state.withLock { $0.statusCallIDs } }
    var refills: [Refill] { state.withLock { $0.refills.values.sorted { $0.id < $1.id } } }
    var pendingFaults: Int { state.withLock { $0.faults.values.map(\.count).reduce(0, +) } }
    var received: [ReceivedRequest] { state.withLock { $0.received } }
    var maxAddsInFlight: Int { state.withLock { $0.maxAddsInFlight } }

    // MARK: Serving

    /// Runs the fake on 127.0.0.1 (a free port) for the time of `body`, which gets its API URL;
    /// stops it gracefully afterwards, whatever `body` did.
    func with<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        router.add(middleware: RecordingMiddleware(fake: self))
        router.post("/api/v2") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 4 * 1024 * 1024)
            return await self.respond(to: String(buffer: bytes))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "FakeUpstream"),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: quietLogger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: quietLogger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result: Result<T, any Error>
            if port == 0 {
                result = .failure(FakeUpstreamError(message: "the fake provider did not start"))
            } else {
                do { result = .success(try await body("http://127.0.0.1:\(port)/api/v2")) } catch { result = .failure(error) }
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    func respond(to body: String) async -> Response {
        let fields = Self.decodeForm(body)
        let action = Action(rawValue: fields["action"] ?? "")
        if action == .add {
            state.withLock { state in
                state.addsInFlight += 1
                state.maxAddsInFlight = max(state.maxAddsInFlight, state.addsInFlight)
            }
        }
        defer { if action == .add { state.withLock { $0.addsInFlight -= 1 } } }
        let planned: PlannedFault? = state.withLock { state in
            guard let action else { return nil }
            state.calls[action, default: 0] += 1
            if action == .status, let multi = fields["orders"] {
                // Recorded even when the call then fails: the ids were asked for.
                let asked = multi.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                state.statusCallSizes.append(asked.count)
                state.statusCallIDs.append(asked)
            }
            guard var queue = state.faults[action], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.faults[action] = queue
            return first
        }
        // A slow answer is still a real one: the action is carried out.
        if let planned, !planned.afterActing, !planned.isSlow {
            return await answer(planned.fault, otherwise: .object([("error", .string("the request was not processed"))]))
        }
        let normal: FakeJSON
        if fields["key"] != state.withLock({ $0.apiKey }) {
            normal = .object([("error", .string(state.withLock { $0.keyRefusal }))])
        } else if let action, state.withLock({ $0.unsupported.contains(action) }) {
            normal = .object([("error", .string("This action is Invalid"))])
        } else if action == .add, fields["quantity"] == nil, state.withLock({ $0.requiresQuantity }) {
            normal = .object([("error", .string("Quantity is required"))])
        } else if let action {
            normal = state.withLock { act(action, fields, &$0) }
        } else {
            normal = .object([("error", .string("Incorrect request"))])
        }
        if let planned { return await answer(planned.fault, otherwise: normal) }
        return Self.json(normal)
    }

    private func answer(_ fault: Fault, otherwise normal: FakeJSON) async -> Response {
        switch fault {
        case .http(let code):
            return Response(status: .init(code: code), headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: "Internal Server Error")))
        case .html(let code):
            return Response(status: .init(code: code), headers: [.contentType: "text/html"],
                            body: .init(byteBuffer: ByteBuffer(string: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>")))
        case .notJSON:
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: "Warning: mysqli_connect(): Too many connections in /var/www/api.php")))
        case .timeout:
            try? await Task.sleep(for: timeoutDelay)
            return Self.json(normal)
        case .slow:
            try? await Task.sleep(for: slowDelay)
            return Self.json(normal)
        case .error(let message):
            return Self.json(.object([("error", .string(message))]))
        case .statusError(let message):
            return Self.json(.object([("status", .string("error")), ("message", .string(message))]))
        case .body(let text):
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        case .redirect(let code, let location):
            return Response(status: .init(code: code), headers: [.location: location, .contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: "redirect-body db_password=hunter2")))
        case .dribble(let every, let lasting):
            let answer = normal.text
            let steps = max(1, Int(lasting / every))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                // Leading spaces are valid JSON whitespace: the answer is whole only at the end.
                for _ in 0..<steps {
                    try await writer.write(ByteBuffer(string: " "))
                    try await Task.sleep(for: every)
                }
                try await writer.write(ByteBuffer(string: answer))
                try await writer.finish(nil)
            })
        }
    }

    static func json(_ value: FakeJSON) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.text)))
    }

    // MARK: The API

    private func act(_ action: Action, _ fields: [String: String], _ state: inout State) -> FakeJSON {
        func ids(_ single: String, _ multi: String) -> [String] {
            (fields[multi] ?? fields[single] ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        switch action {
        case .services:
            return .array(state.catalog)
        case .balance:
            return .object([("balance", state.balance), ("currency", .string("USD"))])
        case .add:
            var sent = fields
            sent["key"] = nil
            sent["action"] = nil
            let requestID = fields["request_id"]
            let id: Int
            if state.honorsRequestID, let requestID, let first = state.orders.values.first(where: { $0.requestID == requestID }) {
                id = first.id
            } else {
                id = state.nextOrderID
                state.nextOrderID += 1
                let runs = Int(fields["runs"] ?? "") ?? 1
                let quantity = (Int(fields["quantity"] ?? "") ?? 0) * max(runs, 1)
                state.orders[id] = Order(id: id, requestID: requestID, fields: sent, remains: .string(String(quantity)))
            }
            switch state.orderIDStyle {
            case .number: return .object([("order", .number(String(id)))])
            case .string: return .object([("order", .string(String(id)))])
            case .successWrapped: return .object([("status", .string("success")), ("order", .number(String(id)))])
            }
        case .status:
            if let single = fields["order"], fields["orders"] == nil {
                return statusEntry(single, state)
            }
            let asked = ids("order", "orders")
            if asked.count > 100 { return .object([("error", .string("Too many ids (maximum 100)"))]) }
            return .object(asked.map { ($0, statusEntry($0, state)) })
        case .cancel:
            return .array(ids("order", "orders").map { text in
                guard let id = Int(text), var order = state.orders[id] else {
                    return .object([("order", .number(text)), ("cancel", .object([("error", .string("Incorrect order ID"))]))])
                }
                order.cancels += 1
                if let refusal = state.cancelRefusals[id] {
                    state.orders[id] = order
                    return .object([("order", .number(text)), ("cancel", .object([("error", .string(refusal))]))])
                }
                if state.cancelCancels { order.status = .string("Canceled") }
                state.orders[id] = order
                return .object([("order", .number(text)), ("cancel", .number("1"))])
            })
        case .refill:
            return .array(ids("order", "orders").map { text in
                guard let id = Int(text), state.orders[id] != nil else {
                    return .object([("order", .number(text)), ("refill", .object([("error", .string("Incorrect order ID"))]))])
                }
                if let refusal = state.refillRefusals[id] {
                    return .object([("order", .number(text)), ("refill", .object([("error", .string(refusal))]))])
                }
                let refillID = state.nextRefillID
                state.nextRefillID += 1
                state.refills[refillID] = Refill(id: refillID, orderID: id)
                return .object([("order", .number(text)), ("refill", .number(String(refillID)))])
            })
        case .refillStatus:
            return .array(ids("refill", "refills").map { text in
                guard let id = Int(text), let refill = state.refills[id] else {
                    return .object([("refill", .number(text)), ("status", .object([("error", .string("Refill not found"))]))])
                }
                return .object([("refill", .number(text)), ("status", refill.status)])
            })
        }
    }

    private func statusEntry(_ text: String, _ state: State) -> FakeJSON {
        func error(_ message: String) -> FakeJSON { state.bareStatusErrors ? .string(message) : .object([("error", .string(message))]) }
        guard let id = Int(text), let order = state.orders[id] else { return error("Incorrect order ID") }
        if let message = order.error { return error(message) }
        return .object([("charge", order.charge), ("start_count", order.startCount), ("status", order.status),
                        ("remains", order.remains), ("currency", .string("USD"))] + order.extra)
    }

    static func decodeForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}

/// Records every request the fake receives, before routing: a redirect target must see none.
struct RecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    let fake: FakeUpstream

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let bytes = try await request.collectBody(upTo: 4 * 1024 * 1024)
        fake.state.withLock {
            $0.received.append(FakeUpstream.ReceivedRequest(method: request.method.rawValue, path: request.uri.path, body: String(buffer: bytes)))
        }
        return try await next(request, context)
    }
}

struct FakeUpstreamError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
