import ArgumentParser
import Logging
import SMMDatabase
import SMMDomain
import SMMProviders
import SMMServices
import SMMStorage

/// `smmpanel`: the server and the operator's tools.
public struct SMMPanelCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "smmpanel",
        abstract: "SMMPanel: an SMM panel and reseller speaking API v2.",
        subcommands: [Serve.self, Migrate.self, UserCommand.self, FundsCommand.self, CategoryCommand.self,
                      ServiceCommand.self, OrderCommand.self, RefillCommand.self, LedgerCommand.self, ProviderCommand.self,
                      Worker.self, KeyCommand.self, AuditCommand.self, BackupCommand.self, Bench.self])

    public init() {}
}

/// `--database`, shared by every command; `SMMPANEL_DATABASE` when the flag is absent.
public struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite file path or postgres://user:pass@host:port/db (env SMMPANEL_DATABASE; default smmpanel.sqlite).")
    public var database: String?

    @Option(name: .long, help: "PostgreSQL connections in this process's pool (1 to 1000).")
    public var poolSize: Int = 10

    public init() {}

    public func validate() throws {
        try check(poolSize, OptionRange.poolSize, "--pool-size")
    }

    public var location: DatabaseLocation {
        let text = database ?? Environment.value("SMMPANEL_DATABASE") ?? DatabaseLocation.defaultSQLiteFile
        return DatabaseLocation(text)
    }

    func configuration() -> PanelConfiguration {
        PanelConfiguration(database: location, poolSize: poolSize)
    }

    /// Opens the store, runs `body`, closes the store; quiet logs for operator commands. What
    /// the body changes is audited as the operator's (`cli`).
    func run<T: Sendable>(_ body: (OperatorPanel) async throws -> T) async throws -> T {
        let logger = { var logger = Logger(label: "smmpanel"); logger.logLevel = .warning; return logger }()
        let configuration = configuration()
        return try await AuditActor.$current.withValue(.cli) {
            try await withStore(configuration, logger: logger) { store in
                try await body(OperatorPanel(store: store, services: PanelServices(store),
                                             engine: { makeEngine(store: store, configuration: configuration, logger: logger) }))
            }
        }
    }
}

/// What reads an operator's command prints.
typealias OperatorStore = AccountQueries & CatalogQueries & OrderQueries & PanelReports & AuditTrail

/// What an operator's command works with: the reads it prints, the services that change
/// anything, and the reseller engine for calls to providers.
struct OperatorPanel: Sendable {
    let store: any OperatorStore
    let services: PanelServices
    let engine: @Sendable () -> ProviderEngine
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let text = String(cString: raw)
        return text.isEmpty ? nil : text
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif
