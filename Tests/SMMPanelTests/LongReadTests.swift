import Foundation
@testable import SMMStorage
import SQLKit
import Synchronization
import Testing

/// Long reads (an admin's search through every order, reports) must not hold the threads the
/// API's requests run on: on SQLite they run on a connection and a thread of their own.
@Suite struct LongReadTests {
    final class Durations: Sendable {
        private let values = Mutex([Duration]())
        func add(_ duration: Duration) { values.withLock { $0.append(duration) } }
        var all: [Duration] { values.withLock { $0 } }
    }

    /// Counts to three million in SQL: about a second of one thread.
    static let slowStatement: SQLQueryString = """
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) AS n FROM c
        """

    @Test func longReadsLeaveTheAPIsThreadsAndConnectionsFree() async throws {
        try await GroupCommitTests.withBackend { backend, _ in
            // More long reads at once than the executor has threads and the backend has read
            // connections (2 here): run as ordinary reads, they would hold all of either, and
            // nothing else — this test's own task included — could go on until one ended.
            let scans = max(2, ProcessInfo.processInfo.activeProcessorCount) + 1
            let durations = Durations()
            let launched = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<scans {
                    group.addTask {
                        let started = ContinuousClock.now
                        let n = try await backend.scan { db in
                            try await db.raw(Self.slowStatement).first()?.decode(column: "n", as: Int64.self)
                        }
                        durations.add(ContinuousClock.now - started)
                        #expect(n == 3_000_000)
                    }
                }
                try await Task.sleep(for: .milliseconds(20))
                // A request's read and write go on meanwhile.
                let one = try await backend.read { db in try await db.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int64.self) }
                try await backend.transaction { db in try await db.raw("INSERT INTO t (x) VALUES (1)").run() }
                let answered = ContinuousClock.now - launched
                #expect(one == 1)
                try await group.waitForAll()
                // Compared with the long reads of the same run, not with a fixed time: had the
                // request waited for one of them, it would have taken at least as long.
                let shortestScan = try #require(durations.all.min())
                #expect(answered * 2 < shortestScan, "the request took \(answered); the shortest long read \(shortestScan)")
            }
            #expect(durations.all.count == scans)
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
