import Testing
@testable import SMMDomain

/// Text that becomes a name, tag or id carries no control characters; lists carry no NUL
/// (PostgreSQL text cannot hold one). Tabs and line breaks inside list items are the lists'
/// own business (they split on line breaks).
@Suite("Control characters in add fields") struct ControlCharacterTests {
    @Test(arguments: ["\u{0}", "\u{1}", "\u{1B}", "\t", "\n", "\u{7F}"])
    func textFieldsRefuseControlCharacters(character: String) {
        let service = terms(.mentionsUserFollowers)
        #expect(validationError(["link": "https://a.test/p", "quantity": "100", "username": "bo\(character)b"], service)
                == .incorrectField("username"))
    }

    @Test func listsRefuseNULButKeepOtherText() {
        let service = terms(.customComments, min: 1)
        #expect(validationError(["link": "https://a.test/p", "comments": "fine\nnot\u{0}fine"], service) == .incorrectField("comments"))
        #expect(validOrder(["link": "https://a.test/p", "comments": "tab\tinside\nünïcødé 🔥"], service)?.quantity == 2)
    }

    @Test func printableTextIsNoControlText() {
        #expect(!"Ünïcødé 日本 🔥 <script>'\"".containsControlCharacter)
        #expect("a\u{0}".containsControlCharacter && "\u{7F}".containsControlCharacter && "\r".containsControlCharacter)
    }
}
