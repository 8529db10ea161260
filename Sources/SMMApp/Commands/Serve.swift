import ArgumentParser
import Hummingbird
import Logging
import SMMDomain
import SMMServices
import SMMStorage
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the panel: API v2 and background workers.")

    @Option(help: "Address to listen on.") var host: String = Environment.value("SMMPANEL_HOST") ?? "127.0.0.1"
    @Option(help: "Port to listen on (env SMMPANEL_PORT; default 8080; 0 lets the system pick).")
    var port: Int = Environment.value("SMMPANEL_PORT").map { Int($0) ?? -1 } ?? 8080
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Currency code shown by the API.") var currency: String = Environment.value("SMMPANEL_CURRENCY") ?? "USD"
    @Flag(help: "Seed a demo catalog and customer, and print the customer's API key.") var demo = false
    @Flag(help: "Serve requests only: no background work (drip-feed runs, providers) in this process; run `smmpanel worker` (or another `serve`) for it.") var noWorkers = false
    @Option(help: "Seconds between background work rounds.") var workerInterval: Int = 5
    @Option(help: "Seconds between status checks of an order at its provider.") var statusRecheck: Int = 60
    @Option(help: "Seconds one call to a provider may take in all (connect, answer head and body).") var providerTimeout: Int = 30
    @Option(help: "Seconds between catalog syncs of every provider.") var catalogInterval: Int = 3600
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: String = "info"
    @Flag(help: "The panel is served behind TLS: web cookies are Secure even on loopback, and pages send Strict-Transport-Security (env SMMPANEL_SECURE_COOKIES=1). Off loopback cookies are Secure anyway.")
    var secureCookies = Environment.value("SMMPANEL_SECURE_COOKIES") == "1"
    @Option(help: "Whether visitors may sign up on the web: open or closed. When given, it replaces at start the setting the admin console changes; otherwise the stored setting stays (open on a new panel).")
    var signup: SignupSetting?
    @OptionGroup(title: "Limits") var limits: LimitOptions
    @Option(help: "Serve /metrics (only) on a second listener at this port; none by default; 0 lets the system pick (env SMMPANEL_METRICS_PORT).")
    var metricsPort: Int?
    @Option(help: "Address of that metrics listener (env SMMPANEL_METRICS_HOST; default 127.0.0.1).")
    var metricsHost: String?
    @Option(help: "Serve /metrics on the main listener too, to `Authorization: Bearer TOKEN` only; 16 to 256 characters (prefer env SMMPANEL_METRICS_TOKEN: arguments show in ps).")
    var metricsToken: String?

    func validate() throws {
        try check(port, OptionRange.port, "--port")
        try checkWorkerTimings(workerInterval: workerInterval, statusRecheck: statusRecheck, providerTimeout: providerTimeout,
                               catalogInterval: catalogInterval)
        try check(try metricsListenerPort(), OptionRange.port, "--metrics-port")
        if let token = metricsToken ?? Environment.value("SMMPANEL_METRICS_TOKEN"),
           !(16...256).contains(token.count) || token.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            throw ValidationError("--metrics-token must be 16 to 256 printable ASCII characters without spaces")
        }
    }

    private func metricsListenerPort() throws -> Int? {
        if let metricsPort { return metricsPort }
        guard let text = Environment.value("SMMPANEL_METRICS_PORT") else { return nil }
        guard let port = Int(text) else { throw ValidationError("SMMPANEL_METRICS_PORT=\(text) is not a port number") }
        return port
    }

    func run() async throws {
        var logger = Logger(label: "smmpanel")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = db.configuration()
        configuration.host = host
        configuration.port = port
        configuration.currency = currency
        configuration.web.secureCookies = secureCookies
        configuration.runWorkers = !noWorkers
        configuration.metricsPort = try metricsListenerPort()
        configuration.metricsHost = metricsHost ?? Environment.value("SMMPANEL_METRICS_HOST") ?? "127.0.0.1"
        configuration.metricsToken = metricsToken ?? Environment.value("SMMPANEL_METRICS_TOKEN")
        configuration.workerInterval = .seconds(max(1, workerInterval))
        configuration.statusRecheckSeconds = Int64(max(1, statusRecheck))
        configuration.providerTimeout = .seconds(max(1, providerTimeout))
        configuration.catalogSyncInterval = .seconds(max(10, catalogInterval))
        try limits.apply(to: &configuration)
        let store = try await openStore(configuration, logger: logger)
        do {
            if let signup { try await AccountService(repository: store).setSignupOpen(signup == .open) }
            if demo {
                let (customer, key) = try await DemoData.seed(store)
                let logins = try await DemoData.seedWebLogins(store)
                // Written unbuffered: a log file or supervisor must see it before the server's first line.
                printNow("""
                    Demo panel ready: \(try await store.services().count) services; customer "\(customer.username)" \
                    has \(customer.balance.apiString) \(currency).
                    Try it:
                      curl -s http://\(host):\(port)/api/v2 -d key=\(key) -d action=services
                      curl -s http://\(host):\(port)/api/v2 -d key=\(key) -d action=add -d service=1 -d link=https://instagram.com/demo -d quantity=100
                      curl -s http://\(host):\(port)/api/v2 -d key=\(key) -d action=balance
                    Web panel: http://\(host):\(port)/login
                      admin login:    \(DemoData.adminName) / \(logins.admin)
                      customer login: \(customer.username) / \(logins.customer)
                    Demo API key:
                    \(key)

                    """)
            }
            let app = buildApplication(store: store, configuration: configuration, logger: logger)
            try await app.runService()
            try await store.backend.shutdown()
        } catch {
            try? await store.backend.shutdown()
            throw error
        }
    }
}

enum SignupSetting: String, ExpressibleByArgument, CaseIterable {
    case open, closed
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema, then exit.")
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let version = try await db.run { _ in Migrations.latestVersion }
        print("schema at version \(version)")
    }
}

func printNow(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
