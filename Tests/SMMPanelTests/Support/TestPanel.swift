import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SMMAPI
import SMMApp
import SMMDatabase
import SMMDomain
import SMMServices
import SMMStorage
import Synchronization
import Testing

/// The database engines a suite runs on: SQLite always, PostgreSQL too when `DATABASE_URL`
/// points at a server (CI starts one).
enum TestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var available: [TestEngine] {
        ProcessInfo.processInfo.environment["DATABASE_URL"].map { $0.isEmpty ? [.sqlite] : [.sqlite, .postgres] } ?? [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// Time the tests move by hand.
final class ManualClock: PanelClock {
    private let current: Mutex<Int64>
    init(_ start: Int64 = 1_790_000_000) { current = Mutex(start) }
    func now() -> Int64 { current.withLock { $0 } }
    func advance(seconds: Int64) { current.withLock { $0 += seconds } }
}

/// A fresh, empty database of one engine, removed afterwards. Each test gets its own, so tests
/// run in parallel without seeing each other.
enum TestDatabase {
    static func with<T: Sendable>(_ engine: TestEngine, _ body: (DatabaseLocation) async throws -> T) async throws -> T {
        switch engine {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smmpanel-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body(.sqliteFile(directory.appendingPathComponent("panel.sqlite").path))
        case .postgres:
            let adminURL = ProcessInfo.processInfo.environment["DATABASE_URL"]!
            let name = "smm_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            let admin = try await DatabaseLocation(adminURL).open(poolSize: 1, logger: quietLogger)
            do {
                try await admin.read { try await $0.raw("CREATE DATABASE \(unsafeRaw: String(name))").run() }
            } catch {
                try? await admin.shutdown()
                throw error
            }
            var url = URLComponents(string: adminURL)!
            url.path = "/" + name
            let result: Result<T, any Error>
            do { result = .success(try await body(DatabaseLocation(url.string!))) } catch { result = .failure(error) }
            try? await admin.read { try await $0.raw("DROP DATABASE IF EXISTS \(unsafeRaw: String(name)) WITH (FORCE)").run() }
            try? await admin.shutdown()
            return try result.get()
        }
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "smmpanel.test")
    logger.logLevel = .critical
    return logger
}()

/// A migrated panel on a fresh database with a hand-driven clock.
struct TestPanel: Sendable {
    let store: PanelStore
    let clock: ManualClock
    let configuration: PanelConfiguration

    static func with<T: Sendable>(_ engine: TestEngine, _ body: (TestPanel) async throws -> T) async throws -> T {
        try await TestDatabase.with(engine) { location in
            let clock = ManualClock()
            let configuration = PanelConfiguration(host: "127.0.0.1", port: 0, database: location, runWorkers: false, poolSize: 20)
            let store = try await openStore(configuration, logger: quietLogger, clock: clock)
            let panel = TestPanel(store: store, clock: clock, configuration: configuration)
            do {
                let result = try await body(panel)
                try await store.backend.shutdown()
                return result
            } catch {
                try? await store.backend.shutdown()
                throw error
            }
        }
    }

    /// Runs `body` against a live HTTP server of this panel on a loopback port.
    func live<T: Sendable>(_ body: @Sendable (LiveAPI) async throws -> T) async throws -> T {
        let app = buildApplication(store: store, configuration: configuration, logger: quietLogger)
        return try await app.test(.live) { client in
            try await body(LiveAPI(client: client))
        }
    }

    func worker() -> PanelWorker { PanelWorker(orders: store.services.orderAdmin, interval: .seconds(1), logger: quietLogger) }

    // MARK: Fixtures

    /// A customer with `balance` (given as a decimal string); returns the user and its key.
    @discardableResult
    func customer(_ name: String = "alice", balance: String = "100") async throws -> (User, String) {
        let (user, key) = try await store.createUser(username: name)
        if let amount = Money(parsing: balance), amount > .zero {
            _ = try await store.addFunds(userID: user.id, amount: amount, memo: "test funds")
        }
        return (try await store.user(id: user.id)!, key)
    }

    @discardableResult
    func service(_ type: ServiceType = .default, rate: String = "0.90", min: Int64 = 50, max: Int64 = 10_000,
                 refill: Bool = true, cancel: Bool = true, dripFeed: Bool = false, name: String? = nil,
                 category: String = "Test") async throws -> Service {
        try await store.createService(ServiceDraft(
            name: name ?? "\(type.rawValue) service", categoryName: category, type: type, rate: Money(parsing: rate)!,
            min: min, max: max, refill: refill, refillDays: 30, cancel: cancel, dripFeed: dripFeed))
    }

    func balance(of user: User) async throws -> Money {
        try await store.user(id: user.id)!.balance
    }

    func expectLedgerClean(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let problems = try await store.ledgerProblems()
        #expect(problems.isEmpty, "ledger problems: \(problems)", sourceLocation: sourceLocation)
    }
}

/// API v2 over a live connection: form-encoded POSTs by default, as the documented clients send.
struct LiveAPI: Sendable {
    let client: any TestClientProtocol

    var port: Int { client.port! }

    /// POSTs the fields form-encoded to `path` and returns the raw body and status.
    func post(_ fields: [(String, String)], path: String = "/api/v2") async throws -> (status: Int, body: String) {
        let body = Self.formEncode(fields)
        return try await client.execute(uri: path, method: .post,
                                        headers: [.contentType: "application/x-www-form-urlencoded"],
                                        body: ByteBuffer(string: body)) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    /// The raw body of a form POST.
    func call(_ fields: [(String, String)]) async throws -> String {
        try await post(fields).body
    }

    /// A form POST whose answer is parsed as JSON.
    func json(_ fields: [(String, String)]) async throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try await call(fields).utf8), options: [.fragmentsAllowed])
    }

    func get(_ query: String, path: String = "/api/v2") async throws -> (status: Int, body: String) {
        try await client.execute(uri: "\(path)?\(query)", method: .get) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    func postJSON(_ json: String, path: String = "/api/v2") async throws -> (status: Int, body: String) {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"],
                                 body: ByteBuffer(string: json)) { response in
            (Int(response.status.code), String(buffer: response.body))
        }
    }

    static func formEncode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }
}

/// A second, independent connection to the same live server, for true concurrency.
func withExtraClient<T: Sendable>(port: Int, _ body: @escaping @Sendable (TestClient) async throws -> T) async throws -> T {
    try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(60)), operation: body)
}

extension TestClient {
    func postForm(_ fields: [(String, String)]) async throws -> String {
        let response = try await post("/api/v2", headers: [.contentType: "application/x-www-form-urlencoded"],
                                      body: ByteBuffer(string: LiveAPI.formEncode(fields)))
        return response.body.map { String(buffer: $0) } ?? ""
    }
}
