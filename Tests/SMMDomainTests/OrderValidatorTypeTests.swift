import Testing
@testable import SMMDomain

/// One row per service type: the smallest valid `add`, what it must produce, and the fields
/// whose absence must be reported.
struct TypeCase: Sendable, CustomTestStringConvertible {
    let type: ServiceType
    let raw: [String: String]
    let quantity: Int64
    let charge: String
    let fields: [String: String]
    /// In the order the validator must report them; `link` answers `Incorrect link`.
    let required: [String]

    var testDescription: String { type.rawValue }

    static let all: [TypeCase] = [
        TypeCase(type: .default, raw: ["link": sampleLink, "quantity": "157"],
                 quantity: 157, charge: "0.14130", fields: [:], required: ["link", "quantity"]),
        TypeCase(type: .package, raw: ["link": sampleLink],
                 quantity: 1, charge: "0.90000", fields: [:], required: ["link"]),
        TypeCase(type: .customComments, raw: ["link": sampleLink, "comments": "Nice!\nGreat post"],
                 quantity: 2, charge: "0.00180", fields: ["comments": "Nice!\nGreat post"], required: ["link", "comments"]),
        TypeCase(type: .customCommentsPackage, raw: ["link": sampleLink, "comments": "Nice!\nGreat post\nWow"],
                 quantity: 3, charge: "0.90000", fields: ["comments": "Nice!\nGreat post\nWow"], required: ["link", "comments"]),
        TypeCase(type: .mentions, raw: ["link": sampleLink, "quantity": "100", "usernames": "alice\nbob"],
                 quantity: 100, charge: "0.09000", fields: ["usernames": "alice\nbob"], required: ["link", "usernames", "quantity"]),
        TypeCase(type: .mentionsWithHashtags,
                 raw: ["link": sampleLink, "quantity": "100", "usernames": "alice\nbob", "hashtags": "#one\n#two"],
                 quantity: 100, charge: "0.09000", fields: ["usernames": "alice\nbob", "hashtags": "#one\n#two"],
                 required: ["link", "usernames", "hashtags", "quantity"]),
        TypeCase(type: .mentionsCustomList, raw: ["link": sampleLink, "usernames": "alice\nbob\ncarol"],
                 quantity: 3, charge: "0.00270", fields: ["usernames": "alice\nbob\ncarol"], required: ["link", "usernames"]),
        TypeCase(type: .mentionsHashtag, raw: ["link": sampleLink, "quantity": "100", "hashtag": "#summer"],
                 quantity: 100, charge: "0.09000", fields: ["hashtag": "#summer"], required: ["link", "hashtag", "quantity"]),
        TypeCase(type: .mentionsUserFollowers, raw: ["link": sampleLink, "quantity": "100", "username": "natgeo"],
                 quantity: 100, charge: "0.09000", fields: ["username": "natgeo"], required: ["link", "username", "quantity"]),
        TypeCase(type: .mentionsMediaLikers, raw: ["link": sampleLink, "quantity": "100", "media": "https://instagram.com/p/xyz"],
                 quantity: 100, charge: "0.09000", fields: ["media": "https://instagram.com/p/xyz"], required: ["link", "media", "quantity"]),
        TypeCase(type: .commentLikes, raw: ["link": sampleLink, "quantity": "100", "username": "commenter"],
                 quantity: 100, charge: "0.09000", fields: ["username": "commenter"], required: ["link", "username", "quantity"]),
        TypeCase(type: .commentReplies, raw: ["link": sampleLink, "username": "commenter", "comments": "a\nb\nc\nd"],
                 quantity: 4, charge: "0.00360", fields: ["username": "commenter", "comments": "a\nb\nc\nd"],
                 required: ["link", "username", "comments"]),
        TypeCase(type: .poll, raw: ["link": sampleLink, "quantity": "100", "answer_number": "2"],
                 quantity: 100, charge: "0.09000", fields: ["answer_number": "2"], required: ["link", "answer_number", "quantity"]),
        TypeCase(type: .invitesFromGroups, raw: ["link": sampleLink, "quantity": "100", "groups": "group1\ngroup2"],
                 quantity: 100, charge: "0.09000", fields: ["groups": "group1\ngroup2"], required: ["link", "groups", "quantity"]),
        TypeCase(type: .seo, raw: ["link": sampleLink, "quantity": "100", "keywords": "buy shoes\nshoes online"],
                 quantity: 100, charge: "0.09000", fields: ["keywords": "buy shoes\nshoes online"], required: ["link", "keywords", "quantity"]),
        TypeCase(type: .webTraffic, raw: ["link": sampleLink, "quantity": "1000"],
                 quantity: 1000, charge: "0.90000", fields: [:], required: ["link", "quantity"]),
        TypeCase(type: .subscriptions, raw: ["username": "natgeo", "min": "100", "max": "200"],
                 quantity: 0, charge: "0.00000", fields: ["username": "natgeo", "min": "100", "max": "200"],
                 required: ["username", "min", "max"]),
    ]

    /// Services with min 1, so the list-counted types pass with two or three lines.
    var service: ServiceTerms { terms(type, id: 42, rate: "0.90", min: 1, max: 10_000) }

    static func expectedMessage(forMissing field: String) -> String {
        field == "link" ? "Incorrect link" : "Missing required field: \(field)"
    }
}

@Suite("OrderValidator — per service type")
struct OrderValidatorTypeTests {
    @Test func tableCoversAllSeventeenTypes() {
        #expect(TypeCase.all.map(\.type) == ServiceType.allCases)
    }

    @Test("the smallest valid add of each type", arguments: TypeCase.all)
    func minimalValidOrder(row: TypeCase) throws {
        let order = try #require(validOrder(row.raw, row.service))
        #expect(order.serviceID == 42)
        #expect(order.type == row.type)
        // A subscription's account stands in for the link (one live subscription per account).
        #expect(order.link == (row.type == .subscriptions ? row.raw["username"]! : sampleLink))
        #expect(order.quantity == row.quantity)
        #expect(order.charge.apiString == row.charge)
        #expect(order.fields == row.fields)
        #expect(order.dripFeed == nil)
    }

    @Test("each required field, when absent, is named in the error", arguments: TypeCase.all)
    func missingRequiredField(row: TypeCase) {
        for field in row.required {
            var raw = row.raw
            raw[field] = nil
            #expect(validationError(raw, row.service)?.message == TypeCase.expectedMessage(forMissing: field),
                    "\(row.type.rawValue) without \(field)")
        }
    }

    @Test("a blank field counts as absent (clients send every field, empty)", arguments: TypeCase.all)
    func blankRequiredField(row: TypeCase) {
        for field in row.required {
            for blank in ["", "   ", "\t", "\n\n", " \r\n "] {
                var raw = row.raw
                raw[field] = blank
                #expect(validationError(raw, row.service)?.message == TypeCase.expectedMessage(forMissing: field),
                        "\(row.type.rawValue) with \(field) = \(blank.debugDescription)")
            }
        }
    }

    @Test("with nothing given, the first required field is the one reported", arguments: TypeCase.all)
    func emptyRequest(row: TypeCase) {
        #expect(validationError([:], row.service)?.message == TypeCase.expectedMessage(forMissing: row.required[0]))
    }

    @Test("errors come in order: link, the type's own fields, then quantity", arguments: TypeCase.all)
    func errorOrder(row: TypeCase) {
        // Remove every required field but the first k: the first absent one is reported.
        for k in 0..<row.required.count {
            var raw = row.raw
            for field in row.required.dropFirst(k) { raw[field] = nil }
            #expect(validationError(raw, row.service)?.message == TypeCase.expectedMessage(forMissing: row.required[k]))
        }
    }

    @Test("fields that do not belong to the type are not stored", arguments: TypeCase.all)
    func foreignFieldsIgnored(row: TypeCase) throws {
        var raw = row.raw
        for (name, value) in ["comments": "x", "usernames": "u", "hashtags": "#h", "hashtag": "#h", "username": "u",
                              "media": "m", "answer_number": "1", "groups": "g", "keywords": "k", "country": "US",
                              "posts": "5", "delay": "5", "expiry": "1/1/2030", "min": "100", "max": "200", "foo": "bar"]
        where raw[name] == nil {
            raw[name] = value
        }
        let order = try #require(validOrder(raw, row.service))
        let allowed = Set(row.type.extraFields.map(\.name))
        #expect(Set(order.fields.keys).isSubset(of: allowed))
        #expect(order.fields["foo"] == nil)
        #expect(order.quantity == row.quantity)
    }

    @Test("list-counted types take their quantity from the lines and ignore a given quantity",
          arguments: [ServiceType.customComments, .customCommentsPackage, .mentionsCustomList, .commentReplies])
    func listCountedQuantity(type: ServiceType) throws {
        let list = "one\r\ntwo\n\n  three  \n\r\nfour\n"
        var raw = ["link": sampleLink, "quantity": "5000", "comments": list, "usernames": list, "username": "owner"]
        if type == .mentionsCustomList { raw["comments"] = nil }
        let order = try #require(validOrder(raw, terms(type, min: 1, max: 100)))
        #expect(order.quantity == 4)
        let listField = type == .mentionsCustomList ? "usernames" : "comments"
        #expect(order.fields[listField] == "one\ntwo\nthree\nfour")
    }

    @Test("list-counted types check the line count against min and max",
          arguments: [ServiceType.customComments, .mentionsCustomList, .commentReplies])
    func listCountLimits(type: ServiceType) {
        let raw = ["link": sampleLink, "comments": "a\nb\nc", "usernames": "a\nb\nc", "username": "owner"]
        #expect(validationError(raw, terms(type, min: 5, max: 100))?.message == "Quantity less than minimal 5")
        #expect(validationError(raw, terms(type, min: 1, max: 2))?.message == "Quantity more than maximum 2")
        #expect(validOrder(raw, terms(type, min: 3, max: 3))?.quantity == 3)
    }

    @Test("a package skips min and max and charges the rate")
    func packageSkipsLimits() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "1"], terms(.package, rate: "8.00", min: 50, max: 60)))
        #expect(order.charge == money("8"))
        #expect(order.quantity == 1)
    }

    @Test("a comments package charges its flat rate for a comment count within min…max")
    func commentsPackageKeepsLimits() throws {
        let raw = ["link": sampleLink, "quantity": "1", "comments": "a\nb\nc"]
        let order = try #require(validOrder(raw, terms(.customCommentsPackage, rate: "8.00", min: 1, max: 3)))
        #expect(order.charge == money("8"))
        #expect(order.quantity == 3)
        #expect(validationError(raw, terms(.customCommentsPackage, rate: "8.00", min: 1, max: 2))?.message == "Quantity more than maximum 2")
        #expect(validationError(raw, terms(.customCommentsPackage, rate: "8.00", min: 5, max: 60))?.message == "Quantity less than minimal 5")
    }

    @Test func packageIgnoresGivenQuantity() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "500"], terms(.package, rate: "12.34567")))
        #expect(order.quantity == 1)
        #expect(order.charge.apiString == "12.34567")
    }
}

@Suite("OrderValidator — type-specific rules")
struct OrderValidatorTypeRuleTests {
    // MARK: Mentions with Hashtags

    @Test func mentionsWithHashtagsNeedsBothLists() {
        let service = terms(.mentionsWithHashtags)
        #expect(validationError(["link": sampleLink, "quantity": "100", "hashtags": "#a"], service)?.message
                == "Missing required field: usernames")
        #expect(validationError(["link": sampleLink, "quantity": "100", "usernames": "a"], service)?.message
                == "Missing required field: hashtags")
    }

    // MARK: text fields

    @Test("text fields are trimmed and limited to 1024 characters",
          arguments: [(ServiceType.mentionsHashtag, "hashtag"), (.mentionsUserFollowers, "username"),
                      (.mentionsMediaLikers, "media"), (.commentLikes, "username")])
    func textFieldLimits(type: ServiceType, field: String) {
        let service = terms(type)
        var raw = ["link": sampleLink, "quantity": "100"]
        raw[field] = "  value with spaces \t"
        #expect(validOrder(raw, service)?.fields[field] == "value with spaces")
        raw[field] = String(repeating: "x", count: 1024)
        #expect(validOrder(raw, service)?.fields[field]?.count == 1024)
        raw[field] = String(repeating: "x", count: 1025)
        #expect(validationError(raw, service)?.message == "Incorrect \(field)")
        raw[field] = String(repeating: "é", count: 1024)   // characters, not bytes
        #expect(validOrder(raw, service) != nil)
    }

    // MARK: list fields

    @Test("list fields: blank lines dropped, lines trimmed, \\n and \\r\\n both separate",
          arguments: [(ServiceType.mentions, "usernames"), (.invitesFromGroups, "groups"), (.seo, "keywords")])
    func listNormalization(type: ServiceType, field: String) {
        var raw = ["link": sampleLink, "quantity": "100"]
        raw[field] = "\n first \r\nsecond\n\n\r\n\tthird\t\n"
        #expect(validOrder(raw, terms(type))?.fields[field] == "first\nsecond\nthird")
    }

    @Test("a list may hold at most 10000 lines")
    func listLineLimit() {
        let service = terms(.customComments, min: 1, max: 100_000)
        let tenThousand = (1...10_000).map { "c\($0)" }.joined(separator: "\n")
        #expect(validOrder(["link": sampleLink, "comments": tenThousand], service)?.quantity == 10_000)
        #expect(validationError(["link": sampleLink, "comments": tenThousand + "\nc10001"], service)?.message
                == "Incorrect comments")
        // Blank lines do not count towards the limit.
        #expect(validOrder(["link": sampleLink, "comments": tenThousand + "\n\n\n"], service)?.quantity == 10_000)
    }

    @Test("a list may hold at most 1 000 000 bytes")
    func listByteLimit() {
        let service = terms(.seo, min: 1, max: 100_000)
        let exact = String(repeating: "k", count: 1_000_000)
        #expect(validOrder(["link": sampleLink, "quantity": "100", "keywords": exact], service) != nil)
        #expect(validationError(["link": sampleLink, "quantity": "100", "keywords": exact + "k"], service)?.message
                == "Incorrect keywords")
        // Bytes, not characters: 500 001 two-byte characters are too many.
        let wide = String(repeating: "é", count: 500_001)
        #expect(validationError(["link": sampleLink, "quantity": "100", "keywords": wide], service)?.message
                == "Incorrect keywords")
    }

    // MARK: Poll

    @Test("answer_number must be a positive integer", arguments: [
        ("1", "1"), ("+3", "3"), ("03", "3"), (" 12 ", "12"),
    ] as [(String, String)])
    func pollAnswerAccepted(given: String, stored: String) {
        let raw = ["link": sampleLink, "quantity": "100", "answer_number": given]
        #expect(validOrder(raw, terms(.poll))?.fields["answer_number"] == stored)
    }

    @Test(arguments: ["0", "-1", "abc", "1.5", "2e1", "one", "99999999999999999999"])
    func pollAnswerRejected(given: String) {
        let raw = ["link": sampleLink, "quantity": "100", "answer_number": given]
        #expect(validationError(raw, terms(.poll))?.message == "Incorrect answer_number")
    }

    // MARK: Comment Replies

    @Test func commentRepliesNeedsUsernameBeforeComments() {
        let service = terms(.commentReplies, min: 1)
        #expect(validationError(["link": sampleLink], service)?.message == "Missing required field: username")
        #expect(validationError(["link": sampleLink, "username": "u"], service)?.message == "Missing required field: comments")
        #expect(validationError(["link": sampleLink, "comments": "hi"], service)?.message == "Missing required field: username")
    }
}
