import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization
// SQLiteNIO's own copy of SQLite (its `sqlite_nio_`-prefixed C API). The same copy as every
// other connection in the process: two copies of SQLite on one file would not see each
// other's POSIX locks, and that corrupts databases.
import VaporCSQLite

/// An error SQLite reported on a `DirectSQLiteConnection`: its extended result code and message.
struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    var description: String { "SQLite error \(code): \(message)" }
    /// Another connection holds the lock the statement needed (any of SQLite's BUSY codes).
    var isBusy: Bool { code & 0xff == SQLITE_BUSY }
}

/// One SQLite connection whose statements run synchronously on the calling thread, prepared
/// once and kept.
///
/// Why not SQLiteNIO's `SQLiteConnection.query`: it sends every statement to a thread pool and
/// back through an event loop (and every row through the event loop on its own), then resumes
/// the caller on another thread; and it compiles the SQL again each time. Those hops and the
/// SQL parser would be most of a request's cost, while the statements themselves take
/// microseconds (BENCHMARKS.md). Here a statement costs its own work.
///
/// What may block stays off the caller's thread: the backend sends lock waits (`BEGIN
/// IMMEDIATE`, with its busy timeout) and fsyncs (`COMMIT`) to a thread pool.
///
/// Thread safety: every use of the handle happens under `state`'s lock, one statement at a time.
final class DirectSQLiteConnection: Sendable {
    private struct State: ~Copyable {
        var handle: OpaquePointer?
        var statements: [String: PreparedStatement] = [:]
    }

    /// A compiled statement and its result columns, kept for the next use of the same SQL.
    private struct PreparedStatement {
        let handle: OpaquePointer
        let columns: SQLiteColumnNames
    }

    /// Statements kept at most; past it, all are finalized and the cache starts again (SQL with
    /// a variable number of `?`, such as `IN (…)` lists, makes a new text per length).
    static let maxCachedStatements = 256

    private let state: Mutex<State>

    private static let initialized = Mutex(false)

    private init(handle: sending OpaquePointer) {
        self.state = Mutex(State(handle: handle))
    }

    /// Opens (creating if needed) the database file at `path`.
    static func open(path: String) throws -> DirectSQLiteConnection {
        initialized.withLock { done in
            if !done { sqlite_nio_sqlite3_initialize(); done = true }
        }
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let code = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite_nio_sqlite3_close(handle)
            throw SQLiteFailure(code: code, message: "cannot open the SQLite database at \(path): \(message)")
        }
        return DirectSQLiteConnection(handle: handle)
    }

    /// Runs one statement: binds `binds` to its `?`s in order and hands each result row to
    /// `onRow`, on this thread, before returning.
    func query(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteColumnsRow) throws -> Void) throws {
        try state.withLock { state in try Self.run(sql, binds, onRow, &state) }
    }

    /// `query`, but only if no other thread is using the connection right now; false if one is
    /// (nothing ran).
    func queryIfIdle(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteColumnsRow) throws -> Void) throws -> Bool {
        try state.withLockIfAvailable { state in try Self.run(sql, binds, onRow, &state) } != nil
    }

    private static func run(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteColumnsRow) throws -> Void,
                            _ state: inout sending State) throws {
        guard let db = state.handle else {
            throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed")
        }
        let statement = try Self.prepared(sql, in: &state, db)
        let handle = statement.handle
        // Reset even on error: a statement left mid-step would hold its read snapshot open.
        defer { sqlite_nio_sqlite3_reset(handle) }
        // Every parameter is bound on every use, those without a value to NULL: nothing is
        // left from the last use. (Not `sqlite3_clear_bindings`: on a statement whose plan
        // looked at a bound value it forces a recompile at the next step, every time.)
        let parameters = Int(sqlite_nio_sqlite3_bind_parameter_count(handle))
        for index in 0..<max(parameters, binds.count) {
            try Self.check(Self.bind(index < binds.count ? binds[index] : .null, at: Int32(index + 1), handle), db)
        }
        let count = Int32(statement.columns.names.count)
        while true {
            let code = sqlite_nio_sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw Self.failure(code, db) }
            var values: [SQLiteData] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(Self.value(at: column, handle)) }
            try onRow(SQLiteColumnsRow(columns: statement.columns, values: values))
        }
    }

    /// Runs a statement without binds or rows (pragmas, BEGIN, COMMIT).
    func execute(_ sql: String) throws {
        try query(sql, []) { _ in }
    }

    /// How long a statement waits for another connection's lock before failing with
    /// `SQLITE_BUSY` (set on every connection when it is opened).
    static let busyTimeoutMilliseconds: Int32 = 10_000

    /// `execute`, but failing at once with `SQLITE_BUSY` (see `isBusy`) instead of waiting for a
    /// lock another connection holds.
    func executeWithoutWaiting(_ sql: String) throws {
        try state.withLock { state in
            guard let db = state.handle else { throw SQLiteFailure(code: SQLITE_MISUSE, message: "the connection is closed") }
            sqlite_nio_sqlite3_busy_timeout(db, 0)
            defer { sqlite_nio_sqlite3_busy_timeout(db, Self.busyTimeoutMilliseconds) }
            try Self.run(sql, [], { _ in }, &state)
        }
    }

    /// Kept statements SQLite compiled again since they were prepared, with how often. A
    /// statement whose plan depends on a bound value is recompiled at each use, which costs
    /// as much as not keeping it (tests keep the hot statements off this list).
    func recompiledStatements() -> [String: Int] {
        state.withLock { state in
            var counts: [String: Int] = [:]
            for (sql, statement) in state.statements {
                let count = sqlite_nio_sqlite3_stmt_status(statement.handle, SQLITE_STMTSTATUS_REPREPARE, 0)
                if count > 0 { counts[sql] = Int(count) }
            }
            return counts
        }
    }

    /// Finalizes every statement and closes the handle; later queries fail.
    func close() {
        state.withLock { state in
            for statement in state.statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
            state.statements = [:]
            if let handle = state.handle { sqlite_nio_sqlite3_close(handle) }
            state.handle = nil
        }
    }

    deinit { close() }

    // MARK: SQLite calls (under the lock)

    private static func prepared(_ sql: String, in state: inout State, _ db: OpaquePointer) throws -> PreparedStatement {
        if let statement = state.statements[sql] { return statement }
        if state.statements.count >= maxCachedStatements {
            for statement in state.statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
            state.statements.removeAll(keepingCapacity: true)
        }
        var handle: OpaquePointer?
        let trailing: Bool = try sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite_nio_sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, &tail)
            guard code == SQLITE_OK else { throw failure(code, db) }
            // Anything but blanks after the first statement would be silently skipped: refuse it.
            var rest = tail
            while let pointer = rest, pointer.pointee != 0 {
                if !" \t\r\n;".utf8.contains(UInt8(bitPattern: pointer.pointee)) { return true }
                rest = pointer + 1
            }
            return false
        }
        guard let handle else {
            // Only blanks or a comment: SQLite compiles nothing.
            throw SQLiteFailure(code: SQLITE_MISUSE, message: "no SQL statement in \"\(sql)\"")
        }
        if trailing {
            sqlite_nio_sqlite3_finalize(handle)
            throw SQLiteFailure(code: SQLITE_MISUSE, message: "more than one SQL statement in \"\(sql)\"")
        }
        let count = sqlite_nio_sqlite3_column_count(handle)
        let names = (0..<count).map { column in
            sqlite_nio_sqlite3_column_name(handle, column).map { String(cString: $0) } ?? ""
        }
        let statement = PreparedStatement(handle: handle, columns: SQLiteColumnNames(names))
        state.statements[sql] = statement
        return statement
    }

    private static func bind(_ data: SQLiteData, at index: Int32, _ handle: OpaquePointer) -> Int32 {
        switch data {
        case .integer(let value):
            return sqlite_nio_sqlite3_bind_int64(handle, index, Int64(value))
        case .float(let value):
            return sqlite_nio_sqlite3_bind_double(handle, index, value)
        case .text(let value):
            // A native string is stored NUL-terminated: no copy here (SQLite copies it).
            return value.withCString { text in
                sqlite_nio_sqlite3_bind_text64(handle, index, text, UInt64(value.utf8.count), transient, UInt8(SQLITE_UTF8))
            }
        case .blob(let value):
            return value.withUnsafeReadableBytes { bytes in
                sqlite_nio_sqlite3_bind_blob64(handle, index, bytes.baseAddress, UInt64(bytes.count), transient)
            }
        case .null:
            return sqlite_nio_sqlite3_bind_null(handle, index)
        }
    }

    private static func value(at column: Int32, _ handle: OpaquePointer) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(handle, column)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            // Text first, then its length (the documented order); stored text may hold NULs.
            guard let text = sqlite_nio_sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite_nio_sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite_nio_sqlite3_column_bytes(handle, column))
            var buffer = ByteBufferAllocator().buffer(capacity: length)
            if let bytes = sqlite_nio_sqlite3_column_blob(handle, column) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: length))
            }
            return .blob(buffer)
        default:
            return .null
        }
    }

    private static func check(_ code: Int32, _ db: OpaquePointer) throws {
        guard code == SQLITE_OK else { throw failure(code, db) }
    }

    private static func failure(_ code: Int32, _ db: OpaquePointer) -> SQLiteFailure {
        SQLiteFailure(code: code, message: String(cString: sqlite_nio_sqlite3_errmsg(db)))
    }

    /// SQLite copies bound text and blobs (`SQLITE_TRANSIENT`, a macro Swift cannot import).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The result columns of one prepared statement, shared by all its rows.
final class SQLiteColumnNames: Sendable {
    let names: [String]
    /// For statements with many columns only (see `offset(of:)`).
    private let offsets: [String: Int]?
    /// Up to this many columns, a name is found by comparing it with each.
    static let scannedColumns = 16

    init(_ names: [String]) {
        self.names = names
        // The first of equal names wins, as in SQLiteNIO's rows.
        self.offsets = names.count > Self.scannedColumns
            ? Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) : nil
    }

    /// Where the column of that name is. Each row looks up each of its columns by name: hashing
    /// the name for a dictionary costs more than comparing it with a few short names (a large
    /// share of a 100-row read; BENCHMARKS.md), so only long column lists keep a dictionary. Lengths
    /// first: `==` on two different short strings takes its slow path, and most names differ
    /// in length. (Names spelled in another Unicode normalization, equal by `==` but not in
    /// length, are looked for again without the filter.)
    func offset(of name: String) -> Int? {
        if let offsets { return offsets[name] }
        let length = name.utf8.count
        for (offset, candidate) in names.enumerated() where candidate.utf8.count == length && candidate == name {
            return offset
        }
        return names.firstIndex(of: name)
    }
}

/// Connections that serve the same statements: the writer alone, or the read-only readers.
final class SQLiteConnectionSet: Sendable {
    let connections: [DirectSQLiteConnection]
    private let next = Atomic<Int>(0)

    init(_ connections: [DirectSQLiteConnection]) {
        precondition(!connections.isEmpty)
        self.connections = connections
    }

    /// Runs the statement on a connection no other thread is using, if there is one; else waits
    /// for one (the wait lasts one statement: a connection is never held across a suspension).
    /// Each statement of a read is its own snapshot either way, as with SQLiteNIO.
    func query(_ sql: String, _ binds: [SQLiteData], _ onRow: (SQLiteColumnsRow) throws -> Void) throws {
        let count = connections.count
        if count == 1 { return try connections[0].query(sql, binds, onRow) }
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
        for step in 0..<count where try connections[(start + step) % count].queryIfIdle(sql, binds, onRow) { return }
        try connections[start % count].query(sql, binds, onRow)
    }

    func close() {
        for connection in connections { connection.close() }
    }
}

/// SQLKit over SQLite connections: SQLiteKit's dialect and bind encoding; statements run on the
/// calling thread (see `DirectSQLiteConnection` for why and what stays off it).
struct DirectSQLiteDatabase: SQLDatabase {
    let connections: SQLiteConnectionSet
    let logger: Logger
    let eventLoop: any EventLoop
    /// Where statements run instead of the calling thread, if set: for statements that may
    /// take long (`DatabaseBackend.scan`).
    let offload: NIOThreadPool?
    private static let encoder = SQLiteDataEncoder()

    init(_ connections: SQLiteConnectionSet, logger: Logger, eventLoop: any EventLoop, offload: NIOThreadPool? = nil) {
        self.connections = connections
        self.logger = logger
        self.eventLoop = eventLoop
        self.offload = offload
    }

    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        if offload != nil {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask { try await self.execute(sql: query, onRow) }
            return promise.futureResult
        }
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        guard let offload else { return try run(query, onRow) }
        let (sql, values) = try statement(query)
        let connections = self.connections
        try await offload.runIfActive { try connections.query(sql, values) { onRow($0) } }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        let (sql, values) = try statement(query)
        try connections.query(sql, values) { onRow($0) }
    }

    /// The SQL text of `query` and its binds as SQLite values.
    private func statement(_ query: any SQLExpression) throws -> (String, [SQLiteData]) {
        // Written once with its `?`s: nothing to serialize (see `SQLStatement`).
        if let bound = query as? BoundStatement { return (bound.statement.sqliteText, bound.values.map(\.sqliteData)) }
        let (sql, binds) = serialize(query)
        return (sql, try binds.map(Self.sqliteData))
    }

    /// A bind as SQLiteKit's encoder converts it. Binds are almost all integers and text: those are converted by their concrete type, which is much cheaper than the
    /// encoder's cast to a protocol (`swift_conformsToProtocol` per bind; BENCHMARKS.md).
    /// Anything else, `nil` included, goes through the encoder.
    static func sqliteData(_ bind: any Encodable & Sendable) throws -> SQLiteData {
        switch bind {
        case let value as Int64: .integer(Int(value))
        case let value as String: .text(value)
        case let value as Int: .integer(value)
        case let value as Bool: .integer(value ? 1 : 0)
        default: try encoder.encode(bind)
        }
    }
}
