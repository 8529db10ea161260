import SMMDomain
import SQLKit

/// A typed state kept in a text column under its raw value. The one place states meet SQL:
/// statements write them as literals, never as bound parameters, because SQLite and
/// PostgreSQL use a partial index only when the query's condition names its literal value.
protocol StoredState: RawRepresentable where RawValue == String {}

extension OrderStatus: StoredState {}
extension RefillStatus: StoredState {}
extension PaymentStatus: StoredState {}
extension UpstreamState: StoredState {}
extension UpstreamCancelState: StoredState {}
extension LedgerKind: StoredState {}

extension StoredState {
    /// `'In progress'`: raw values are constants of the domain's enums, none with a quote.
    var literal: String {
        precondition(!rawValue.contains("'"), "a stored state with a quote in it")
        return "'" + rawValue + "'"
    }
}

extension SQLQueryString {
    /// `\(state: UpstreamState.queued)` writes `'queued'`.
    mutating func appendInterpolation<State: StoredState>(state: State) {
        appendInterpolation(unsafeRaw: state.literal)
    }

    /// `\(states: [UpstreamState.held, .failed])` writes `'held', 'failed'` (for `IN (…)`).
    mutating func appendInterpolation<State: StoredState>(states: [State]) {
        appendInterpolation(unsafeRaw: states.map(\.literal).joined(separator: ", "))
    }
}

extension SQLRow {
    /// A state column read back; a value no enum case has is a corrupt row, never a default.
    func decodeState<State: StoredState>(column: String, as type: State.Type) throws -> State {
        let label = try decode(column: column, as: String.self)
        guard let state = State(rawValue: label) else { throw CorruptRow(description: "\(column) \(label)") }
        return state
    }

    /// `decodeState` of a column that may be NULL.
    func decodeState<State: StoredState>(column: String, as type: State?.Type) throws -> State? {
        guard try decodeNil(column: column) == false else { return nil }
        return try decodeState(column: column, as: State.self)
    }
}
