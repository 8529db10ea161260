import Testing
@testable import SMMDomain

@Suite("IDList")
struct IDListTests {
    func parse(_ text: String) -> [IDList.Entry]? { try? IDList.parse(text) }

    @Test func maximumIsOneHundred() {
        #expect(IDList.maximumCount == 100)
    }

    @Test("comma separated, spaces tolerated, empties dropped", arguments: [
        ("1,2,3", [1, 2, 3]),
        (" 1 , 2 ,3 ", [1, 2, 3]),
        ("1,\t2\n,\r\n3", [1, 2, 3]),
        ("1,,2,", [1, 2]),
        (",,,", []),
        ("", []),
        ("   ", []),
        (" , , ", []),
        ("23501", [23501]),
        ("3,1,2", [3, 1, 2]),
        ("999999999999999999", [999_999_999_999_999_999]),
    ] as [(String, [Int64])])
    func ids(text: String, ids: [Int64]) {
        #expect(parse(text) == ids.map(IDList.Entry.id))
    }

    /// ASCII lists are parsed by bytes; they must come out exactly as the Character rules
    /// (split on commas, trim spaces, tabs and line breaks, drop empties and repeats) give them.
    @Test("ASCII lists parse exactly as by Characters")
    func asciiMatchesCharacters() throws {
        func byCharacters(_ text: String) -> [IDList.Entry] {
            var entries: [IDList.Entry] = []
            for piece in text.split(separator: ",") {
                let raw = String(piece).trimmingSpaces()
                if raw.isEmpty { continue }
                let entry: IDList.Entry = raw.allSatisfy(\.isASCIIDigit) && raw.count <= 18 && Int64(raw)! > 0 ? .id(Int64(raw)!) : .invalid(raw)
                if !entries.contains(entry) { entries.append(entry) }
            }
            return entries
        }
        let tokens = [" 1", "2 ", "\t3", "\r\n4", "x", "", " ", "007", "0", "-1", "1e3", "12345678901234567890", "5", "5 ",
                      "999999999999999999", "1 2", "\r", "a b", "7\n", "+8"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...12, using: &generator)).map { _ in tokens.randomElement(using: &generator)! }
                .joined(separator: ",")
            #expect(try IDList.parse(text) == byCharacters(text), "\(text.debugDescription)")
        }
    }

    @Test("repeats are dropped, the first one wins")
    func repeats() {
        #expect(parse("1,1,2,1") == [.id(1), .id(2)])
        #expect(parse("2, 1 ,2,1,3") == [.id(2), .id(1), .id(3)])
        #expect(parse("abc,abc, abc") == [.invalid("abc")])
    }

    @Test("unusable entries are kept with the text the client sent")
    func invalidEntries() {
        #expect(parse("abc,1") == [.invalid("abc"), .id(1)])
        #expect(parse("0, -1 ,1.5,1e3,+5") == [.invalid("0"), .invalid("-1"), .invalid("1.5"), .invalid("1e3"), .invalid("+5")])
        #expect(parse("1 2") == [.invalid("1 2")])
        #expect(parse("1234567890123456789") == [.invalid("1234567890123456789")])
        #expect(parse("9223372036854775808") == [.invalid("9223372036854775808")])
        #expect(parse("١٢,4\u{20E3}") == [.invalid("١٢"), .invalid("4\u{20E3}")])
    }

    @Test func entryKeys() {
        #expect(IDList.Entry.id(23501).key == "23501")
        #expect(IDList.Entry.invalid("abc").key == "abc")
        #expect(IDList.Entry.invalid("").key == "")
    }

    @Test("exactly 100 distinct ids are fine")
    func exactlyOneHundred() {
        let text = (1...100).map(String.init).joined(separator: ",")
        #expect(parse(text)?.count == 100)
        #expect(parse(text)?.last == .id(100))
    }

    @Test("101 distinct entries: Too many ids (maximum 100)")
    func tooMany() {
        let text = (1...101).map(String.init).joined(separator: ",")
        #expect(throws: PanelError.tooManyIDs) { try IDList.parse(text) }
        do {
            _ = try IDList.parse(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "Too many ids (maximum 100)")
        }
    }

    @Test("invalid entries count towards the limit")
    func invalidCount() {
        let text = (1...100).map(String.init).joined(separator: ",") + ",abc"
        #expect(throws: PanelError.tooManyIDs) { try IDList.parse(text) }
    }

    @Test("repeats and blanks do not count towards the limit")
    func repeatsDoNotCount() {
        let ids = (1...100).map(String.init)
        let text = (ids + ids + ["", " ", "1"]).joined(separator: ",")
        #expect(parse(text)?.count == 100)
    }

    @Test("a huge list is refused as soon as the 101st distinct entry is seen")
    func hugeList() {
        let text = (1...100_000).map(String.init).joined(separator: ",")
        #expect(throws: PanelError.tooManyIDs) { try IDList.parse(text) }
    }

    @Test(arguments: [
        ("1", 1), ("42", 42), (" 42 ", 42), ("007", 7), ("999999999999999999", 999_999_999_999_999_999),
    ] as [(String, Int64)])
    func parseIDAccepts(text: String, id: Int64) {
        #expect(IDList.parseNumber(text) == id)
    }

    @Test(arguments: ["", " ", "0", "00", "-1", "+5", "1.0", "1e3", "abc", "1 2", "1234567890123456789",
                      "١", "１", "4\u{20E3}", "5\u{0301}"])
    func parseIDRejects(text: String) {
        #expect(IDList.parseNumber(text) == nil)
    }
}
