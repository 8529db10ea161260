/// What the store refuses for reasons of its own (the database itself: `DatabaseError`).
public enum StorageError: Error, CustomStringConvertible {
    case schemaTooNew(found: Int64, known: Int64)
    case notFound(String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let known):
            return "the database schema is at version \(found) but this smmpanel knows only up to \(known); upgrade smmpanel"
        case .notFound(let what): return "\(what) not found"
        }
    }
}
