import Foundation
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
        #expect(SQLiteColumnsRow.direct(.integer(5), as: Int64?.self) == .some(5))
        #expect(SQLiteColumnsRow.direct(.null, as: String?.self) == .some(nil))
        #expect(SQLiteColumnsRow.direct(.null, as: Int64?.self) == .some(nil))
        #expect(SQLiteColumnsRow.direct(.text("x"), as: String.self) == "x")
        #expect(SQLiteColumnsRow.direct(.integer(1), as: Bool.self) == true)
        #expect(SQLiteColumnsRow.direct(.integer(5), as: Int.self) == nil)
        #expect(SQLiteColumnsRow.direct(.null, as: Int64.self) == nil)
    }

    @Test func missingColumnIsAnError() async throws {
        let row = SQLiteColumnsRow(row: try await Self.rows([.integer(1)])[0])
        #expect(throws: (any Error).self) { try row.decode(column: "absent", as: Int64.self) }
        #expect(try row.decodeNil(column: "absent"))
        #expect(!row.contains(column: "absent"))
        #expect(row.allColumns == ["c"])
    }
}
