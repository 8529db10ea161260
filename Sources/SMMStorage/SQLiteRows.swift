import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit over one `SQLiteConnection`, like SQLiteKit's own `sql()`, but handing out rows that
/// read the store's column types directly.
///
/// Why: SQLiteKit decodes every column through `SQLiteDataDecoder`, which first asks the Swift
/// runtime whether the type conforms to `SQLiteDataConvertible` (and wraps optionals in a
/// `Decoder` object). Profiled under `status` with 100 ids, those conformance and metadata
/// lookups (and the locks around their caches) were the largest cost of the request
/// (BENCHMARKS.md). Statements, binds, the dialect and the SQLite calls are SQLiteKit's.
struct FastSQLiteDatabase: SQLDatabase {
    let connection: SQLiteConnection
    /// SQLiteKit's database for the same connection: dialect and version come from it.
    let base: any SQLDatabase
    private static let encoder = SQLiteDataEncoder()

    init(_ connection: SQLiteConnection) {
        self.connection = connection
        self.base = connection.sql(queryLogLevel: nil)
    }

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let (sql, rawBinds) = serialize(query)
        let binds: [SQLiteData]
        do {
            binds = try rawBinds.map { try Self.encoder.encode($0) }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return connection.query(sql, binds) { onRow(SQLiteColumnsRow(row: $0)) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        let (sql, rawBinds) = serialize(query)
        try await connection.query(sql, rawBinds.map { try Self.encoder.encode($0) }) { onRow(SQLiteColumnsRow(row: $0)) }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// One SQLite row for SQLKit. `Int64`, `String`, `Bool` and their optionals — every type the
/// store reads — are taken from the column as stored; anything else, or a value stored
/// differently, goes through SQLiteKit's decoder, so results never differ from SQLiteKit's.
struct SQLiteColumnsRow: SQLRow {
    let row: SQLiteRow
    private static let decoder = SQLiteDataDecoder()

    struct MissingColumn: Error, CustomStringConvertible {
        let column: String
        var description: String { "no column \(column) in the row" }
    }

    var allColumns: [String] { row.columns.map(\.name) }

    func contains(column: String) -> Bool { row.column(column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let data = row.column(column) else { return true }
        return data == .null
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let data = row.column(column) else { throw MissingColumn(column: column) }
        if let value = Self.direct(data, as: type) { return value }
        return try Self.decoder.decode(type, from: data)
    }

    /// The value when `D` is one of the store's column types and the data is stored as that
    /// type (or NULL for an optional); nil otherwise. Comparing metadata is cheap; the casts
    /// below are between identical types.
    static func direct<D>(_ data: SQLiteData, as type: D.Type) -> D? {
        switch data {
        case .integer(let number):
            if type == Int64.self || type == Int64?.self { return Int64(number) as? D }
            if type == Bool.self || type == Bool?.self, let bool = data.bool { return bool as? D }
        case .text(let text):
            if type == String.self || type == String?.self { return text as? D }
        case .null:
            if type == Int64?.self { return Int64?.none as? D }
            if type == String?.self { return String?.none as? D }
            if type == Bool?.self { return Bool?.none as? D }
        case .float, .blob:
            break
        }
        return nil
    }
}
