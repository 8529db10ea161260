import Foundation
@testable import SMMAPI
import Testing

/// The API's JSON writer: strings come out exactly as before the run-copying rewrite, and every
/// string reads back unchanged through a standard JSON parser.
@Suite struct JSONWriterTests {
    @Test func escapesExactly() {
        #expect(JSONValue.string("plain").serialized() == #""plain""#)
        #expect(JSONValue.string("").serialized() == #""""#)
        #expect(JSONValue.string("a\"b\\c").serialized() == #""a\"b\\c""#)
        #expect(JSONValue.string("l1\nl2\r\t").serialized() == #""l1\nl2\r\t""#)
        #expect(JSONValue.string("\u{0}\u{1f}\u{7f}").serialized() == #""\u0000\u001f\u007f""#)
        #expect(JSONValue.string("é ✓ 😀 </script>").serialized() == "\"é ✓ 😀 </script>\"")
        #expect(JSONValue.object([("k\"", .string("\"v"))]).serialized() == #"{"k\"":"\"v"}"#)
    }

    @Test func everyStringReadsBack() throws {
        var samples = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        samples += ["\"\"\"", "\\\\", "ab\u{1}cd\u{2}", "end\"", "\"start", "مرحبا", "x\u{2028}y", String(repeating: "ab\"c", count: 500)]
        for sample in samples {
            let text = JSONValue.array([.string(sample)]).serialized()
            let back = try JSONDecoder().decode([String].self, from: Data(text.utf8))
            #expect(back == [sample], "\(sample.unicodeScalars.map { $0.value })")
        }
    }
}
