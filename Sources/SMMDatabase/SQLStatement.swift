import SQLKit
import SQLiteNIO
import Synchronization

/// A statement whose text is fixed when the program starts, with `?` where values go: for the
/// statements on the hottest write and read paths.
///
/// Why not an interpolated `db.raw(…)` there: SQLKit builds the query anew on each call and then
/// serializes it (a `String` per fragment, a protocol cast and an existential box per value),
/// on `add`'s path inside the writer's critical section, where every microsecond delays the
/// whole queue behind it (BENCHMARKS.md). Here the text is made once; on SQLite
/// the values go straight to the prepared statement. On PostgreSQL the statement is serialized
/// through SQLKit as usual (`$1`, `$2`, … from its dialect), so one text serves both engines.
///
/// Every `?` in the text is a parameter: the statements written this way hold no `?` in string
/// literals (the initializer refuses quoted text with one).
public final class SQLStatement: Sendable {
    /// The text around the parameters: one more piece than parameters.
    let pieces: [String]
    /// The text as SQLite reads it (`?` parameters).
    let sqliteText: String

    public init(_ text: String) {
        var pieces: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                precondition(character != "?", "a `?` inside a quoted literal of \(text)")
                if character == open { quote = nil }
                current.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == "?" {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        self.pieces = pieces
        self.sqliteText = text
    }

    public var parameterCount: Int { pieces.count - 1 }

    /// This statement with these values, to run on `db` (`.run()`, `.first()`, `.all()`).
    public func on(_ db: any SQLDatabase, _ values: SQLValue...) -> BoundStatement {
        on(db, values: values)
    }

    public func on(_ db: any SQLDatabase, values: [SQLValue]) -> BoundStatement {
        precondition(values.count == parameterCount, "\(values.count) values for \(parameterCount) parameters of \(sqliteText)")
        return BoundStatement(statement: self, values: values, database: db)
    }
}

/// `SQLStatement`s that differ only in the length of a list (`IN (?, ?, …)`, or the rows
/// `(?, ?), (?, ?), …` of a many-row INSERT), each length's made once: through SQLKit a
/// 100-value list would be built and serialized on every call (a `String` and an existential per
/// value; BENCHMARKS.md).
public final class SQLStatementList: Sendable {
    /// Lengths kept at most (the longest list a caller expects); a longer list is made each time.
    public let maxKeptLength: Int
    private let item: String
    private let make: @Sendable (_ placeholders: String) -> String
    private let made = Mutex<[Int: SQLStatement]>([:])

    /// `make` gets the list's `item, item, …` (`?, ?, …` by default) and returns the statement's text.
    public init(keepingLengthsUpTo maxKeptLength: Int, item: String = "?",
                _ make: @escaping @Sendable (_ placeholders: String) -> String) {
        self.maxKeptLength = maxKeptLength
        self.item = item
        self.make = make
    }

    /// The statement for a list of `length` (at least 1).
    public func statement(length: Int) -> SQLStatement {
        precondition(length > 0, "an empty list")
        if let kept = made.withLock({ $0[length] }) { return kept }
        let statement = SQLStatement(make(Array(repeating: item, count: length).joined(separator: ", ")))
        if length <= maxKeptLength { made.withLock { $0[length] = statement } }
        return statement
    }
}

/// A value for a parameter of an `SQLStatement`: the two types the hot statements bind.
public enum SQLValue: Sendable, Equatable {
    case int(Int64?)
    case text(String?)

    /// As SQLKit binds it: what `\(bind:)` passes for the same value (the value itself; a nil as
    /// an optional of its type, so PostgreSQL still learns the column's type).
    var encodable: any Encodable & Sendable {
        switch self {
        case .int(let value?): value
        case .text(let value?): value
        case .int(nil): Int64?.none
        case .text(nil): String?.none
        }
    }

    /// As SQLite stores it (what SQLiteKit's encoder makes of `encodable`; a test compares them).
    var sqliteData: SQLiteData {
        switch self {
        case .int(let value?): .integer(Int(value))
        case .text(let value?): .text(value)
        case .int(nil), .text(nil): .null
        }
    }
}

/// An `SQLStatement` with its values: an SQLKit query like any other.
public final class BoundStatement: SQLQueryFetcher, SQLExpression {
    let statement: SQLStatement
    let values: [SQLValue]
    public let database: any SQLDatabase

    init(statement: SQLStatement, values: [SQLValue], database: any SQLDatabase) {
        self.statement = statement
        self.values = values
        self.database = database
    }

    public var query: any SQLExpression { self }

    public func serialize(to serializer: inout SQLSerializer) {
        for (index, piece) in statement.pieces.enumerated() {
            serializer.write(piece)
            if index < values.count { serializer.write(bind: values[index].encodable) }
        }
    }
}
