import Foundation
@testable import SMMStorage
import SQLKit
import Synchronization
import Testing

/// Long reads (an admin's search through every order, reports) must not hold the threads the
/// API's requests run on: on SQLite they run on a connection and a thread of their own.
@Suite struct LongReadTests {
    /// Counts to a million in SQL: a long statement.
    static let slowStatement: SQLQueryString = """
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT count(*) AS n FROM c
        """

    /// The name of the thread running this (NIO names its pool threads `TP-#…`).
    static func threadName() -> String { Thread.current.name ?? "" }

    /// The thread a statement's rows are produced on: the one its statement runs on.
    static func statementThread(_ db: any SQLDatabase) async throws -> String {
        let name = Mutex("")
        try await db.execute(sql: SQLRaw("SELECT 1")) { _ in
            let thread = threadName()
            name.withLock { $0 = thread }
        }
        return name.withLock { $0 }
    }

    /// Where statements run is the point (not how long anything takes): a scan's on the
    /// backend's own thread, an ordinary read's on the caller's.
    @Test func scansRunOnTheirOwnThreadReadsOnTheCallers() async throws {
        try await GroupCommitTests.withBackend { backend, _ in
            let scanThread = try await backend.scan { try await Self.statementThread($0) }
            let readThread = try await backend.read { try await Self.statementThread($0) }
            #expect(scanThread.hasPrefix("TP-#"), "\(scanThread)")
            #expect(!readThread.hasPrefix("TP-#"), "\(readThread)")
            #expect(try await backend.scan { try await Self.statementThread($0) } == scanThread)
        }
    }

    /// More long reads at once than the backend has read connections: each completes, and a
    /// request's read and write go on meanwhile.
    @Test func concurrentLongReadsAllComplete() async throws {
        try await GroupCommitTests.withBackend { backend, _ in
            try await withThrowingTaskGroup(of: Int64?.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await backend.scan { try await $0.raw(Self.slowStatement).first()?.decode(column: "n", as: Int64.self) } }
                }
                let one = try await backend.read { try await $0.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int64.self) }
                try await backend.transaction { try await $0.raw("INSERT INTO t (x) VALUES (1)").run() }
                #expect(one == 1)
                for try await n in group { #expect(n == 1_000_000) }
            }
            #expect(try await GroupCommitTests.values(backend) == [1])
        }
    }

    /// A scan sees what was committed before it, like any read; and it fails cleanly.
    @Test func scansReadCommittedDataAndReportErrors() async throws {
        try await GroupCommitTests.withBackend { backend, _ in
            try await backend.transaction { db in try await db.raw("INSERT INTO t (x) VALUES (7), (8)").run() }
            let sum = try await backend.scan { db in
                try await db.raw("SELECT CAST(SUM(x) AS BIGINT) AS s FROM t WHERE x > \(bind: Int64(6))").first()?.decode(column: "s", as: Int64.self)
            }
            #expect(sum == 15)
            await #expect(throws: (any Error).self) { try await backend.scan { db in try await db.raw("SELECT nope FROM t").run() } }
            // Read-only, as every reader.
            await #expect(throws: (any Error).self) { try await backend.scan { db in try await db.raw("INSERT INTO t (x) VALUES (9)").run() } }
            #expect(try await GroupCommitTests.values(backend) == [7, 8])
        }
    }
}
