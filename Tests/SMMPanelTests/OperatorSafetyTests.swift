import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import NIOCore
@testable import SMMApp
import SMMDatabase
import SMMDomain
import SMMStorage
import Testing

/// What an operator's switches expose: `/metrics` kept off the public listener, passwords kept
/// out of the process list, and numbers that cannot overflow anything later.
@Suite struct OperatorSafetyTests {
    static let token = "metrics-token-0123456789abcdef"

    /// By default the public listener has no `/metrics`; with a token, only its bearer reads it.
    @Test func metricsNeedTheTokenOnThePublicListener() async throws {
        try await TestPanel.with(.sqlite) { panel in
            let open = Application(router: buildRouter(store: panel.store, configuration: panel.configuration, logger: quietLogger))
            try await open.test(.router) { (client: any TestClientProtocol) async throws -> Void in
                #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound)
            }
            var configuration = panel.configuration
            configuration.metricsToken = Self.token
            let guarded = Application(router: buildRouter(store: panel.store, configuration: configuration, logger: quietLogger))
            try await guarded.test(.router) { (client: any TestClientProtocol) async throws -> Void in
                let anonymous = try await client.execute(uri: "/metrics", method: .get)
                #expect(anonymous.status == .unauthorized && anonymous.headers[.wwwAuthenticate] == "Bearer")
                for wrong in ["Bearer " + Self.token.dropLast() + "x", "Bearer " + Self.token + "x", "Basic " + Self.token, Self.token] {
                    #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: wrong]).status == .unauthorized)
                }
                let scraped = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer " + Self.token])
                #expect(scraped.status == .ok)
                #expect(String(buffer: scraped.body).contains("smmpanel_sqlite_commits_total"))
            }
        }
    }

    /// `serve --metrics-port`: a second listener serves `/metrics` and nothing else; the public
    /// one does not serve it (no token given).
    @Test func serveHasASeparateMetricsListener() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let server = try await ServerProcess.start(database: database, ["--no-workers", "--metrics-port", "0"])
            defer { if server.process.isRunning { server.kill() } }
            var metricsPort: Int?
            for _ in 0..<200 where metricsPort == nil {
                metricsPort = server.output.lines.first { $0.contains("metrics served at http://127.0.0.1:") }
                    .flatMap { $0.split(separator: ":").last?.split(separator: "/").first }.flatMap { Int($0) }
                if metricsPort == nil { try await Task.sleep(for: .milliseconds(25)) }
            }
            let port = try #require(metricsPort, "\(server.output.value)")
            #expect(port != server.port)
            try await withExtraClient(port: port) { (client: TestClient) async throws -> Void in
                let scraped = try await client.get("/metrics")
                #expect(scraped.status == .ok && String(buffer: scraped.body ?? ByteBuffer()).contains("smmpanel_sqlite_commits_total"))
                #expect(try await client.get("/api/v2?action=balance&key=x").status == .notFound)
                #expect(try await client.get("/login").status == .notFound)
            }
            try await withExtraClient(port: server.port) { (client: TestClient) async throws -> Void in
                #expect(try await client.get("/metrics").status == .notFound)
                #expect(try await client.get("/health").status == .ok)
            }
            #expect(try await server.stopGracefully())
        }
    }

    /// The same token from the environment (where `ps` does not show it).
    @Test func serveTakesTheMetricsTokenFromTheEnvironment() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let server = try await ServerProcess.start(database: database, ["--no-workers"], environment: ["SMMPANEL_METRICS_TOKEN": Self.token])
            defer { if server.process.isRunning { server.kill() } }
            try await withExtraClient(port: server.port) { (client: TestClient) async throws -> Void in
                #expect(try await client.get("/metrics").status == .unauthorized)
                let scraped = try await client.get("/metrics", headers: [.authorization: "Bearer " + Self.token])
                #expect(scraped.status == .ok)
            }
            #expect(!server.output.value.contains(Self.token))
            #expect(try await server.stopGracefully())
        }
    }

    /// Passwords from standard input or `SMMPANEL_PASSWORD`, never needing argv; each one works
    /// for the web login (the stored hash matches it).
    @Test(arguments: TestEngine.available)
    func passwordsComeFromStandardInputOrTheEnvironment(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            func run(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) async throws -> CLITests.Run {
                try await CLITests.smmpanel(arguments, database: database, environment: environment, input: input)
            }
            let created = try await run(["user", "create", "alice", "--password-stdin"], input: "from stdin 1\n")
            #expect(created.status == 0, "\(created.output)")
            #expect(try await Self.verify(database, "alice", "from stdin 1"))
            let fromEnv = try await run(["user", "create", "bob"], environment: ["SMMPANEL_PASSWORD": "from the env 2"])
            #expect(fromEnv.status == 0, "\(fromEnv.output)")
            #expect(try await Self.verify(database, "bob", "from the env 2"))

            let set = try await run(["user", "set-password", "alice", "--password-stdin"], input: "changed on stdin 3\r\n")
            #expect(set.status == 0 && set.lastLine == "password of alice set", "\(set.output)")
            #expect(try await Self.verify(database, "alice", "changed on stdin 3"))
            let setEnv = try await run(["user", "set-password", "bob", "--admin"], environment: ["SMMPANEL_PASSWORD": "changed in env 4"])
            #expect(setEnv.status == 0, "\(setEnv.output)")
            #expect(try await Self.verify(database, "bob", "changed in env 4"))

            // Refusals: nothing given, an empty line, both flags.
            let none = try await run(["user", "set-password", "alice"], environment: ["SMMPANEL_PASSWORD": ""])
            #expect(none.status != 0 && none.output.contains("no password"), "\(none.output)")
            let empty = try await run(["user", "set-password", "alice", "--password-stdin"], input: "\n")
            #expect(empty.status != 0 && empty.output.contains("no password on standard input"), "\(empty.output)")
            let both = try await run(["user", "set-password", "alice", "--password-stdin", "--password", "x12345678"], input: "y12345678\n")
            #expect(both.status != 0 && both.output.contains("not both"), "\(both.output)")
            #expect(try await Self.verify(database, "alice", "changed on stdin 3"))
        }
    }

    static func verify(_ database: DatabaseLocation, _ name: String, _ password: String) async throws -> Bool {
        let backend = try await database.open(logger: quietLogger)
        let hash = try await PanelStore(backend: backend).user(named: name)?.passwordHash
        try await backend.shutdown()
        return Bcrypt.verify(password, hash: try #require(hash))
    }

    /// Every number an option takes has a range: outside it the command stops before doing
    /// anything, with a message naming the option and a non-zero status (never a trap).
    @Test func numbersOutsideTheirRangeAreRefused() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let cases: [([String], String)] = [
                (["serve", "--port", "99999"], "--port must be between 0 and 65535"),
                (["serve", "--port=-1"], "--port must be between 0 and 65535"),
                (["serve", "--worker-interval", "9223372036854775807"], "--worker-interval must be between 1 and 86400"),
                (["serve", "--worker-interval", "1e300"], "worker-interval"),
                (["serve", "--provider-timeout", "0"], "--provider-timeout must be between 1 and 86400"),
                (["serve", "--catalog-interval=-5"], "--catalog-interval must be between 10 and 2592000"),
                (["serve", "--ip-rate", "1e300"], "--ip-rate must be between 0.0 and 1000000.0"),
                (["serve", "--key-rate", "nan"], "--key-rate must be between"),
                (["serve", "--ip-burst", "0"], "--ip-burst must be between 1 and 1000000"),
                (["serve", "--idle-timeout", "9223372036854775807"], "--idle-timeout must be between 1 and 86400"),
                (["serve", "--metrics-port", "70000"], "--metrics-port must be between 0 and 65535"),
                (["serve", "--metrics-token", "short"], "--metrics-token must be 16 to 256"),
                (["serve", "--pool-size", "0"], "--pool-size must be between 1 and 1000"),
                (["worker", "--provider-timeout", "9223372036854775807"], "--provider-timeout must be between 1 and 86400"),
                (["worker", "--status-recheck=-1"], "--status-recheck must be between 1 and 86400"),
                (["order", "list", "--limit", "9223372036854775807"], "--limit must be between 1 and 1000000"),
                (["order", "list", "--limit=-3"], "--limit must be between 1 and 1000000"),
                (["audit", "--limit", "0"], "--limit must be between 1 and 1000000"),
                (["order", "update", "1", "--remains=-1"], "--remains must be between 0 and"),
                (["service", "create", "--name", "x", "--category", "c", "--type", "Default", "--rate", "1", "--min", "1",
                  "--max", "9223372036854775807"], "--max must be between 0 and"),
                (["service", "update", "0", "--refill-days", "99999999"], "must be between"),
                (["category", "create", "c", "--sort", "9223372036854775807"], "--sort must be between"),
                (["bench", "--connections", "0"], "--connections must be between 1 and 10000"),
            ]
            for (arguments, message) in cases {
                let result = try await CLITests.smmpanel(arguments, database: database)
                #expect(result.status != 0 && result.status < 128, "smmpanel \(arguments.joined(separator: " ")): status \(result.status)")
                #expect(result.output.contains(message), "smmpanel \(arguments.joined(separator: " ")): \(result.output)")
            }
            // From the environment too.
            let fromEnv = try await CLITests.smmpanel(["serve"], database: database, environment: ["SMMPANEL_IP_BURST": "0"])
            #expect(fromEnv.status != 0 && fromEnv.output.contains("SMMPANEL_IP_BURST=0 must be a number between 1 and 1000000"), "\(fromEnv.output)")
            let port = try await CLITests.smmpanel(["serve"], database: database, environment: ["SMMPANEL_PORT": "123456"])
            #expect(port.status != 0 && port.output.contains("must be between 0 and 65535"), "\(port.output)")
        }
    }
}
