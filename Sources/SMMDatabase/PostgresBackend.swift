import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// PostgreSQL through a `PostgresClient` pool. Transactions are plain `BEGIN … COMMIT` on one
/// leased connection at READ COMMITTED: callers write conditional updates
/// (`UPDATE … WHERE amount >= x`), which are exact at that level, and read the rows a decision
/// depends on `FOR UPDATE` (`DatabaseBackend.forUpdate`).
///
/// Outages: the pool itself retries a lost server with a backoff growing to a minute and then
/// refuses every lease for as long, so it is watched from outside. A lease not granted within
/// `probeAfter` makes the backend connect to the server's port directly (`Prober`):
/// unreachable, the call fails at once (`DatabaseError.unavailable`, the API's 503) and later
/// calls probe before leasing, and the first that finds the server back replaces the pool by a
/// fresh one; a lease still waiting on a pool that saw the server gone is asked again on the new
/// pool (it was never granted). A pool that never saw an outage is never replaced: on a loaded
/// machine new connections can be slow, and slowness is not an outage.
final class PostgresBackend: DatabaseBackend {
    let engine = SQLEngine.postgres
    private let settings: PostgresSettings
    private let maxConnections: Int
    private let logger: Logger
    private let state: Mutex<State>
    private let prober: Prober

    /// One `PostgresClient` and the task running it (its pool only works while `run()` runs).
    private struct Pool: Sendable {
        let id: Int
        let client: PostgresClient
        let runTask: Task<Void, Never>
    }

    private struct State {
        var current: Pool
        var nextID = 1
        /// Pools replaced while bodies still held their connections; stopped once they are returned.
        var retired: [Int: Pool] = [:]
        /// Connections held by bodies, and the last time one was granted, per pool: a pool with
        /// fewer held than its size that grants nothing is stuck, not busy.
        var held: [Int: Int] = [:]
        var lastGrant: [Int: ContinuousClock.Instant] = [:]
        /// The server was found unreachable: calls probe it before leasing.
        var suspect = false
        /// Pools whose server was found unreachable while they were current: calls holding
        /// their connections are answered at once (a query in flight on a connection the
        /// server dropped may never complete), not after `callTimeout`.
        var down: Set<Int> = []
        var isShutDown = false
    }

    init(url: String, maxConnections: Int, logger: Logger) throws {
        let settings = try PostgresSettings(url: url)
        self.settings = settings
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
        prober = Prober(settings: settings, logger: logger)
        state = Mutex(State(current: Self.makePool(id: 0, settings: settings, maxConnections: max(1, maxConnections), logger: logger)))
    }

    private static func makePool(id: Int, settings: PostgresSettings, maxConnections: Int, logger: Logger) -> Pool {
        var configuration = settings.clientConfiguration
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return Pool(id: id, client: client, runTask: Task { await client.run() })
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text) else { return "the configured URL" }
        if url.password != nil { url.password = "***" }
        return url.string ?? "the configured URL"
    }

    /// A read touches nothing, so one that lost its connection under it (a server restart the
    /// pool had not noticed yet) is run once more on a fresh one.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await leased { connection in try await body(connection.sql(queryLogLevel: nil)) }
        } catch let error where Self.isConnectionFailure(error) {
            return try await leased { connection in try await body(connection.sql(queryLogLevel: nil)) }
        }
    }

    func scan<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    /// Retried on a fresh connection only when `BEGIN` itself failed for the connection: then
    /// nothing ran. A failure after it is never retried (a lost COMMIT may have committed).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let attempt: @Sendable (PostgresConnection) async throws -> T = { connection in
            let db = connection.sql(queryLogLevel: nil)
            do {
                try await db.raw("BEGIN").run()
            } catch where Self.isConnectionFailure(error) {
                throw StaleConnection(underlying: error)
            }
            return try await runTransaction(on: db, begin: nil, body)
        }
        do {
            return try await leased(attempt)
        } catch let stale as StaleConnection {
            logger.debug("BEGIN failed on a pooled connection; once more on another", metadata: ["error": "\(stale.underlying)"])
            return try await leased(attempt)
        }
    }

    private struct StaleConnection: Error {
        let underlying: any Error
    }

    /// The connection itself failed (closed, reset, the server shutting down), as opposed to
    /// an error of the statement.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if error is StaleConnection { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            return true
        case .server:
            // 57P01-03: administrator shutdown, crash shutdown, cannot connect now; 08: connection exception.
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("57P") || state.hasPrefix("08")
        default:
            return false
        }
    }

    /// How long a lease may wait before the server is probed.
    static let probeAfter: Duration = .milliseconds(500)
    /// How long a request may wait for a connection while the server is reachable (every
    /// connection busy). The pool waits for the server without limit; a request must instead
    /// fail soon and clearly, so clients retry and nothing piles up.
    static let leaseTimeout: Duration = .seconds(30)
    /// How long a database call may take once it holds a connection. A query in flight while
    /// the server restarts may never complete; the caller is answered (the outcome
    /// is unknown, so API clients retry with their `request_id`) and the call is cancelled.
    static let callTimeout: Duration = .seconds(30)

    /// The lease was never granted and the server answers: the pool is stuck in its backoff.
    private struct PoolStuck: Error {}
    /// The lease was never granted: the pool refused it (its circuit breaker, a stopped pool).
    private struct LeaseRefused: Error {
        let underlying: any Error
    }

    /// Runs `body` on a pooled connection, within `callTimeout` once it has one (nil: no limit,
    /// for jobs that hold a connection for minutes).
    private func leased<T: Sendable>(callTimeout: Duration? = PostgresBackend.callTimeout,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        // A pool that granted a connection within the last second is working, whatever a probe said.
        if state.withLock({ $0.suspect && ($0.lastGrant[$0.current.id].map { .now - $0 > .seconds(1) } ?? true) }) {
            guard await prober.reachable() else {
                markDown()
                throw DatabaseError.unavailable("cannot reach PostgreSQL")
            }
            replacePool(ifSuspect: true)
        }
        let pool = state.withLock { $0.current }
        do {
            return try await attempt(on: pool, callTimeout: callTimeout, body)
        } catch is PoolStuck {
            replacePool(stuck: pool.id)
        } catch let refused as LeaseRefused {
            // A caller that gave up says nothing about the pool.
            if Task.isCancelled { throw CancellationError() }
            guard await prober.reachable() else {
                markDown()
                throw DatabaseError.unavailable("cannot reach PostgreSQL: \(refused.underlying)")
            }
            replacePool(stuck: pool.id)
        }
        // The first lease was never granted, so nothing ran: once more, on the new pool.
        do {
            return try await attempt(on: state.withLock { $0.current }, callTimeout: callTimeout, body)
        } catch is PoolStuck {
            throw DatabaseError.unavailable("no PostgreSQL connection")
        } catch let refused as LeaseRefused {
            throw DatabaseError.unavailable("no PostgreSQL connection: \(refused.underlying)")
        }
    }

    private func attempt<T: Sendable>(on pool: Pool, callTimeout: Duration?,
                                      _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let outcome = Outcome<T>()
        let work = Task {
            do {
                let value = try await pool.client.withConnection { connection in
                    // The watchdog may have answered already: then the body must not run (it
                    // could commit what the caller was told failed).
                    guard outcome.acquired() else { throw CancellationError() }
                    self.hold(pool.id, +1)
                    defer { self.hold(pool.id, -1) }
                    return try await body(connection)
                }
                outcome.finish(.success(value))
            } catch {
                outcome.finish(.failure(outcome.hasConnection ? error : LeaseRefused(underlying: error)))
            }
        }
        let watchdog = Task {
            let started = ContinuousClock.now
            try await Task.sleep(for: Self.probeAfter)
            while !outcome.hasConnection, !outcome.isFinished {
                let failure: (any Error)?
                if !(await prober.reachable()) {
                    markDown()
                    failure = DatabaseError.unavailable("cannot reach PostgreSQL")
                } else if state.withLock({ $0.down.contains(pool.id) }) {
                    // The server went away while this pool was current and is back: the pool may
                    // sit in its reconnect backoff for up to a minute.
                    failure = PoolStuck()
                } else if ContinuousClock.now - started >= Self.leaseTimeout {
                    failure = DatabaseError.unavailable("no PostgreSQL connection within \(Self.leaseTimeout)")
                } else {
                    failure = nil
                }
                if let failure, outcome.finishUnlessConnected(.failure(failure)) {
                    work.cancel()
                    return
                }
                try await Task.sleep(for: Self.probeAfter)
            }
            // Holding a connection: answered when the call ends, when the server is found gone,
            // or after `callTimeout`, whichever comes first.
            let acquired = ContinuousClock.now
            while !outcome.isFinished {
                let failure: DatabaseError? = if state.withLock({ $0.down.contains(pool.id) }) {
                    .unavailable("PostgreSQL went away during the call")
                } else if let callTimeout, ContinuousClock.now - acquired >= callTimeout {
                    .unavailable("no answer from PostgreSQL within \(callTimeout)")
                } else {
                    nil
                }
                if let failure {
                    outcome.finish(.failure(failure))
                    work.cancel()
                    return
                }
                try await Task.sleep(for: Self.probeAfter)
            }
        }
        defer { watchdog.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.value()
        } onCancel: {
            work.cancel()
        }
    }

    /// The server did not answer: later calls probe first, and calls on the current pool's
    /// connections give up.
    private func markDown() {
        state.withLock { state in
            state.suspect = true
            state.down.insert(state.current.id)
        }
    }

    private func hold(_ poolID: Int, _ change: Int) {
        let finished: Pool? = state.withLock { state in
            state.held[poolID, default: 0] += change
            if change > 0 { state.lastGrant[poolID] = .now }
            guard state.held[poolID] == 0, let retired = state.retired.removeValue(forKey: poolID) else { return nil }
            state.held[poolID] = nil
            state.lastGrant[poolID] = nil
            return retired
        }
        finished?.runTask.cancel()
    }

    /// A fresh pool in place of the current one (if it is still `stuck`, or the server was
    /// suspect); the old one stops once its held connections are returned.
    private func replacePool(stuck: Int? = nil, ifSuspect: Bool = false) {
        let old: Pool? = state.withLock { state in
            guard !state.isShutDown else { return nil }
            if let stuck, state.current.id != stuck { return nil }
            if ifSuspect, !state.suspect { return nil }
            state.suspect = false
            let old = state.current
            state.lastGrant[old.id] = nil
            state.current = Self.makePool(id: state.nextID, settings: settings, maxConnections: maxConnections, logger: logger)
            state.nextID += 1
            if state.held[old.id, default: 0] > 0 {
                state.retired[old.id] = old
                return nil
            }
            return old
        }
        guard let old else { return }
        logger.notice("PostgreSQL connection pool replaced after an outage")
        old.runTask.cancel()
    }

    /// Whether the server accepts a connection right now: one connection of its own, opened and
    /// closed, shared by every caller asking while it runs. No answer is kept after that: the
    /// first request after the server is back must see it back.
    final class Prober: Sendable {
        private let running = Mutex<Task<Bool, Never>?>(nil)
        private let settings: PostgresSettings
        private let logger: Logger
        /// A stopped server refuses at once; this bounds a host that does not answer. Loopback
        /// connects on a saturated two-core machine can take over a second (the event loops
        /// busy): a shorter limit would take load for an outage.
        static let timeout: Duration = .seconds(5)

        init(settings: PostgresSettings, logger: Logger) {
            self.settings = settings
            self.logger = logger
        }

        func reachable() async -> Bool {
            let task: Task<Bool, Never> = running.withLock { running in
                if let running { return running }
                let settings = self.settings, logger = self.logger
                let task = Task { [weak self] in
                    let result = await Self.connect(settings, logger: logger)
                    self?.running.withLock { $0 = nil }
                    return result
                }
                running = task
                return task
            }
            return await task.value
        }

        /// A TCP connection to the server's port, closed at once: refused or not answered
        /// within `timeout` is down. Only TCP, so a server slow to authenticate on a loaded
        /// machine is not taken for a dead one (a server that listens but refuses sessions
        /// shows as a pool that grants nothing).
        private static func connect(_ settings: PostgresSettings, logger: Logger) async -> Bool {
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.milliseconds(Int64(timeout / .milliseconds(1))))
                    .connect(host: settings.host, port: settings.port).get()
                try? await channel.close()
                return true
            } catch {
                logger.debug("PostgreSQL probe failed", metadata: ["error": "\(error)"])
                return false
            }
        }
    }

    /// The first result of a call or its watchdog, handed to whoever waits.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var result: Result<T, any Error>?
            var waiter: CheckedContinuation<T, any Error>?
            var hasConnection = false
        }
        private let state = Mutex(State())

        /// Marks the connection as held; false if the call was already answered.
        func acquired() -> Bool {
            state.withLock { state in
                guard state.result == nil else { return false }
                state.hasConnection = true
                return true
            }
        }
        var hasConnection: Bool { state.withLock { $0.hasConnection } }
        var isFinished: Bool { state.withLock { $0.result != nil } }

        /// Answers with `result` only if no connection is held yet (atomically with `acquired`).
        func finishUnlessConnected(_ result: Result<T, any Error>) -> Bool {
            let (answered, waiter): (Bool, CheckedContinuation<T, any Error>?) = state.withLock { state in
                guard !state.hasConnection, state.result == nil else { return (false, nil) }
                state.result = result
                defer { state.waiter = nil }
                return (true, state.waiter)
            }
            waiter?.resume(with: result)
            return answered
        }

        func finish(_ result: Result<T, any Error>) {
            let waiter: CheckedContinuation<T, any Error>? = state.withLock { state in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(with: result)
        }

        func value() async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<T, any Error>? = state.withLock { state in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }

    /// Holds one pooled connection for the whole job (the lock lives in its session), without
    /// the call timeout: a periodic job may legitimately take minutes. Getting the connection
    /// fails fast like any call while the server is down, so a worker's round never waits on it.
    /// Workers therefore need a pool of at least two connections.
    func exclusively<T: Sendable>(_ key: Int64, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await leased(callTimeout: nil) { connection in
            let db = connection.sql(queryLogLevel: nil)
            let row = try await db.raw("SELECT pg_try_advisory_lock(\(bind: key)) AS locked").first()
            guard try row?.decode(column: "locked", as: Bool.self) == true else { return nil }
            do {
                let result = try await body()
                _ = try? await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                return result
            } catch {
                _ = try? await db.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                throw error
            }
        }
    }

    func uniqueViolation(in error: any Error) -> String? {
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "23505" else { return nil }
        return error.serverInfo?[.constraintName] ?? "unique"
    }

    func shutdown() async throws {
        let pools: [Pool] = state.withLock { state in
            state.isShutDown = true
            defer { state.retired = [:] }
            return [state.current] + state.retired.values
        }
        for pool in pools { pool.runTask.cancel() }
        for pool in pools { await pool.runTask.value }
    }
}
