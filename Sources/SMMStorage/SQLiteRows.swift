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
    /// type (or NULL for an optional); nil otherwise.
    static func direct<D>(_ data: SQLiteData, as type: D.Type) -> D? {
        let kind = ObjectIdentifier(type)
        switch data {
        case .integer(let number):
            if kind == Kinds.int64 { return unsafeBitCast(Int64(number), to: D.self) }
            if kind == Kinds.optionalInt64 { return unsafeBitCast(Int64?.some(Int64(number)), to: D.self) }
            guard let bool = data.bool else { return nil }
            if kind == Kinds.bool { return unsafeBitCast(bool, to: D.self) }
            if kind == Kinds.optionalBool { return unsafeBitCast(Bool?.some(bool), to: D.self) }
        case .text(let text):
            if kind == Kinds.string { return unsafeBitCast(text, to: D.self) }
            if kind == Kinds.optionalString { return unsafeBitCast(String?.some(text), to: D.self) }
        case .null:
            if kind == Kinds.optionalInt64 { return unsafeBitCast(Int64?.none, to: D.self) }
            if kind == Kinds.optionalString { return unsafeBitCast(String?.none, to: D.self) }
            if kind == Kinds.optionalBool { return unsafeBitCast(Bool?.none, to: D.self) }
        case .float, .blob:
            break
        }
        return nil
    }

    /// The types' identities, looked up once: spelling `Int64?.self` in `direct` instantiated
    /// `Optional<Int64>`'s metadata on every call, through a locked runtime cache (profiled).
    /// `unsafeBitCast` above is only reached when `D` is exactly the type cast from.
    private enum Kinds {
        static let int64 = ObjectIdentifier(Int64.self)
        static let optionalInt64 = ObjectIdentifier(Int64?.self)
        static let string = ObjectIdentifier(String.self)
        static let optionalString = ObjectIdentifier(String?.self)
        static let bool = ObjectIdentifier(Bool.self)
        static let optionalBool = ObjectIdentifier(Bool?.self)
    }
}
