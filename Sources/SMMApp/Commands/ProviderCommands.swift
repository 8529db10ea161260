import ArgumentParser
import Logging
import Prometheus
import SMMDomain
import SMMProviders
import SMMStorage
import ServiceLifecycle

func requireProvider(_ store: PanelStore, _ name: String) async throws -> Provider {
    guard let provider = try await store.provider(named: name) else { throw OperatorError(description: "no provider named \(name)") }
    return provider
}

/// The engine for one operator command, with quiet logs.
func operatorEngine(_ store: PanelStore, _ db: DatabaseOptions) -> ProviderEngine {
    var logger = Logger(label: "smmpanel")
    logger.logLevel = .warning
    return makeEngine(store: store, configuration: db.configuration(), logger: logger)
}

struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Upstream providers: panels whose services this panel resells.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Import.self, Sync.self, Resend.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a provider; prints its id last.")
        @Argument(help: "A short name, used by the other provider commands.") var name: String
        @Option(help: "The provider's API v2 endpoint, e.g. https://provider.example/api/v2") var url: String
        @Option(help: "Our API key at the provider.") var key: String
        @Flag(help: "The provider answers a repeated request_id with the first order (SMMPanel does): interrupted sends are repeated safely instead of held.")
        var honorsRequestId = false
        @Option(help: "How the provider's numeric statuses read, e.g. \"0=Pending,1=In progress,2=Completed,3=Partial,4=Canceled\".")
        var statusCodes: String?
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let codes: [Int: OrderStatus] = try statusCodes.map { text in
                guard let table = UpstreamDialect.statusCodes(text) else {
                    throw OperatorError(description: "cannot read --status-codes \"\(text)\"; write it as 0=Pending,1=In progress,…")
                }
                return table
            } ?? [:]
            let provider = try await db.run { store in
                try await store.audited("provider.create", target: nil, created: { AuditTarget(.providers, $0.id) }) {
                    try await store.createProvider(name: name, url: url, apiKey: key, honorsRequestID: honorsRequestId, statusCodes: codes)
                }
            }
            print("provider \(provider.name) added")
            print(provider.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List providers with their live balance (asked now) and any alert.")
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let providers = try await db.run { store in
                await operatorEngine(store, db).balanceRound()
                return try await store.providers()
            }
            for provider in providers {
                var line = "\(provider.id)\t\(provider.name)\t\(provider.enabled ? "enabled" : "disabled")\t\(provider.url)"
                line += "\tbalance \(provider.balance ?? "unknown") \(provider.currency ?? "")"
                if provider.honorsRequestID { line += "\trequest_id" }
                if !provider.alert.isEmpty { line += "\tALERT: \(provider.alert)" }
                print(line)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop calling a provider: its orders wait in the queue.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            try await db.run { store in
                let id = try await requireProvider(store, name).id
                try await store.audited("provider.disable", target: AuditTarget(.providers, id)) { try await store.setProviderEnabled(id: id, false) }
            }
            print("provider \(name) disabled")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume calling a provider.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            try await db.run { store in
                let id = try await requireProvider(store, name).id
                try await store.audited("provider.enable", target: AuditTarget(.providers, id)) { try await store.setProviderEnabled(id: id, true) }
            }
            print("provider \(name) enabled")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create local services from a provider's catalog, priced at its rate × (1 + markup), rounded up.")
        @Argument var name: String
        @Option(help: "Markup in percent, up to 5 decimals (the price follows the cost on every sync).") var markup: String = "0"
        @Option(help: "Only these upstream service ids, comma separated.") var services: String?
        @Option(help: "Put before each upstream category name.") var categoryPrefix: String = ""
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            guard let percent = Money(parsing: markup), percent >= .zero else {
                throw OperatorError(description: "--markup takes a percentage such as 25 or 12.5")
            }
            let ids = services.map { Set($0.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }) }
            let (created, skipped) = try await db.run { store in
                let provider = try await requireProvider(store, name)
                return try await store.audited("provider.import", target: AuditTarget(.providers, provider.id)) {
                    try await operatorEngine(store, db).importCatalog(provider, markup: percent, only: ids, categoryPrefix: categoryPrefix)
                }
            }
            for line in skipped { print("skipped \(line)") }
            for service in created { print("imported \(describe(service))") }
            print("\(created.count) services imported")
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring local services in step with a provider's catalog now; prints each change.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let lines = try await db.run { store in
                let provider = try await requireProvider(store, name)
                return try await store.audited("provider.sync", target: AuditTarget(.providers, provider.id)) {
                    try await operatorEngine(store, db).syncCatalog(provider)
                }
            }
            for line in lines { print(line) }
            print(lines.isEmpty ? "no changes" : "\(lines.count) changes")
        }
    }

    struct Resend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue again the orders held because of the provider itself (funds, key), and clear its alert.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let count = try await db.run { store in
                let provider = try await requireProvider(store, name)
                return try await store.audited("provider.resend", target: AuditTarget(.providers, provider.id)) {
                    try await store.setProviderAlert(id: provider.id, "")
                    return try await store.resendHeld(providerID: provider.id, reasonContaining: "provider: ")
                }
            }
            print("\(count) orders queued again")
        }
    }
}

/// `smmpanel worker`: the background work alone, for deployments that separate it from the
/// API nodes (`serve --no-workers`).
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run only the background work: dispatch to providers, status sync, catalog sync, drip-feed runs.")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Seconds between work rounds.") var workerInterval: Int = 2
    @Option(help: "Seconds between catalog syncs of every provider.") var catalogInterval: Int = 3600
    @Option(help: "Seconds between status checks of an order at its provider.") var statusRecheck: Int = 60
    @Option(help: "Seconds to wait for a provider's answer.") var providerTimeout: Int = 30
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: String = "info"

    func validate() throws {
        try checkWorkerTimings(workerInterval: workerInterval, statusRecheck: statusRecheck, providerTimeout: providerTimeout,
                               catalogInterval: catalogInterval)
    }

    func run() async throws {
        var logger = Logger(label: "smmpanel-worker")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = db.configuration()
        configuration.workerInterval = .seconds(max(1, workerInterval))
        configuration.catalogSyncInterval = .seconds(max(10, catalogInterval))
        configuration.statusRecheckSeconds = Int64(max(1, statusRecheck))
        configuration.providerTimeout = .seconds(max(1, providerTimeout))
        let store = try await openStore(configuration, logger: logger)
        do {
            let workers = backgroundWorkers(store: store, configuration: configuration, logger: logger, metrics: PrometheusCollectorRegistry())
            let group = ServiceGroup(configuration: .init(services: workers.map { .init(service: $0) },
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            printNow("worker running\n")
            try await group.run()
            try await store.backend.shutdown()
        } catch {
            try? await store.backend.shutdown()
            throw error
        }
    }
}
