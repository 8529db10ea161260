import Foundation
@testable import SMMDatabase
import SQLiteKit
import SQLiteNIO
@testable import SMMStorage
import Testing

/// The store's SQLite rows read `Int64`, `String`, `Bool` and their optionals without SQLiteKit's
/// decoder (a measured hot spot); every answer, value or error, must equal the decoder's.
@Suite struct SQLiteRowsTests {
    static let samples: [SQLiteData] = [
        .integer(0), .integer(1), .integer(2), .integer(-7), .integer(Int.max), .integer(Int.min),
        .text(""), .text("abc"), .text("1"), .text("true"), .text("é ✓"),
        .float(1.5), .float(0), .blob(ByteBuffer(bytes: [1, 2])), .null,
    ]

    /// Real `SQLiteRow`s (their initialiser is internal), one per sample, column `c`.
    static func rows(_ samples: [SQLiteData]) async throws -> [SQLiteRow] {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let connection = try await SQLiteConnection.open(storage: .memory, threadPool: pool, logger: .init(label: "rows"),
                                                         on: MultiThreadedEventLoopGroup.singleton.any())
        var rows: [SQLiteRow] = []
        for data in samples { rows += try await connection.query("SELECT ? AS c", [data]) }
        try await connection.close()
        try await pool.shutdownGracefully()
        return rows
    }

    /// The decoder's answer and the row's, as comparable text ("error" for a thrown error).
    static func both<D: Decodable>(_ row: SQLiteRow, _ type: D.Type) -> (expected: String, actual: String) {
        let expected = (try? SQLiteDataDecoder().decode(type, from: row.column("c")!)).map { "\($0)" } ?? "error"
        let actual = (try? SQLiteColumnsRow(row: row).decode(column: "c", as: type)).map { "\($0)" } ?? "error"
        return (expected, actual)
    }

    @Test func directReadsEqualTheDecoder() async throws {
        let rows = try await Self.rows(Self.samples)
        #expect(rows.count == Self.samples.count)
        for row in rows {
            for pair in [Self.both(row, Int64.self), Self.both(row, Int64?.self), Self.both(row, String.self),
                         Self.both(row, String?.self), Self.both(row, Bool.self), Self.both(row, Bool?.self),
                         Self.both(row, Double.self), Self.both(row, Int.self)] {
                #expect(pair.actual == pair.expected, "\(row)")
            }
        }
        // The direct path is really taken for the stored types, and only for them.
        #expect(SQLiteColumnsRow.readsDirectly(.integer(5), as: Int64?.self))
        #expect(SQLiteColumnsRow.readsDirectly(.null, as: String?.self))
        #expect(SQLiteColumnsRow.readsDirectly(.null, as: Int64?.self))
        #expect(SQLiteColumnsRow.readsDirectly(.text("x"), as: String.self))
        #expect(SQLiteColumnsRow.readsDirectly(.integer(1), as: Bool.self))
        #expect(!SQLiteColumnsRow.readsDirectly(.integer(2), as: Bool.self))
        #expect(!SQLiteColumnsRow.readsDirectly(.integer(5), as: Int.self))
        #expect(!SQLiteColumnsRow.readsDirectly(.null, as: Int64.self))
        #expect(try SQLiteColumnsRow.value(.integer(5), as: Int64?.self) == .some(5))
        #expect(try SQLiteColumnsRow.value(.null, as: String?.self) == .some(nil))
        #expect(try SQLiteColumnsRow.value(.integer(1), as: Bool.self) == true)
    }

    @Test func missingColumnIsAnError() async throws {
        let row = SQLiteColumnsRow(row: try await Self.rows([.integer(1)])[0])
        #expect(throws: (any Error).self) { try row.decode(column: "absent", as: Int64.self) }
        #expect(try row.decodeNil(column: "absent"))
        #expect(!row.contains(column: "absent"))
        #expect(row.allColumns == ["c"])
    }

    /// Columns are found by name as a dictionary would find them: the first of equal names,
    /// names of equal length told apart, a name in another Unicode normalization still found
    /// (`String`'s equality), and the same through the dictionary kept for long column lists.
    @Test func columnsAreFoundByNameAsADictionaryWould() {
        let decomposed = "cafe\u{301}"
        let short = ["id", "type", "runs", "charge", "status", "id", "café", "subscription_fields"]
        let long = short + (0..<SQLiteColumnNames.scannedColumns).map { "extra_\($0)" }
        for names in [short, long] {
            let columns = SQLiteColumnNames(names)
            let dictionary = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            for name in names + ["absent", "ID", "run", "subscription_field", decomposed, ""] {
                #expect(columns.offset(of: name) == dictionary[name], "\(name) among \(names.count) columns")
            }
            #expect(columns.offset(of: decomposed) == 6)
        }
    }
}

/// The store's own SQLite connection (`DirectSQLiteConnection`): statements run on the calling
/// thread from a cache of prepared statements. It must read and write exactly what SQLiteNIO
/// does, and never let a cached statement carry anything from one use to the next.
@Suite struct DirectSQLiteConnectionTests {
    static func withConnection<T>(_ body: (DirectSQLiteConnection) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("direct-\(UUID().uuidString).sqlite").path
        let connection = try DirectSQLiteConnection.open(path: path)
        defer {
            connection.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        return try body(connection)
    }

    static func values(_ connection: DirectSQLiteConnection, _ sql: String, _ binds: [SQLiteData] = []) throws -> [[SQLiteData]] {
        var rows: [[SQLiteData]] = []
        try connection.query(sql, binds) { rows.append($0.values) }
        return rows
    }

    @Test func valuesRoundTripAsSQLiteNIOReadsThem() async throws {
        let samples = SQLiteRowsTests.samples + [.blob(ByteBuffer()), .integer(Int(Int64.min)), .text(String(repeating: "ü", count: 5000))]
        let expected = try await SQLiteRowsTests.rows(samples).map { $0.column("c")! }
        let actual = try Self.withConnection { connection in
            try samples.map { try Self.values(connection, "SELECT ? AS c", [$0])[0][0] }
        }
        #expect(actual == expected)
        // Text is read by its length: a NUL inside survives (SQLiteNIO's C-string read stops there).
        let withNUL = try Self.withConnection { try Self.values($0, "SELECT ? AS c", [.text("a\u{0}b")])[0][0] }
        #expect(withNUL == .text("a\u{0}b"))
    }

    /// The store's binds are converted by their concrete type where it can; the result must be
    /// what SQLiteKit's encoder gives for every value, optionals and other types included.
    @Test func bindsConvertExactlyAsSQLiteKitsEncoder() throws {
        let encoder = SQLiteDataEncoder()
        let binds: [any Encodable & Sendable] = [
            Int64(0), Int64(-7), Int64.max, Int64.min, 42, Int.min, "", "text", "ü\u{0}é", true, false,
            Int64?.some(5), Int64?.none, String?.some("x"), String?.none, Bool?.some(true), Bool?.none,
            2.5, Double?.none, Int32(9), UInt8(200), ["a": "b"],
        ]
        for bind in binds {
            #expect(try DirectSQLiteDatabase.sqliteData(bind) == (try encoder.encode(bind)), "\(bind)")
        }
    }

    @Test func cachedStatementsStartCleanEachTime() throws {
        try Self.withConnection { connection in
            try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
            for name in ["a", "b", "c"] { try connection.query("INSERT INTO t (name) VALUES (?)", [.text(name)]) { _ in } }
            // Stopped after one row: the next use starts again from the first.
            var first: [SQLiteData] = []
            struct Stop: Error {}
            #expect(throws: Stop.self) {
                try connection.query("SELECT name FROM t ORDER BY id", []) { row in first = row.values; throw Stop() }
            }
            #expect(first == [.text("a")])
            #expect(try Self.values(connection, "SELECT name FROM t ORDER BY id") == [[.text("a")], [.text("b")], [.text("c")]])
            // A bind of one use is not left for the next (a missing bind is NULL).
            #expect(try Self.values(connection, "SELECT ? IS NULL AS n", [.text("x")]) == [[.integer(0)]])
            #expect(try Self.values(connection, "SELECT ? IS NULL AS n") == [[.integer(1)]])
        }
    }

    @Test func moreStatementsThanTheCacheHoldsStillAnswerRightly() throws {
        try Self.withConnection { connection in
            for round in 0..<2 {
                for n in 0..<(DirectSQLiteConnection.maxCachedStatements + 10) {
                    let answer = try Self.values(connection, "SELECT \(n) + ? AS v", [.integer(round)])
                    #expect(answer == [[.integer(n + round)]])
                }
            }
        }
    }

    @Test func errorsCarrySQLitesMessageAndChangeNothing() throws {
        try Self.withConnection { connection in
            try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
            try connection.query("INSERT INTO t (name) VALUES (?)", [.text("a")]) { _ in }
            let error = try #require(throws: SQLiteFailure.self) {
                try connection.query("INSERT INTO t (name) VALUES (?)", [.text("a")]) { _ in }
            }
            #expect(error.message == "UNIQUE constraint failed: t.name")
            #expect(throws: SQLiteFailure.self) { try connection.execute("SELECT * FROM nowhere") }
            #expect(try Self.values(connection, "SELECT COUNT(*) AS n FROM t") == [[.integer(1)]])
        }
    }

    @Test func onlyOneStatementPerCall() throws {
        try Self.withConnection { connection in
            try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            // SQLite would run the first and silently skip the rest.
            #expect(throws: SQLiteFailure.self) { try connection.execute("INSERT INTO t DEFAULT VALUES; DROP TABLE t") }
            #expect(try Self.values(connection, "SELECT COUNT(*) AS n FROM t;  \n") == [[.integer(0)]])
        }
    }

    @Test func aClosedConnectionRefuses() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("closed-\(UUID().uuidString).sqlite").path
        let connection = try DirectSQLiteConnection.open(path: path)
        connection.close()
        #expect(throws: SQLiteFailure.self) { try connection.execute("SELECT 1") }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Kept statements are worth keeping only if SQLite does not compile them again at each use
/// (it does when a plan depends on a bound value). The API's hot paths, used repeatedly with
/// different values, must stay compiled.
@Suite struct KeptStatementsTests {
    @Test func theAPIsHotStatementsAreNotRecompiled() async throws {
        try await TestPanel.with(.sqlite) { panel in
            // Ids above 1: SQLite also recompiles a join when a bound value moves to or from 0 or 1
            // (it estimates such terms differently), which real ids do once at most.
            _ = try await panel.customer("first", balance: "0")
            _ = try await panel.service(.default, rate: "1", min: 10, max: 1000)
            let (_, key) = try await panel.customer(balance: "100")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000)
            let backend = try #require(panel.store.backend as? SQLiteBackend)
            try await panel.live { api in
                func round(_ index: Int) async throws {
                    let added = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                    ("link", "https://kept.test/\(index)"), ("quantity", "\(10 * index)")])
                    #expect(added.hasPrefix(#"{"order":"#))
                    _ = try await api.call([("key", key), ("action", "status"), ("order", "\(index)")])
                    _ = try await api.call([("key", key), ("action", "status"), ("orders", "1,\(index)")])
                    _ = try await api.call([("key", key), ("action", "balance")])
                }
                // The first round compiles them (and meets the schema the migrations just wrote).
                try await round(1)
                let before = backend.recompiledStatements()
                for index in 2...9 { try await round(index) }
                #expect(backend.recompiledStatements() == before)
            }
        }
    }
}
