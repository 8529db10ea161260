import Logging
import NIOCore
import NIOPosix
import PostgresKit
@testable import SMMDatabase
import SMMDomain
import SQLiteKit
import SQLiteNIO
import SQLKit
@testable import SMMStorage
import Testing

/// Statements written once with `?`s (`SQLStatement`): the text, the values, and the same rows
/// from both engines as the interpolated `db.raw` they replace.
@Suite struct SQLStatementTests {
    @Test func theTextSplitsAtEachParameterOutsideQuotes() {
        let statement = SQLStatement("SELECT a FROM t WHERE b = ? AND c = 'x' AND d IN (?, ?)")
        #expect(statement.pieces == ["SELECT a FROM t WHERE b = ", " AND c = 'x' AND d IN (", ", ", ")"])
        #expect(statement.parameterCount == 3)
        #expect(SQLStatement("SAVEPOINT smm_txn").pieces == ["SAVEPOINT smm_txn"])
        // Quotes of either kind hide nothing else: the text after them splits as before.
        #expect(SQLStatement("SELECT \"q\", 'it''s' FROM t WHERE x = ?").parameterCount == 1)
    }

    /// A list statement: one `?` per element, each length made once (the same statement again),
    /// lengths past the kept limit made afresh each time.
    @Test func listStatementsAreMadeOncePerLength() {
        let list = SQLStatementList(keepingLengthsUpTo: IDList.maximumCount) { "SELECT id FROM orders WHERE id IN (\($0)) AND user_id = ?" }
        #expect(list.statement(length: 1).sqliteText == "SELECT id FROM orders WHERE id IN (?) AND user_id = ?")
        #expect(list.statement(length: 3).sqliteText == "SELECT id FROM orders WHERE id IN (?, ?, ?) AND user_id = ?")
        #expect(list.statement(length: 3).parameterCount == 4)
        #expect(list.statement(length: 3) === list.statement(length: 3))
        let limit = list.maxKeptLength
        #expect(list.statement(length: limit) === list.statement(length: limit))
        #expect(list.statement(length: limit + 1) !== list.statement(length: limit + 1))
        #expect(list.statement(length: limit + 1).parameterCount == limit + 2)
    }

    /// On SQLite the values skip SQLKit's encoder: they must come out exactly as it makes them.
    @Test func valuesConvertExactlyAsSQLiteKitsEncoder() throws {
        let encoder = SQLiteDataEncoder()
        let values: [SQLValue] = [.int(0), .int(-7), .int(.max), .int(.min), .int(nil), .text(""), .text("ü\u{0}é"), .text(nil)]
        for value in values {
            #expect(value.sqliteData == (try encoder.encode(value.encodable)), "\(value)")
        }
    }

    /// On PostgreSQL a statement serializes to exactly what `db.raw` with `\(bind:)` gave for the
    /// same text and values: the same SQL, the same binds.
    @Test func serializesLikeAnInterpolatedQuery() throws {
        let database = NumberedDatabase(dialect: PostgresDialect())
        let statement = SQLStatement("UPDATE users SET note = ? WHERE id = ? AND balance >= ? AND parent IS ? RETURNING balance")
        let bound = BoundStatement(statement: statement, values: [.text("a'b"), .int(9), .int(5), .int(nil)], database: database)
        var fixed = SQLSerializer(database: database)
        bound.serialize(to: &fixed)
        let parent: Int64? = nil
        let raw: SQLQueryString = """
            UPDATE users SET note = \(bind: "a'b") WHERE id = \(bind: Int64(9)) AND balance >= \(bind: Int64(5)) AND parent IS \(bind: parent) RETURNING balance
            """
        var interpolated = SQLSerializer(database: database)
        raw.serialize(to: &interpolated)
        #expect(fixed.sql == "UPDATE users SET note = $1 WHERE id = $2 AND balance >= $3 AND parent IS $4 RETURNING balance")
        #expect(fixed.sql == interpolated.sql)
        #expect(fixed.binds.map { "\($0)" } == interpolated.binds.map { "\($0)" })
        #expect(fixed.binds.map { "\(type(of: $0))" } == interpolated.binds.map { "\(type(of: $0))" })
    }

    @Test(arguments: TestEngine.available)
    func readsAndWritesTheSameRowsAsRaw(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { location in
            let backend = try await location.open(logger: quietLogger)
            do {
                try await backend.transaction { db in
                    try await db.raw("CREATE TABLE kv (id BIGINT PRIMARY KEY, label TEXT, amount BIGINT)").run()
                }
                let insert = SQLStatement("INSERT INTO kv (id, label, amount) VALUES (?, ?, ?) RETURNING id")
                let ids = try await backend.transaction { db in
                    [
                        try await insert.on(db, .int(1), .text("one"), .int(-5)).first()?.decode(column: "id", as: Int64.self),
                        try await insert.on(db, .int(2), .text(nil), .int(nil)).first()?.decode(column: "id", as: Int64.self),
                        try await insert.on(db, .int(3), .text("it's ü"), .int(.max)).first()?.decode(column: "id", as: Int64.self),
                    ]
                }
                #expect(ids == [1, 2, 3])
                let select = SQLStatement("SELECT id, label, amount FROM kv WHERE id >= ? ORDER BY id")
                let rows = try await backend.read { db in
                    try await select.on(db, .int(1)).all().map {
                        (try $0.decode(column: "label", as: String?.self), try $0.decode(column: "amount", as: Int64?.self))
                    }
                }
                let raw = try await backend.read { db in
                    try await db.raw("SELECT id, label, amount FROM kv WHERE id >= \(bind: Int64(1)) ORDER BY id").all().map {
                        (try $0.decode(column: "label", as: String?.self), try $0.decode(column: "amount", as: Int64?.self))
                    }
                }
                #expect(rows.map(\.0) == ["one", nil, "it's ü"])
                #expect(rows.map(\.1) == [-5, nil, .max])
                #expect(rows.map(\.0) == raw.map(\.0) && rows.map(\.1) == raw.map(\.1))
                // Nothing matches: no row, no error.
                #expect(try await backend.read { db in try await select.on(db, .int(4)).first() } == nil)
            } catch {
                try? await backend.shutdown()
                throw error
            }
            try await backend.shutdown()
        }
    }
}

/// A database that only serializes (for the PostgreSQL dialect test).
private struct NumberedDatabase: SQLDatabase {
    let dialect: any SQLDialect
    var logger: Logger { quietLogger }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var queryLogLevel: Logger.Level? { nil }
    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeSucceededVoidFuture()
    }
}
