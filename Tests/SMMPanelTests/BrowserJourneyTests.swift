import Foundation
import HummingbirdTesting
import SMMDomain
import SMMStorage
import Testing

/// The web panel in a real browser: headless Chromium, driven by `Tests/browser/journeys.py`
/// (Selenium), against the real `smmpanel serve --demo` on a fresh database.
///
/// Without Chromium, chromedriver or Selenium the journeys are skipped, unless
/// `SMMPANEL_REQUIRE_BROWSER=1` (CI sets it): then a missing tool fails the run.
@Suite("Browser journeys")
struct BrowserJourneyTests {
    struct Tools {
        let python: String
        let chromium: String
        let chromedriver: String
        let missing: [String]

        static let found: Tools = {
            let environment = ProcessInfo.processInfo.environment
            // Debian's python3-selenium belongs to /usr/bin/python3 (not whatever `python3` is on PATH).
            let python = environment["SMMPANEL_BROWSER_PYTHON"] ?? "/usr/bin/python3"
            let chromium = environment["SMMPANEL_CHROMIUM"] ?? "/usr/bin/chromium"
            let chromedriver = environment["SMMPANEL_CHROMEDRIVER"] ?? "/usr/bin/chromedriver"
            var missing: [String] = []
            for (name, path) in [("chromium", chromium), ("chromedriver", chromedriver), ("python", python)]
            where !FileManager.default.isExecutableFile(atPath: path) {
                missing.append("\(name) (\(path))")
            }
            if !missing.contains(where: { $0.hasPrefix("python") }), (try? ChildProcess.runBlocking(URL(fileURLWithPath: python), ["-c", "import selenium"]).0) != 0 {
                missing.append("the selenium package for \(python)")
            }
            return Tools(python: python, chromium: chromium, chromedriver: chromedriver, missing: missing)
        }()

        static var required: Bool { ProcessInfo.processInfo.environment["SMMPANEL_REQUIRE_BROWSER"] == "1" }
        static var runnable: Bool { found.missing.isEmpty || required }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("browser/journeys.py")

    @Test("sign up → funds approved → three orders → cancel → mass order → admin Partial; <script> links escaped",
          .enabled(if: Tools.runnable, "needs chromium, chromedriver and selenium (apt-get install chromium chromium-driver python3-selenium); set SMMPANEL_REQUIRE_BROWSER=1 to make their absence a failure"))
    func journeys() async throws {
        let tools = Tools.found
        try #require(tools.missing.isEmpty, "SMMPANEL_REQUIRE_BROWSER=1 but missing: \(tools.missing.joined(separator: ", "))")
        try await TestDatabase.with(.sqlite) { database in
            let server = try await ServerProcess.start(database: database, ["--demo", "--no-workers"])
            defer { if server.process.isRunning { server.kill() } }
            let password = try #require(Self.demoLogin("admin login:", in: server.output.value), "output: \(server.output.value)")
            let result = try await Task.detached {
                try await Self.run(tools.python, [Self.script.path, "--base-url", "http://127.0.0.1:\(server.port)", "--admin-user", "admin",
                                            "--admin-password", password, "--chromium", tools.chromium, "--chromedriver", tools.chromedriver])
            }.value
            // CI greps this line to prove the journeys ran.
            print(result.output.split(separator: "\n").filter { $0.hasPrefix("JOURNEY") || $0.hasPrefix("BROWSER") }.joined(separator: "\n"))
            #expect(result.status == 0, "journeys.py failed:\n\(result.output)")
            #expect(result.output.contains("BROWSER JOURNEYS PASSED: 8"), "\(result.output)")
            #expect(try await server.stopGracefully())
        }
    }

    /// Without a browser too: the logins `serve --demo` prints open the web panel.
    @Test("serve --demo prints admin and customer logins that work", arguments: TestEngine.available)
    func demoLogins(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            let server = try await ServerProcess.start(database: database, ["--demo", "--no-workers"])
            defer { if server.process.isRunning { server.kill() } }
            let output = server.output.value
            let adminPassword = try #require(Self.demoLogin("admin login:", in: output), "\(output)")
            let customerPassword = try #require(Self.demoLogin("customer login:", in: output), "\(output)")
            try await withExtraClient(port: server.port) { (connection: TestClient) async throws -> Void in
                let admin = WebClient(connection: connection)
                #expect(try await admin.login("admin", adminPassword).location == "/admin")
                #expect(try await admin.get("/admin").status == 200)
                let customer = WebClient(connection: connection)
                #expect(try await customer.login("demo", customerPassword).location == "/dashboard")
                #expect(try await customer.get("/dashboard").body.contains("100.00000"))
                #expect(try await customer.get("/admin").status == 404)
            }
            #expect(try await server.stopGracefully())
        }
    }

    /// The password on a `  admin login:    admin / PASSWORD` line.
    static func demoLogin(_ label: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.contains(label) }?.split(separator: "/").last.map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runToEnd(URL(fileURLWithPath: executable), arguments)
    }
}
