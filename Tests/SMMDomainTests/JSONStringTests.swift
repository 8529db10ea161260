import Testing
@testable import SMMDomain

/// The one JSON string writer: exact escapes, and every string reads back as itself.
@Suite struct JSONStringTests {
    static let strict = JSONDocument.ReadingOptions(maxDepth: 8, skipsByteOrderMark: false, repairsUTF8: false)

    @Test func escapesWhatJSONRequires() {
        #expect(JSONString.quoted("") == #""""#)
        #expect(JSONString.quoted("plain ü 名") == "\"plain ü 名\"")
        #expect(JSONString.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONString.quoted("\n\r\t") == #""\n\r\t""#)
        #expect(JSONString.quoted("\u{0}\u{1F}\u{7F}") == #""\u0000\u001f\u007f""#)
    }

    @Test func everyStringReadsBackAsItself() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [String] = ["\"", "\\", "\n", "\u{0}", "\u{7F}", "\u{1}", "é", "名", "😀", "a", " ", "/", "\u{2028}"]
        for _ in 0..<500 {
            let text = (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            guard case .string(let read)? = JSONDocument.read(Array(JSONString.quoted(text).utf8), options: Self.strict) else {
                Issue.record("not read back: \(text.debugDescription)")
                return
            }
            #expect(read == text)
        }
    }
}
