import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// One SQLite row for SQLKit. `Int64`, `String`, `Bool` and their optionals — the column types
/// read on the hot paths — are taken from the column as stored; anything else, or a value stored
/// differently, goes through SQLiteKit's decoder, so results never differ from SQLiteKit's.
///
/// Why: SQLiteKit decodes every column through `SQLiteDataDecoder`, which first asks the Swift
/// runtime whether the type conforms to `SQLiteDataConvertible` (and wraps optionals in a
/// `Decoder` object). Reading 100 rows, those conformance and metadata lookups (and the
/// locks around their caches) would be the largest cost of the read (BENCHMARKS.md).
struct SQLiteColumnsRow: SQLRow {
    let columns: SQLiteColumnNames
    let values: [SQLiteData]
    private static let decoder = SQLiteDataDecoder()

    init(columns: SQLiteColumnNames, values: [SQLiteData]) {
        self.columns = columns
        self.values = values
    }

    /// The same row as SQLiteNIO read it.
    init(row: SQLiteRow) {
        self.init(columns: SQLiteColumnNames(row.columns.map(\.name)), values: row.columns.map(\.data))
    }

    private func data(_ column: String) -> SQLiteData? {
        columns.offset(of: column).map { values[$0] }
    }

    struct MissingColumn: Error, CustomStringConvertible {
        let column: String
        var description: String { "no column \(column) in the row" }
    }

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool { columns.offset(of: column) != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let data = data(column) else { return true }
        return data == .null
    }

    // Specialized for the hot column types: called through `SQLRow` with `D` only known at
    // run time, the generic body looked up metadata for `D` on every column (`getGenericMetadata`
    // under `status` with 100 ids); these copies are chosen by one type check at entry.
    @_specialize(where D == Int64)
    @_specialize(where D == Int64?)
    @_specialize(where D == String)
    @_specialize(where D == String?)
    @_specialize(where D == Bool)
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let data = data(column) else { throw MissingColumn(column: column) }
        return try Self.value(data, as: type)
    }

    /// The column's value as `D`: read as stored when `D` is one of the hot column types and
    /// the data is stored as that type (or NULL for an optional), else through the decoder.
    static func value<D: Decodable>(_ data: SQLiteData, as type: D.Type) throws -> D {
        try withUnsafeTemporaryAllocation(of: D.self, capacity: 1) { slot in
            let slot = slot.baseAddress!
            if readDirectly(data, into: slot) { return slot.move() }
            return try decoder.decode(type, from: data)
        }
    }

    /// Whether `value(_:as:)` reads `data` as `type` without the decoder (for tests).
    static func readsDirectly<D>(_ data: SQLiteData, as type: D.Type) -> Bool {
        withUnsafeTemporaryAllocation(of: D.self, capacity: 1) { slot in
            let slot = slot.baseAddress!
            guard readDirectly(data, into: slot) else { return false }
            slot.deinitialize(count: 1)
            return true
        }
    }

    /// Stores the value in `slot` and returns true when `D` is one of the hot column types
    /// and `data` is stored as that type (or NULL for an optional); false, `slot` untouched,
    /// otherwise.
    ///
    /// Hands `D` back through a slot, never as `D?`: a generic `D?` makes the runtime look up
    /// `Optional<D>`'s metadata on every call, for every column read (BENCHMARKS.md).
    private static func readDirectly<D>(_ data: SQLiteData, into slot: UnsafeMutablePointer<D>) -> Bool {
        let kind = ObjectIdentifier(D.self)
        switch data {
        case .integer(let number):
            if kind == Kinds.int64 { slot.initialize(to: unsafeBitCast(Int64(number), to: D.self)); return true }
            if kind == Kinds.optionalInt64 { slot.initialize(to: unsafeBitCast(Int64?.some(Int64(number)), to: D.self)); return true }
            if let bool = data.bool {
                if kind == Kinds.bool { slot.initialize(to: unsafeBitCast(bool, to: D.self)); return true }
                if kind == Kinds.optionalBool { slot.initialize(to: unsafeBitCast(Bool?.some(bool), to: D.self)); return true }
            }
        case .text(let text):
            if kind == Kinds.string { slot.initialize(to: unsafeBitCast(text, to: D.self)); return true }
            if kind == Kinds.optionalString { slot.initialize(to: unsafeBitCast(String?.some(text), to: D.self)); return true }
        case .null:
            if kind == Kinds.optionalInt64 { slot.initialize(to: unsafeBitCast(Int64?.none, to: D.self)); return true }
            if kind == Kinds.optionalString { slot.initialize(to: unsafeBitCast(String?.none, to: D.self)); return true }
            if kind == Kinds.optionalBool { slot.initialize(to: unsafeBitCast(Bool?.none, to: D.self)); return true }
        case .float, .blob:
            break
        }
        return false
    }

    /// The types' identities, looked up once: spelling `Int64?.self` in `readDirectly` instantiates
    /// `Optional<Int64>`'s metadata on every call, through a locked runtime cache.
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
