import Foundation
import Logging
@testable import SMMDatabase
import SMMDomain
@testable import SMMStorage
import SQLKit
import Synchronization
import Testing

/// SQLite's group commit: transactions queued behind the writer share one COMMIT, yet each
/// keeps `transaction`'s contract — all-or-nothing on its own, its own error unchanged, and
/// durable once it returns.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable { let value: Int }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    static func withBackend<T: Sendable>(_ body: (SQLiteBackend, String) async throws -> T) async throws -> T {
        try await TestDatabase.with(.sqlite) { location in
            guard case .sqliteFile(let path) = location else { fatalError("SQLite location expected") }
            let backend = try await SQLiteBackend.open(path: path, readers: 2, logger: quietLogger)
            do {
                try await backend.transaction { db in
                    try await db.raw("CREATE TABLE parent (id INTEGER PRIMARY KEY)").run()
                    try await db.raw("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id))").run()
                    try await db.raw("CREATE TABLE t (x INTEGER NOT NULL)").run()
                }
                let result = try await body(backend, path)
                try await backend.shutdown()
                return result
            } catch {
                try? await backend.shutdown()
                throw error
            }
        }
    }

    static func values(_ backend: SQLiteBackend) async throws -> [Int] {
        try await backend.read { db in
            try await db.raw("SELECT x FROM t ORDER BY x").all().map { Int(try $0.decode(column: "x", as: Int64.self)) }
        }
    }

    /// Runs `first` (which waits until `queued` transactions are queued behind it) and the
    /// `others` concurrently, so that they all land in one batch; returns each one's result.
    static func batch(_ backend: SQLiteBackend, queued: Int,
                      others: [@Sendable (any SQLDatabase) async throws -> Void]) async -> (first: Result<Void, any Error>, others: [Int: Result<Void, any Error>]) {
        let holding = Flag()
        return await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
            group.addTask {
                do {
                    try await backend.transaction { db in
                        holding.set()
                        try await db.raw("INSERT INTO t (x) VALUES (-1)").run()
                        while backend.queuedTransactions() < queued { try await Task.sleep(for: .milliseconds(2)) }
                    }
                    return (-1, .success(()))
                } catch { return (-1, .failure(error)) }
            }
            // The others queue up only once the first holds the writer.
            while !holding.isSet { try? await Task.sleep(for: .milliseconds(1)) }
            for (index, body) in others.enumerated() {
                group.addTask {
                    do {
                        try await backend.transaction(body)
                        return (index, .success(()))
                    } catch { return (index, .failure(error)) }
                }
            }
            var first: Result<Void, any Error> = .success(())
            var results: [Int: Result<Void, any Error>] = [:]
            for await (index, result) in group {
                if index < 0 { first = result } else { results[index] = result }
            }
            return (first, results)
        }
    }

    /// Transaction bodies run on the writer's own thread, batched ones included; reads and the
    /// caller after its transaction do not.
    @Test func transactionsRunOnTheWritersThread() async throws {
        try await Self.withBackend { backend, _ in
            #expect(!backend.isOnWriterThread)
            #expect(try await backend.transaction { _ in backend.isOnWriterThread })
            #expect(!backend.isOnWriterThread)
            #expect(try await backend.read { _ in backend.isOnWriterThread } == false)
            let places = try await withThrowingTaskGroup(of: Bool.self) { group in
                for value in 0..<20 {
                    group.addTask {
                        try await backend.transaction { db in
                            try await db.raw("INSERT INTO t (x) VALUES (\(bind: value))").run()
                            return backend.isOnWriterThread
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(places == Array(repeating: true, count: 20))
            #expect(try await Self.values(backend) == Array(0..<20))
        }
    }

    /// The writer's thread runs ahead of the HTTP threads where the system allows it (root, as
    /// in CI, or `CAP_SYS_NICE`/`RLIMIT_NICE`); its jobs run, and it ends with the backend.
    @Test func theWritersThreadRunsAtItsOwnPriority() async throws {
        let executor = WriterExecutor(label: "test.writer")
        if getuid() == 0 { #expect(executor.nice == WriterExecutor.niceValue) } else { #expect([0, WriterExecutor.niceValue].contains(executor.nice)) }
        let ran = await withTaskExecutorPreference(executor) { executor.isCurrent }
        #expect(ran)
        #expect(!executor.isCurrent)
        executor.stop()
    }

    /// `BEGIN IMMEDIATE` runs on the writer's thread without waiting; when another connection
    /// (another process) holds the write lock, the transaction waits for it instead of failing.
    @Test func aTransactionWaitsForAnotherConnectionsWriteLock() async throws {
        try await Self.withBackend { backend, path in
            let other = try DirectSQLiteConnection.open(path: path)
            defer { other.close() }
            try other.execute("BEGIN IMMEDIATE")
            try other.execute("INSERT INTO t (x) VALUES (1)")
            let finished = Flag()
            let waiting = Task {
                try await backend.transaction { db in try await db.raw("INSERT INTO t (x) VALUES (2)").run() }
                finished.set()
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(!finished.isSet)
            try other.execute("COMMIT")
            try await waiting.value
            #expect(try await Self.values(backend) == [1, 2])
        }
    }

    @Test func failingBodyInBatchAffectsOnlyItself() async throws {
        try await Self.withBackend { backend, _ in
            let before = backend.commits.withLock { $0 }
            let bodies: [@Sendable (any SQLDatabase) async throws -> Void] = (0..<20).map { value in
                { db in
                    try await db.raw("INSERT INTO t (x) VALUES (\(bind: value))").run()
                    if value % 5 == 0 { throw Refused(value: value) }
                }
            }
            let (first, results) = await Self.batch(backend, queued: 20, others: bodies)
            #expect((try? first.get()) != nil)
            for value in 0..<20 {
                let result = try #require(results[value])
                if value % 5 == 0 {
                    // Its own error, unchanged, and none of its writes.
                    #expect(throws: Refused(value: value)) { try result.get() }
                } else {
                    #expect((try? result.get()) != nil)
                }
            }
            #expect(try await Self.values(backend) == [-1] + (0..<20).filter { $0 % 5 != 0 })
            // They shared COMMITs: 21 transactions, fewer fsyncs.
            let after = backend.commits.withLock { $0 }
            #expect(after.transactions - before.transactions == 21)
            #expect(after.commits - before.commits < 21)
        }
    }

    /// More queued than one batch holds: the runner stops at `maxBatch`, hands over, and the
    /// next queued caller runs the rest; every transaction is committed once.
    @Test func aFullBatchHandsTheRestToTheNextCaller() async throws {
        try await Self.withBackend { backend, _ in
            let before = backend.commits.withLock { $0 }
            let count = SQLiteBackend.maxBatch * 2 + 10
            let bodies: [@Sendable (any SQLDatabase) async throws -> Void] = (0..<count).map { value in
                { db in try await db.raw("INSERT INTO t (x) VALUES (\(bind: value))").run() }
            }
            let (first, results) = await Self.batch(backend, queued: count, others: bodies)
            #expect((try? first.get()) != nil)
            #expect(results.count == count && results.values.allSatisfy { (try? $0.get()) != nil })
            #expect(try await Self.values(backend) == [-1] + Array(0..<count))
            let after = backend.commits.withLock { $0 }
            #expect(after.transactions - before.transactions == count + 1)
            // 139 transactions queued at once: three batches at most 64 each, so at least three COMMITs.
            #expect(after.commits - before.commits >= 3)
            #expect(backend.queuedTransactions() == 0)
            // The writer is idle again: a lone transaction commits at once.
            try await backend.transaction { db in try await db.raw("INSERT INTO t (x) VALUES (\(bind: count))").run() }
            #expect(backend.commits.withLock { $0 }.commits == after.commits + 1)
        }
    }

    @Test func failingCommitFailsTheWholeBatch() async throws {
        try await Self.withBackend { backend, _ in
            var bodies: [@Sendable (any SQLDatabase) async throws -> Void] = (0..<10).map { value in
                { db in try await db.raw("INSERT INTO t (x) VALUES (\(bind: value))").run() }
            }
            // A deferred foreign key passes its own statement and RELEASE, and fails at COMMIT.
            bodies.insert({ db in
                try await db.raw("PRAGMA defer_foreign_keys = ON").run()
                try await db.raw("INSERT INTO child (id, parent_id) VALUES (1, 999)").run()
            }, at: 5)
            let (first, results) = await Self.batch(backend, queued: bodies.count, others: bodies)
            #expect((try? first.get()) == nil, "the first of the batch was acknowledged though its COMMIT failed")
            #expect(results.count == bodies.count)
            for (index, result) in results {
                #expect((try? result.get()) == nil, "transaction \(index) was acknowledged though its COMMIT failed")
            }
            // Nothing of the batch is visible.
            #expect(try await Self.values(backend).isEmpty)
            let children = try await backend.read { try await $0.raw("SELECT COUNT(*) AS n FROM child").first()!.decode(column: "n", as: Int64.self) }
            #expect(children == 0)
            // The writer is usable again afterwards.
            try await backend.transaction { db in try await db.raw("INSERT INTO t (x) VALUES (42)").run() }
            #expect(try await Self.values(backend) == [42])
        }
    }

    @Test func loneTransactionCommitsAtOnce() async throws {
        try await Self.withBackend { backend, _ in
            let before = backend.commits.withLock { $0 }
            for value in 0..<3 {
                try await backend.transaction { db in try await db.raw("INSERT INTO t (x) VALUES (\(bind: value))").run() }
                // Visible to a reader as soon as it returned.
                #expect(try await Self.values(backend) == Array(0...value))
            }
            let after = backend.commits.withLock { $0 }
            #expect(after.commits - before.commits == 3)
        }
    }

    @Test func concurrentAddsAreAllDurable() async throws {
        try await TestDatabase.with(.sqlite) { location in
            let backend = try await location.open(logger: quietLogger)
            let store = PanelStore(backend: backend)
            let acknowledged: [Int64]
            let userID: UserID
            do {
                try await store.migrate()
                let (user, _) = try await store.createUser(username: "racer")
                userID = user.id
                _ = try await store.addFunds(userID: user.id, amount: Money(parsing: "1000")!, memo: "funds")
                let service = try await store.createService(ServiceDraft(name: "s", categoryName: "c", type: .default,
                                                                          rate: Money(parsing: "1")!, min: 10, max: 1000))
                let customer = try #require(try await store.user(id: user.id))
                acknowledged = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<200 {
                        group.addTask {
                            try await store.placeOrder(user: customer, service: service,
                                                       fields: ["link": "https://durable.test/\(index)", "quantity": "100"]).id.rawValue
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                try await backend.shutdown()
            } catch {
                try? await backend.shutdown()
                throw error
            }
            #expect(acknowledged.count == 200)

            // Closed and opened again: every acknowledged order, its charge, and nothing else.
            let reopened = try await location.open(logger: quietLogger)
            let again = PanelStore(backend: reopened)
            do {
                let found = try await again.orders(ids: acknowledged.map { OrderID($0) }, userID: userID)
                #expect(Set(found.keys.map(\.rawValue)) == Set(acknowledged))
                #expect(try await again.ledgerProblems().isEmpty)
                #expect(try await again.user(id: userID)?.balance == Money(parsing: "980"))
                try await reopened.shutdown()
            } catch {
                try? await reopened.shutdown()
                throw error
            }
        }
    }
}
