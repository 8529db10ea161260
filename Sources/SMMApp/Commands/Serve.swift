import ArgumentParser
import Hummingbird
import Logging
import SMMDomain
import SMMStorage
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the panel: API v2 and background workers.")

    @Option(help: "Address to listen on.") var host: String = Environment.value("SMMPANEL_HOST") ?? "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = Environment.value("SMMPANEL_PORT").flatMap(Int.init) ?? 8080
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Currency code shown by the API.") var currency: String = Environment.value("SMMPANEL_CURRENCY") ?? "USD"
    @Flag(help: "Seed a demo catalog and customer, and print the customer's API key.") var demo = false
    @Flag(help: "Serve requests only: no background work (drip-feed runs, providers) in this process; run `smmpanel worker` (or another `serve`) for it.") var noWorkers = false
    @Option(help: "Seconds between background work rounds.") var workerInterval: Int = 5
    @Option(help: "Seconds between status checks of an order at its provider.") var statusRecheck: Int = 60
    @Option(help: "Seconds one call to a provider may take in all (connect, answer head and body).") var providerTimeout: Int = 30
    @Option(help: "Seconds between catalog syncs of every provider.") var catalogInterval: Int = 3600
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: String = "info"
    @Flag(help: "Send web cookies only over HTTPS (set it when the panel is served behind TLS; env SMMPANEL_SECURE_COOKIES=1).")
    var secureCookies = Environment.value("SMMPANEL_SECURE_COOKIES") == "1"
    @OptionGroup(title: "Limits") var limits: LimitOptions

    func run() async throws {
        var logger = Logger(label: "smmpanel")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = db.configuration()
        configuration.host = host
        configuration.port = port
        configuration.currency = currency
        configuration.web.secureCookies = secureCookies
        configuration.runWorkers = !noWorkers
        configuration.workerInterval = .seconds(max(1, workerInterval))
        configuration.statusRecheckSeconds = Int64(max(1, statusRecheck))
        configuration.providerTimeout = .seconds(max(1, providerTimeout))
        configuration.catalogSyncInterval = .seconds(max(10, catalogInterval))
        try limits.apply(to: &configuration)
        let store = try await openStore(configuration, logger: logger)
        do {
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
