import Logging
import SMMAPI
import SMMDatabase
import SMMDomain
import SMMStorage
import SMMWeb

/// Everything `serve` and the operator commands need to know, from flags and environment.
public struct PanelConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseLocation
    public var currency: String
    /// Run the background workers (drip-feed runs) inside this process.
    public var runWorkers: Bool
    /// How often the workers look for due work.
    public var workerInterval: Duration
    /// PostgreSQL connections per process.
    public var poolSize: Int
    public var logLevel: Logger.Level
    /// Longest wait for one call to a provider.
    public var providerTimeout: Duration = .seconds(30)
    /// How often every provider's catalog is synced.
    public var catalogSyncInterval: Duration = .seconds(3600)
    /// How often a sent order's status is checked at its provider, in seconds.
    public var statusRecheckSeconds: Int64 = 60
    /// The web panel's cookies, bcrypt cost and login limit (its currency is `currency`).
    public var web: WebConfiguration
    /// API rate limits and the invalid-key slowdown.
    public var throttle = APIThrottleConfiguration()
    /// A connection that sends nothing (or only part of a request head) for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// A request whose body has not fully arrived this long after its head is cut off.
    public var requestReadTimeout: Duration = .seconds(30)
    /// `/metrics` on the public listener only with `Authorization: Bearer <token>`; nil: not there.
    public var metricsToken: String?
    /// A second listener serving only `/metrics` (no token) on this address; nil port: none.
    public var metricsHost = "127.0.0.1"
    public var metricsPort: Int?

    public init(host: String = "127.0.0.1", port: Int = 8080,
                database: DatabaseLocation = .sqliteFile(DatabaseLocation.defaultSQLiteFile),
                currency: String = "USD", runWorkers: Bool = true, workerInterval: Duration = .seconds(5),
                poolSize: Int = 10, logLevel: Logger.Level = .info, web: WebConfiguration = WebConfiguration()) {
        self.host = host
        self.port = port
        self.database = database
        self.currency = currency
        self.runWorkers = runWorkers
        self.workerInterval = workerInterval
        self.poolSize = poolSize
        self.logLevel = logLevel
        self.web = web
    }
}

/// Opens and migrates the configured database. The caller owns the result and must call
/// `backend.shutdown()` on it.
public func openStore(_ configuration: PanelConfiguration, logger: Logger, clock: any PanelClock = SystemClock()) async throws -> PanelStore {
    let backend = try await configuration.database.open(poolSize: configuration.poolSize, logger: logger)
    let store = PanelStore(backend: backend, clock: clock)
    do {
        // Names that differed only in case before they had to be unique that way.
        for renamed in try await store.migrate() {
            logger.warning("username already taken in another case: renamed", metadata: ["user": .string(renamed)])
        }
    } catch {
        try? await backend.shutdown()
        throw error
    }
    return store
}

/// Runs `body` with an open store and always shuts the store down afterwards.
public func withStore<T: Sendable>(_ configuration: PanelConfiguration, logger: Logger,
                                   _ body: (PanelStore) async throws -> T) async throws -> T {
    let store = try await openStore(configuration, logger: logger)
    do {
        let result = try await body(store)
        try await store.backend.shutdown()
        return result
    } catch {
        try? await store.backend.shutdown()
        throw error
    }
}

extension DatabaseLocation {
    /// The SQLite file used when neither `--database` nor `SMMPANEL_DATABASE` names one.
    public static let defaultSQLiteFile = "smmpanel.sqlite"
}
