import Foundation
import HummingbirdTesting
import SMMApp
import SMMDomain
import SMMStorage
import Testing

/// One service type of contract §3: a valid `add`, what it must cost, and the fields it cannot do without.
struct AddTypeCase: Sendable, CustomTestStringConvertible {
    /// The type's label, spelled as the contract spells it.
    let label: String
    let rate: String
    let min: Int64
    let max: Int64
    /// A valid `add` besides key, action and service.
    let fields: [(String, String)]
    /// Fields whose absence is `Missing required field: <name>` (the link is checked apart).
    let required: [String]
    /// List fields: an entry of only blank lines is as good as none.
    let lists: [String]
    /// The exact `status` answer of the new order.
    let status: String
    /// The exact `balance` after the order, from 100.
    let balanceAfter: String

    var testDescription: String { label }
    /// The type this label names, if the code spells it as the contract does.
    var type: ServiceType? { ServiceType(rawValue: label) }
    var needsLink: Bool { label != "Subscriptions" }

    static func pending(_ charge: String, _ remains: String) -> String {
        #"{"charge":"\#(charge)","start_count":"0","status":"Pending","remains":"\#(remains)","currency":"USD"}"#
    }

    static let all: [AddTypeCase] = [
        // 0.90 × 1234 / 1000 = 1.1106
        AddTypeCase(label: "Default", rate: "0.90", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/default"), ("quantity", "1234")],
                    required: ["quantity"], lists: [], status: pending("1.11060", "1234"), balanceAfter: "98.88940"),
        // Flat: the rate is the price; no quantity, so no min/max either.
        AddTypeCase(label: "Package", rate: "12.5", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/package")],
                    required: [], lists: [], status: pending("12.50000", "1"), balanceAfter: "87.50000"),
        // 3 comment lines (CRLF, blank and space-only lines ignored): 3 × 3 / 1000 = 0.009
        AddTypeCase(label: "Custom Comments", rate: "3", min: 1, max: 1000,
                    fields: [("link", "https://t.test/cc"), ("comments", "Great post!\r\n\r\nLove it\n  \nNice one\r\n")],
                    required: ["comments"], lists: ["comments"], status: pending("0.00900", "3"), balanceAfter: "99.99100"),
        // Flat price, but the comment count stays within min…max.
        AddTypeCase(label: "Custom Comments Package", rate: "4.75", min: 1, max: 10,
                    fields: [("link", "https://t.test/ccp"), ("comments", "first\r\nsecond")],
                    required: ["comments"], lists: ["comments"], status: pending("4.75000", "2"), balanceAfter: "95.25000"),
        // 1.5 × 200 / 1000 = 0.3
        AddTypeCase(label: "Mentions", rate: "1.5", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/m"), ("quantity", "200"), ("usernames", "alice\r\nbob\n")],
                    required: ["quantity", "usernames"], lists: ["usernames"], status: pending("0.30000", "200"), balanceAfter: "99.70000"),
        // 2 × 300 / 1000 = 0.6
        AddTypeCase(label: "Mentions with Hashtags", rate: "2", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/mh"), ("quantity", "300"), ("usernames", "alice\nbob"), ("hashtags", "#one\r\n#two")],
                    required: ["quantity", "usernames", "hashtags"], lists: ["usernames", "hashtags"],
                    status: pending("0.60000", "300"), balanceAfter: "99.40000"),
        // 4 usernames: 5 × 4 / 1000 = 0.02
        AddTypeCase(label: "Mentions Custom List", rate: "5", min: 1, max: 1000,
                    fields: [("link", "https://t.test/mcl"), ("usernames", "u1\r\nu2\n\nu3\r\n\r\nu4")],
                    required: ["usernames"], lists: ["usernames"], status: pending("0.02000", "4"), balanceAfter: "99.98000"),
        // 1.1 × 500 / 1000 = 0.55
        AddTypeCase(label: "Mentions Hashtag", rate: "1.1", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/mht"), ("quantity", "500"), ("hashtag", "#sale")],
                    required: ["quantity", "hashtag"], lists: [], status: pending("0.55000", "500"), balanceAfter: "99.45000"),
        AddTypeCase(label: "Mentions User Followers", rate: "2.2", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/muf"), ("quantity", "100"), ("username", "celebrity")],
                    required: ["quantity", "username"], lists: [], status: pending("0.22000", "100"), balanceAfter: "99.78000"),
        AddTypeCase(label: "Mentions Media Likers", rate: "3.3", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/mml"), ("quantity", "100"), ("media", "https://instagram.com/p/xyz")],
                    required: ["quantity", "media"], lists: [], status: pending("0.33000", "100"), balanceAfter: "99.67000"),
        AddTypeCase(label: "Comment Likes", rate: "0.7", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/cl"), ("quantity", "1000"), ("username", "commenter")],
                    required: ["quantity", "username"], lists: [], status: pending("0.70000", "1000"), balanceAfter: "99.30000"),
        // 2 replies: 6 × 2 / 1000 = 0.012
        AddTypeCase(label: "Comment Replies", rate: "6", min: 1, max: 1000,
                    fields: [("link", "https://t.test/cr"), ("username", "owner"), ("comments", "reply one\r\n\r\nreply two\r\n")],
                    required: ["username", "comments"], lists: ["comments"], status: pending("0.01200", "2"), balanceAfter: "99.98800"),
        AddTypeCase(label: "Poll", rate: "0.5", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/poll"), ("quantity", "400"), ("answer_number", "2")],
                    required: ["quantity", "answer_number"], lists: [], status: pending("0.20000", "400"), balanceAfter: "99.80000"),
        AddTypeCase(label: "Invites from Groups", rate: "8", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/ifg"), ("quantity", "75"), ("groups", "https://t.me/a\nhttps://t.me/b")],
                    required: ["quantity", "groups"], lists: ["groups"], status: pending("0.60000", "75"), balanceAfter: "99.40000"),
        // 1.23456 × 333 / 1000 = 0.41110848, rounded up.
        AddTypeCase(label: "SEO", rate: "1.23456", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/seo"), ("quantity", "333"), ("keywords", "buy likes\r\ncheap likes")],
                    required: ["quantity", "keywords"], lists: ["keywords"], status: pending("0.41111", "333"), balanceAfter: "99.58889"),
        AddTypeCase(label: "Web Traffic", rate: "0.1", min: 50, max: 10_000,
                    fields: [("link", "https://t.test/wt"), ("quantity", "5000"), ("country", "US"), ("device", "2"), ("type_of_traffic", "3")],
                    required: ["quantity"], lists: [], status: pending("0.50000", "5000"), balanceAfter: "99.50000"),
        // No link, nothing charged up front; each new post is an order of its own.
        AddTypeCase(label: "Subscriptions", rate: "1.1", min: 50, max: 5000,
                    fields: [("username", "brand"), ("min", "100"), ("max", "200"), ("posts", "10"), ("delay", "30"), ("expiry", "26/12/2026")],
                    required: ["username", "min", "max"], lists: [],
                    status: #"{"charge":"0.00000","start_count":"0","status":"Active","remains":"0","currency":"USD","expiry":"26/12/2026","posts":"0","orders":[]}"#,
                    balanceAfter: "100.00000"),
    ]
}

/// `add` for each of the 17 service types of contract §3, over live HTTP.
@Suite struct APIAddTypesTests {
    @Test func theTableCoversEveryType() {
        #expect(Set(AddTypeCase.all.map(\.label)) == Set(ServiceType.allCases.map(\.rawValue)))
        #expect(AddTypeCase.all.count == 17)
    }

    @Test(arguments: TestEngine.available, AddTypeCase.all)
    func eachTypePlacesOneOrderAtItsPrice(engine: TestEngine, typeCase: AddTypeCase) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "100")
            let service = try await panel.service(try #require(typeCase.type), rate: typeCase.rate, min: typeCase.min, max: typeCase.max)
            try await panel.live { api in
                let services = try await api.call([("key", key), ("action", "services")])
                #expect(services.contains(#"{"service":\#(service.id),"name":"\#(typeCase.label) service","type":"\#(typeCase.label)","category":"Test","#))

                let add = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)")] + typeCase.fields)
                #expect(add == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")]) == typeCase.status)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"\#(typeCase.balanceAfter)","currency":"USD"}"#)
            }
            #expect(try await ContractProbe.orderCount(panel) == 1)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available, AddTypeCase.all)
    func eachRequiredFieldMissingIsNamed(engine: TestEngine, typeCase: AddTypeCase) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "100")
            let service = try await panel.service(try #require(typeCase.type), rate: typeCase.rate, min: typeCase.min, max: typeCase.max)
            try await panel.live { api in
                let base = [("key", key), ("action", "add"), ("service", "\(service.id)")]
                func without(_ name: String) -> [(String, String)] { base + typeCase.fields.filter { $0.0 != name } }
                func replacing(_ name: String, with value: String) -> [(String, String)] {
                    base + typeCase.fields.map { $0.0 == name ? (name, value) : $0 }
                }
                for name in typeCase.required {
                    let message = "Missing required field: \(name)"
                    try await ContractProbe.expectRefused(panel, api, user, without(name), message)
                    // Many clients send every field of every type, blank.
                    try await ContractProbe.expectRefused(panel, api, user, replacing(name, with: ""), message)
                    try await ContractProbe.expectRefused(panel, api, user, replacing(name, with: "  "), message)
                }
                for name in typeCase.lists {
                    try await ContractProbe.expectRefused(panel, api, user, replacing(name, with: "\r\n \n\n\r\n"), "Missing required field: \(name)")
                }
                if typeCase.needsLink {
                    try await ContractProbe.expectRefused(panel, api, user, without("link"), "Incorrect link")
                    try await ContractProbe.expectRefused(panel, api, user, replacing("link", with: ""), "Incorrect link")
                }
                // With everything given, the same call goes through.
                #expect(try await api.call(base + typeCase.fields) == #"{"order":1}"#)
            }
        }
    }

    // MARK: Lists

    @Test(arguments: TestEngine.available)
    func listsCountLinesSplitOnCRLFOrLFWithBlankLinesIgnored(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "100")
            let comments = try await panel.service(.customComments, rate: "10", min: 1, max: 100)
            let list = try await panel.service(.mentionsCustomList, rate: "20", min: 1, max: 100)
            let replies = try await panel.service(.commentReplies, rate: "30", min: 1, max: 100)
            try await panel.live { api async throws in
                func add(_ service: Service, _ extra: [(String, String)], _ link: String) async throws -> String {
                    try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link)] + extra)
                }
                // 5 comments: CRLF, LF, blank and space-only lines, spaces around items.
                #expect(try await add(comments, [("comments", "\r\n one \r\ntwo\n\nthree\r\n   \r\nfour\nfive\n\n")], "https://l.test/1") == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"0.05000","start_count":"0","status":"Pending","remains":"5","currency":"USD"}"#)
                #expect(try await panel.store.order(id: 1)?.fields["comments"] == "one\ntwo\nthree\nfour\nfive")

                #expect(try await add(list, [("usernames", "@a\r\n@b\r\n\r\n@c")], "https://l.test/2") == #"{"order":2}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "2")])
                    == #"{"charge":"0.06000","start_count":"0","status":"Pending","remains":"3","currency":"USD"}"#)
                #expect(try await panel.store.order(id: 2)?.fields["usernames"] == "@a\n@b\n@c")

                // A single line is one item; the quantity a client sends is ignored for list types.
                #expect(try await add(replies, [("username", "owner"), ("comments", "only one"), ("quantity", "50")], "https://l.test/3") == #"{"order":3}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "3")])
                    == #"{"charge":"0.03000","start_count":"0","status":"Pending","remains":"1","currency":"USD"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "99.86")!)
        }
    }

    @Test(arguments: TestEngine.available)
    func aListCountIsHeldToTheServiceLimits(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "100")
            let comments = try await panel.service(.customComments, rate: "10", min: 3, max: 4)
            let list = try await panel.service(.mentionsCustomList, rate: "10", min: 3, max: 4)
            try await panel.live { api in
                for (service, field) in [(comments, "comments"), (list, "usernames")] {
                    let base = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://lim.test/\(field)")]
                    try await ContractProbe.expectRefused(panel, api, user, base + [(field, "a\n\nb\n")], "Quantity less than minimal 3")
                    try await ContractProbe.expectRefused(panel, api, user, base + [(field, "a\nb\nc\nd\ne")], "Quantity more than maximum 4")
                    #expect(try await api.call(base + [(field, "a\r\nb\r\nc\r\nd\r\n\r\n")]).hasPrefix(#"{"order":"#))
                }
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func packagesCostTheirRateWhateverQuantityIsSent(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "29.99999")
            let package = try await panel.service(.package, rate: "9.99999", min: 1, max: 1)
            let commentsPackage = try await panel.service(.customCommentsPackage, rate: "20", min: 1, max: 6)
            try await panel.live { api in
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(package.id)"),
                                            ("link", "https://p.test/1"), ("quantity", "5000")]) == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"9.99999","start_count":"0","status":"Pending","remains":"1","currency":"USD"}"#)
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(commentsPackage.id)"),
                                            ("link", "https://p.test/2"), ("comments", "a\nb\nc\nd\ne\nf")]) == #"{"order":2}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "2")])
                    == #"{"charge":"20.00000","start_count":"0","status":"Pending","remains":"6","currency":"USD"}"#)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"0.00000","currency":"USD"}"#)
                // More comments than the package's max is refused before money is looked at.
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "add"), ("service", "\(commentsPackage.id)"),
                                                                         ("link", "https://p.test/4"), ("comments", "1\n2\n3\n4\n5\n6\n7")],
                                                      "Quantity more than maximum 6")
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "add"), ("service", "\(commentsPackage.id)"),
                                                                         ("link", "https://p.test/3"), ("comments", "x")], "Not enough funds on balance")
            }
        }
    }

    // MARK: Subscriptions

    @Test(arguments: TestEngine.available)
    func subscriptionsTakeNoLinkAndReportExpiryPostsAndOrders(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "0")
            let service = try await panel.service(.subscriptions, rate: "1.1", min: 50, max: 5000)
            try await panel.live { api in
                let base = [("key", key), ("action", "add"), ("service", "\(service.id)")]
                #expect(try await api.call(base + [("username", "brand"), ("min", "50"), ("max", "5000"), ("expiry", "5/1/2027"),
                                                   ("delay", "90"), ("old_posts", "0")]) == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"0.00000","start_count":"0","status":"Active","remains":"0","currency":"USD","expiry":"05/01/2027","posts":"0","orders":[]}"#)
                // Without an expiry; a link, if a client sends one anyway, is not needed (and not kept).
                #expect(try await api.call(base + [("username", "other"), ("min", "100"), ("max", "100"), ("link", ""),
                                                   ("quantity", ""), ("runs", ""), ("interval", "")]) == #"{"order":2}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("orders", "1,2")])
                    == #"{"1":{"charge":"0.00000","start_count":"0","status":"Active","remains":"0","currency":"USD","expiry":"05/01/2027","posts":"0","orders":[]},"#
                    + #""2":{"charge":"0.00000","start_count":"0","status":"Active","remains":"0","currency":"USD","expiry":"","posts":"0","orders":[]}}"#)

                let sub = [("username", "brand")]
                try await ContractProbe.expectRefused(panel, api, user, base + sub + [("min", "49"), ("max", "100")], "Quantity less than minimal 50")
                try await ContractProbe.expectRefused(panel, api, user, base + sub + [("min", "100"), ("max", "5001")], "Quantity more than maximum 5000")
                try await ContractProbe.expectRefused(panel, api, user, base + sub + [("min", "100"), ("max", "200"), ("delay", "7")], "Incorrect delay")
                try await ContractProbe.expectRefused(panel, api, user, base + sub + [("min", "100"), ("max", "200"), ("expiry", "31/02/2027")], "Incorrect expiry")
                try await ContractProbe.expectRefused(panel, api, user, base + sub + [("min", "100"), ("max", "200"), ("expiry", "2027-01-05")], "Incorrect expiry")
            }
            // Every delay of the contract's list is accepted.
            try await panel.live { api async throws in
                for (index, delay) in [0, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 540, 600].enumerated() {
                    #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("username", "d\(index)"),
                                                ("min", "50"), ("max", "60"), ("delay", "\(delay)")]) == #"{"order":\#(index + 3)}"#, "delay \(delay)")
                }
            }
            #expect(try await panel.balance(of: user) == .zero)
        }
    }

    // MARK: Drip-feed

    @Test(arguments: TestEngine.available)
    func dripFeedChargesRunsTimesQuantityOnADripFeedService(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "10")
            let (poor, poorKey) = try await panel.customer("bob", balance: "1.99999")
            let drip = try await panel.service(.default, rate: "2", min: 100, max: 1000, dripFeed: true)
            try await panel.live { api in
                func add(_ key: String, _ extra: [(String, String)], link: String = "https://drip.test/1") -> [(String, String)] {
                    [("key", key), ("action", "add"), ("service", "\(drip.id)"), ("link", link)] + extra
                }
                #expect(try await api.call(add(key, [("quantity", "250"), ("runs", "4"), ("interval", "15")])) == #"{"order":1}"#)
                // 4 runs × 250 at 2.00 per 1000 = 2.00, charged up front.
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"2.00000","start_count":"0","status":"Pending","remains":"1000","currency":"USD","runs":"4","orders":[]}"#)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"8.00000","currency":"USD"}"#)
                await panel.worker().runOnce()
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"2.00000","start_count":"0","status":"In progress","remains":"1000","currency":"USD","runs":"4","orders":[2]}"#)

                // The whole drip-feed must be affordable, not just one run.
                try await ContractProbe.expectRefused(panel, api, poor, add(poorKey, [("quantity", "250"), ("runs", "4"), ("interval", "15")],
                                                                           link: "https://drip.test/poor"), "Not enough funds on balance")
                let link2 = "https://drip.test/2"
                try await ContractProbe.expectRefused(panel, api, user, add(key, [("quantity", "250"), ("runs", "4")], link: link2),
                                                      "Missing required field: interval")
                try await ContractProbe.expectRefused(panel, api, user, add(key, [("quantity", "250"), ("interval", "15")], link: link2),
                                                      "Missing required field: runs")
                try await ContractProbe.expectRefused(panel, api, user, add(key, [("quantity", "250"), ("runs", "abc"), ("interval", "15")], link: link2),
                                                      "Incorrect runs")
                try await ContractProbe.expectRefused(panel, api, user, add(key, [("quantity", "250"), ("runs", "2"), ("interval", "abc")], link: link2),
                                                      "Incorrect interval")
                // Each run is held to the service's min/max.
                try await ContractProbe.expectRefused(panel, api, user, add(key, [("quantity", "99"), ("runs", "4"), ("interval", "15")], link: link2),
                                                      "Quantity less than minimal 100")
                // Blank runs and interval are no drip-feed at all.
                let plain = try #require(ContractProbe.orderID(try await api.call(add(key, [("quantity", "500"), ("runs", ""), ("interval", "")], link: link2))))
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "\(plain)")])
                    == #"{"charge":"1.00000","start_count":"0","status":"Pending","remains":"500","currency":"USD"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "7")!)
            #expect(try await panel.balance(of: poor) == Money(parsing: "1.99999")!)
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func dripFeedOnAServiceWithoutItIsRefused(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let plain = try await panel.service(.default, rate: "2", min: 100, max: 1000, dripFeed: false)
            let traffic = try await panel.service(.webTraffic, rate: "2", min: 100, max: 1000, dripFeed: false)
            let notAvailable = "Drip-feed is not available for this service"
            try await panel.live { api in
                for service in [plain, traffic] {
                    let base = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://nodrip.test"), ("quantity", "250")]
                    try await ContractProbe.expectRefused(panel, api, user, base + [("runs", "4"), ("interval", "15")], notAvailable)
                    try await ContractProbe.expectRefused(panel, api, user, base + [("runs", "4")], notAvailable)
                    try await ContractProbe.expectRefused(panel, api, user, base + [("interval", "15")], notAvailable)
                    // Blank drip-feed fields are fine.
                    #expect(try await api.call(base + [("runs", ""), ("interval", "")]).hasPrefix(#"{"order":"#))
                }
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "9")!)
        }
    }

    // MARK: Web Traffic

    @Test(arguments: TestEngine.available)
    func webTrafficTypeOfTrafficRequiresItsField(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.webTraffic, rate: "1", min: 100, max: 10_000, dripFeed: true)
            try await panel.live { api in
                func add(_ link: String, _ extra: [(String, String)]) -> [(String, String)] {
                    [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "1000")] + extra
                }
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "1")]),
                                                      "Missing required field: google_keyword")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "1"), ("google_keyword", "")]),
                                                      "Missing required field: google_keyword")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "1"), ("referring_url", "https://ref.test")]),
                                                      "Missing required field: google_keyword")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "2")]),
                                                      "Missing required field: referring_url")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "2"), ("google_keyword", "shoes")]),
                                                      "Missing required field: referring_url")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "4")]), "Incorrect type_of_traffic")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("type_of_traffic", "0")]), "Incorrect type_of_traffic")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("device", "6")]), "Incorrect device")
                try await ContractProbe.expectRefused(panel, api, user, add("https://wt.test/1", [("device", "0")]), "Incorrect device")

                // 1: Google keyword; 2: referrer; 3: blank; the other type's field is not kept.
                #expect(try await api.call(add("https://wt.test/1", [("type_of_traffic", "1"), ("google_keyword", "red shoes"),
                                                                     ("referring_url", "https://ref.test"), ("device", "1"), ("country", "DE")])) == #"{"order":1}"#)
                #expect(try await api.call(add("https://wt.test/2", [("type_of_traffic", "2"), ("referring_url", "https://ref.test"),
                                                                     ("google_keyword", "red shoes"), ("device", "5")])) == #"{"order":2}"#)
                #expect(try await api.call(add("https://wt.test/3", [("type_of_traffic", "3"), ("google_keyword", "x"), ("referring_url", "y")])) == #"{"order":3}"#)
                #expect(try await api.call(add("https://wt.test/4", [])) == #"{"order":4}"#)
                let first = try #require(await panel.store.order(id: 1))
                #expect(first.fields["google_keyword"] == "red shoes" && first.fields["referring_url"] == nil && first.fields["country"] == "DE")
                let second = try #require(await panel.store.order(id: 2))
                #expect(second.fields["referring_url"] == "https://ref.test" && second.fields["google_keyword"] == nil)
                let third = try #require(await panel.store.order(id: 3))
                #expect(third.fields["referring_url"] == nil && third.fields["google_keyword"] == nil)

                // Web Traffic takes drip-feed on a drip-feed service.
                #expect(try await api.call(add("https://wt.test/5", [("runs", "3"), ("interval", "60")])) == #"{"order":5}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "5")])
                    == #"{"charge":"3.00000","start_count":"0","status":"Pending","remains":"3000","currency":"USD","runs":"3","orders":[]}"#)
            }
            // 4 × 1.00 + 3.00
            #expect(try await panel.balance(of: user) == Money(parsing: "3")!)
        }
    }
}
