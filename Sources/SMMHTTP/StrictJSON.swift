import SMMDomain

/// A strict RFC 8259 reader for request bodies. Foundation's decoder on Linux quietly accepts
/// broken input such as trailing commas; a panel must answer such a body with
/// `Incorrect request`, never guess at it and place an order.
enum StrictJSON {
    struct Malformed: Error {}

    /// Request bodies: nesting deeper than 32 is refused rather than risking the stack, and
    /// invalid UTF-8 is refused, not repaired.
    static let readingOptions = JSONDocument.ReadingOptions(maxDepth: 32, skipsByteOrderMark: false, repairsUTF8: false)

    static func parse(_ bytes: [UInt8]) throws(Malformed) -> JSONDocument {
        guard let document = JSONDocument.read(bytes, options: readingOptions) else { throw Malformed() }
        return document
    }
}
