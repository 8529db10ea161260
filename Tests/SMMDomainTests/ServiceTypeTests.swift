import Testing
@testable import SMMDomain

@Suite("ServiceType")
struct ServiceTypeTests {
    @Test("the 17 labels, spelled exactly as services reports them")
    func labels() {
        #expect(ServiceType.allCases.map(\.rawValue) == [
            "Default", "Package", "Custom Comments", "Custom Comments Package", "Mentions",
            "Mentions with Hashtags", "Mentions Custom List", "Mentions Hashtag", "Mentions User Followers",
            "Mentions Media Likers", "Comment Likes", "Comment Replies", "Poll", "Invites from Groups",
            "SEO", "Web Traffic", "Subscriptions",
        ])
    }

    @Test("a label is read back exactly and in operator spellings", arguments: ServiceType.allCases)
    func labelSpellings(type: ServiceType) {
        let label = type.rawValue
        #expect(ServiceType(label: label) == type)
        #expect(ServiceType(label: label.lowercased()) == type)
        #expect(ServiceType(label: label.uppercased()) == type)
        #expect(ServiceType(label: label.replacingSpaces(with: "_")) == type)
        #expect(ServiceType(label: label.lowercased().replacingSpaces(with: "-")) == type)
    }

    @Test(arguments: [
        ("custom_comments", ServiceType.customComments),
        ("CUSTOM-COMMENTS-PACKAGE", .customCommentsPackage),
        ("mentions with hashtags", .mentionsWithHashtags),
        ("mentions_hashtag", .mentionsHashtag),
        ("seo", .seo),
        ("web_traffic", .webTraffic),
        ("invites-from-groups", .invitesFromGroups),
        ("default", .default),
    ] as [(String, ServiceType)])
    func operatorLabels(label: String, type: ServiceType) {
        #expect(ServiceType(label: label) == type)
    }

    @Test(arguments: ["", "Likes", "Followers", "Custom  Comments", " Default", "Default ", "Comments", "Mention", "Subscription", "Package2"])
    func unknownLabels(label: String) {
        #expect(ServiceType(label: label) == nil)
    }

    @Test func flatPriceTypes() {
        #expect(ServiceType.allCases.filter(\.isFlatPrice) == [.package, .customCommentsPackage])
    }

    @Test func everyTypeButSubscriptionsNeedsALink() {
        #expect(ServiceType.allCases.filter { !$0.needsLink } == [.subscriptions])
    }

    @Test("quantity is given by the customer except for list-counted, flat and subscription types")
    func takesQuantity() {
        #expect(ServiceType.allCases.filter { !$0.takesQuantity } ==
                [.package, .customComments, .customCommentsPackage, .mentionsCustomList, .commentReplies, .subscriptions])
        #expect(ServiceType.allCases.filter(\.takesQuantity).count == 11)
    }

    @Test func dripFeedTypes() {
        #expect(ServiceType.allCases.filter(\.supportsDripFeed) == [.default, .webTraffic])
    }

    /// The contract's §3 table, written out independently of the implementation.
    static let fieldTable: [ServiceType: [FieldSpec]] = [
        .default: [],
        .package: [],
        .customComments: [.init("comments", .lines)],
        .customCommentsPackage: [.init("comments", .lines)],
        .mentions: [.init("usernames", .lines)],
        .mentionsWithHashtags: [.init("usernames", .lines), .init("hashtags", .lines)],
        .mentionsCustomList: [.init("usernames", .lines)],
        .mentionsHashtag: [.init("hashtag", .text)],
        .mentionsUserFollowers: [.init("username", .text)],
        .mentionsMediaLikers: [.init("media", .text)],
        .commentLikes: [.init("username", .text)],
        .commentReplies: [.init("username", .text), .init("comments", .lines)],
        .poll: [.init("answer_number", .positiveInteger)],
        .invitesFromGroups: [.init("groups", .lines)],
        .seo: [.init("keywords", .lines)],
        .webTraffic: [
            .init("country", .text, required: false),
            .init("device", .positiveInteger, required: false),
            .init("type_of_traffic", .positiveInteger, required: false),
            .init("google_keyword", .text, required: false),
            .init("referring_url", .text, required: false),
        ],
        .subscriptions: [
            .init("username", .text),
            .init("min", .positiveInteger),
            .init("max", .positiveInteger),
            .init("posts", .positiveInteger, required: false),
            .init("old_posts", .nonNegativeInteger, required: false),
            .init("delay", .nonNegativeInteger, required: false),
            .init("expiry", .text, required: false),
        ],
    ]

    @Test("extra fields per type match the contract table", arguments: ServiceType.allCases)
    func extraFields(type: ServiceType) {
        #expect(ServiceTypeTests.fieldTable[type] != nil)
        #expect(type.extraFields == ServiceTypeTests.fieldTable[type])
    }

    @Test func fieldSpecDefaultsToRequired() {
        let spec = FieldSpec("comments", .lines)
        #expect(spec.name == "comments")
        #expect(spec.kind == .lines)
        #expect(spec.required)
        #expect(!FieldSpec("country", .text, required: false).required)
    }
}

extension String {
    func replacingSpaces(with replacement: Character) -> String {
        String(map { $0 == " " ? replacement : $0 })
    }
}
