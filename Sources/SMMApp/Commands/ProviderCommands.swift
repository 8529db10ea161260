import ArgumentParser
import Foundation
import Logging
import Prometheus
import SMMDomain
import SMMProviders
import SMMProviders
import SMMServices
import SMMStorage
import ServiceLifecycle

func requireProvider(_ store: any PanelReports, _ name: String) async throws -> Provider {
    guard let provider = try await store.provider(named: name) else { throw OperatorError(description: "no provider named \(name)") }
    return provider
}


struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Upstream providers: panels whose services this panel resells.",
        subcommands: [Add.self, Update.self, List.self, Disable.self, Enable.self, Import.self, Sync.self, Resend.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a provider; prints its id last.")
        @Argument(help: "A short name, used by the other provider commands.") var name: String
        @Option(help: "The provider's API v2 endpoint, e.g. https://provider.example/api/v2") var url: String
        @Option(help: "Our API key at the provider.") var key: String
        @Flag(help: "The provider answers a repeated request_id with the first order (SMMPanel does): interrupted sends are repeated safely instead of held.")
        var honorsRequestId = false
        @Option(help: "How the provider's numeric statuses read, e.g. \"0=Pending,1=In progress,2=Completed,3=Partial,4=Canceled\".")
        var statusCodes: String?
        @OptionGroup var exceptions: ProviderExceptions
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let concurrency = try exceptions.checkedConcurrency()
            let codes: [Int: OrderStatus] = try statusCodes.map { text in
                guard let table = UpstreamDialect.statusCodes(text) else {
                    throw OperatorError(description: "cannot read --status-codes \"\(text)\"; write it as 0=Pending,1=In progress,…")
                }
                return table
            } ?? [:]
            let provider = try await db.run { panel in
                // Refused here as every call would refuse it: http, a private or metadata address.
                try await checkProviderAddress(panel, url: url, allowHTTP: exceptions.allowHttp,
                                               allowPrivateAddress: exceptions.allowPrivateAddress)
                let balance = try await checkProviderKey(panel, Provider(
                    candidateNamed: name, url: url.trimmingSpaces(), apiKey: key.trimmingSpaces(), honorsRequestID: honorsRequestId,
                    allowHTTP: exceptions.allowHttp, allowPrivateAddress: exceptions.allowPrivateAddress))
                let provider = try await panel.store.audited("provider.create", target: nil, created: { AuditTarget(.providers, $0.id) }) {
                    try await panel.services.providers.create(try NewProvider(
                        name: name, url: url, apiKey: key, honorsRequestID: honorsRequestId, statusCodes: codes,
                        allowHTTP: exceptions.allowHttp, allowPrivateAddress: exceptions.allowPrivateAddress, concurrency: concurrency))
                }
                if let balance { try await panel.services.providers.recordBalance(id: provider.id, balance: balance.balance, currency: balance.currency) }
                return provider
            }
            print("provider \(provider.name) added")
            print(provider.id)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a provider's exceptions to the outbound rules and its concurrency.")
        @Argument var name: String
        @Option(help: "Allow plain http: true or false.") var allowHttp: Bool?
        @Option(help: "Allow loopback, private and link-local addresses: true or false.") var allowPrivateAddress: Bool?
        @Option(help: "Calls in flight at once (\(Provider.concurrencyRange.lowerBound)-\(Provider.concurrencyRange.upperBound)), or \"default\".")
        var concurrency: String?
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            var limit: Int?? = nil
            if let concurrency {
                if concurrency == "default" {
                    limit = .some(nil)
                } else if let value = Int(concurrency), Provider.concurrencyRange.contains(value) {
                    limit = .some(value)
                } else {
                    throw OperatorError(description: "--concurrency takes a number from \(Provider.concurrencyRange.lowerBound) to \(Provider.concurrencyRange.upperBound), or default")
                }
            }
            try await db.run { panel in
                // No address check here: every call checks with the settings as they are then.
                let provider = try await requireProvider(panel.store, name)
                try await panel.store.audited("provider.update", target: AuditTarget(.providers, provider.id)) {
                    try await panel.services.providers.updateOptions(id: provider.id, allowHTTP: allowHttp, allowPrivateAddress: allowPrivateAddress,
                                                          concurrency: limit)
                }
            }
            print("provider \(name) updated")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List providers with their live balance (asked now) and any alert.")
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let providers = try await db.run { panel in
                await panel.engine().balanceRound()
                return try await panel.store.providers()
            }
            for provider in providers {
                var line = "\(provider.id)\t\(provider.name)\t\(provider.enabled ? "enabled" : "disabled")\t\(provider.url)"
                line += "\tbalance \(provider.balance ?? "unknown") \(provider.currency ?? "")"
                if provider.honorsRequestID { line += "\trequest_id" }
                line += "\tconcurrency \(provider.effectiveConcurrency(honoring: EngineSettings().dispatchConcurrency))"
                if provider.allowHTTP { line += "\tallow-http" }
                if provider.allowPrivateAddress { line += "\tallow-private-address" }
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
            try await db.run { panel in
                let id = try await requireProvider(panel.store, name).id
                try await panel.store.audited("provider.disable", target: AuditTarget(.providers, id)) { try await panel.services.providers.setEnabled(id: id, false) }
            }
            print("provider \(name) disabled")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume calling a provider.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            try await db.run { panel in
                let id = try await requireProvider(panel.store, name).id
                try await panel.store.audited("provider.enable", target: AuditTarget(.providers, id)) { try await panel.services.providers.setEnabled(id: id, true) }
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
            let (created, skipped) = try await db.run { panel in
                let provider = try await requireProvider(panel.store, name)
                return try await panel.store.audited("provider.import", target: AuditTarget(.providers, provider.id)) {
                    try await panel.engine().importCatalog(provider, markup: percent, only: ids, categoryPrefix: categoryPrefix)
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
            let lines = try await db.run { panel in
                let provider = try await requireProvider(panel.store, name)
                return try await panel.store.audited("provider.sync", target: AuditTarget(.providers, provider.id)) {
                    try await panel.engine().syncCatalog(provider)
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
            let count = try await db.run { panel in
                let provider = try await requireProvider(panel.store, name)
                return try await panel.store.audited("provider.resend", target: AuditTarget(.providers, provider.id)) {
                    try await panel.services.providers.resume(id: provider.id, heldWith: "provider: ")
                }
            }
            print("\(count) orders queued again")
        }
    }
}

/// The operator's exceptions to the outbound rules for one provider, and its call limit.
struct ProviderExceptions: ParsableArguments {
    @Flag(help: "Allow plain http for this provider (its key then travels in clear); https only otherwise.")
    var allowHttp = false
    @Flag(help: "Allow loopback, private, link-local (cloud metadata) and other non-public addresses for this provider.")
    var allowPrivateAddress = false
    @Option(help: "Calls in flight at once to this provider (1-32); default 1 without --honors-request-id, 8 with it.")
    var concurrency: Int?

    func checkedConcurrency() throws -> Int? {
        if let concurrency, !Provider.concurrencyRange.contains(concurrency) {
            throw OperatorError(description: "--concurrency takes a number from \(Provider.concurrencyRange.lowerBound) to \(Provider.concurrencyRange.upperBound)")
        }
        return concurrency
    }
}

/// Checks a provider URL against the outbound rules; a host that does not resolve now is let
/// through with a warning (every call checks again, and refuses what breaks the rules).
func checkProviderAddress(_ panel: OperatorPanel, url: String, allowHTTP: Bool, allowPrivateAddress: Bool) async throws {
    do {
        _ = try await panel.engine().client.checkAddress(url: url, allowHTTP: allowHTTP, allowPrivateAddress: allowPrivateAddress)
    } catch let error as UpstreamCallError {
        if case .unreachable(let detail) = error {
            FileHandle.standardError.write(Data("warning: \(detail); every call checks the address again\n".utf8))
            return
        }
        throw OperatorError(description: error.description)
    }
}

/// Asks the provider for our balance with the key given: a key it refuses stops `provider add`
/// (nothing is created); any other failure is told, and the provider added all the same.
func checkProviderKey(_ panel: OperatorPanel, _ candidate: Provider) async throws -> (balance: String, currency: String)? {
    do {
        return try await panel.engine().client.balance(candidate)
    } catch UpstreamCallError.refused(let message) where UpstreamDialect.classify(error: message) == .providerAuth {
        throw OperatorError(description: "the provider refuses this key (\(message)); check the key, nothing was added")
    } catch let error as UpstreamCallError {
        FileHandle.standardError.write(Data("warning: balance unknown: \(error)\n".utf8))
        return nil
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
    @Option(help: "Seconds one call to a provider may take in all (connect, answer head and body).") var providerTimeout: Int = 30
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
