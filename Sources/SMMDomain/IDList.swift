/// A comma-separated list of ids from `orders`, `refills` and the like.
public enum IDList {
    public static let maximumCount = 100

    /// One entry of a list: a usable id, or the text the client sent (answered with an error
    /// under that text, as the contract's multi-status does).
    public enum Entry: Sendable, Hashable {
        case id(Int64)
        case invalid(String)

        /// The entry's id as an id of the kind the context expects; nil for an invalid entry.
        @inlinable
        public func id<Entity>() -> EntityID<Entity>? {
            if case .id(let id) = self { EntityID(id) } else { nil }
        }

        public var key: String {
            switch self {
            case .id(let id): return String(id)
            case .invalid(let raw): return raw
            }
        }
    }

    /// Splits on commas, trims spaces, drops empty entries and repeats (first one wins).
    /// More than 100 distinct entries is an error, before any work is done.
    public static func parse(_ text: String) throws(PanelError) -> [Entry] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return try parseASCII(Array(text.utf8)) }
        // Otherwise by Characters: a comma joined to a combining mark is not a comma.
        var seen = Set<Entry>()
        var entries: [Entry] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: true) {
            let raw = String(piece).trimmingSpaces()
            if raw.isEmpty { continue }
            let entry: Entry = parseNumber(raw).map(Entry.id) ?? .invalid(raw)
            if seen.insert(entry).inserted { entries.append(entry) }
            if entries.count > maximumCount { throw .tooManyIDs }
        }
        return entries
    }

    /// `parse` for ASCII text (what bots send), by its bytes: there each byte is a Character, so
    /// it splits and trims exactly as the Character path, without making a String per entry
    /// (splitting by Characters is slow on the hot `status` path: BENCHMARKS.md).
    private static func parseASCII(_ bytes: [UInt8]) throws(PanelError) -> [Entry] {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        // Sized for the longest list at once: no rehashing while it fills.
        var seenIDs = Set<Int64>(minimumCapacity: maximumCount + 1)
        var seenInvalid = Set<String>()
        var entries: [Entry] = []
        for piece in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            guard let first = piece.firstIndex(where: { !isSpace($0) }) else { continue }
            let raw = piece[first...piece.lastIndex(where: { !isSpace($0) })!]
            if let id = digits(raw) {
                if seenIDs.insert(id).inserted { entries.append(.id(id)) }
            } else {
                let text = String(decoding: raw, as: UTF8.self)
                if seenInvalid.insert(text).inserted { entries.append(.invalid(text)) }
            }
            if entries.count > maximumCount { throw .tooManyIDs }
        }
        return entries
    }

    /// Largest id a request may name (18 digits).
    public static let idRange: ClosedRange<Int64> = 1...999_999_999_999_999_999

    /// A positive decimal id, or nil.
    public static func parseNumber(_ raw: String) -> Int64? {
        CheckedInteger.parse(raw, in: idRange, sign: .refused)
    }

    /// `parseNumber` as the id of the kind the context expects.
    public static func parseID<Entity>(_ raw: String) -> EntityID<Entity>? {
        EntityID(raw)
    }

    /// The usable ids of a parsed list, in order, as ids of one kind.
    @inlinable
    public static func ids<Entity>(_ entries: [Entry]) -> [EntityID<Entity>] {
        entries.compactMap { if case .id(let id) = $0 { EntityID(id) } else { nil } }
    }

    /// Already trimmed text as a positive id; nil otherwise.
    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int64? {
        CheckedInteger.parse(utf8: bytes, in: idRange, sign: .refused)
    }
}
