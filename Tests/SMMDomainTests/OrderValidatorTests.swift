import Testing
@testable import SMMDomain

@Suite("OrderValidator — link and quantity")
struct OrderValidatorTests {
    let service = terms(.default)   // rate 0.90, min 50, max 10000

    @Test func contractExample() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "157"], service))
        #expect(order.serviceID == 7)
        #expect(order.type == .default)
        #expect(order.link == sampleLink)
        #expect(order.quantity == 157)
        #expect(order.charge.apiString == "0.14130")
        #expect(order.fields.isEmpty)
        #expect(order.dripFeed == nil)
    }

    // MARK: link

    @Test("usable links are kept, trimmed", arguments: [
        ("https://instagram.com/p/abc/", "https://instagram.com/p/abc/"),
        ("  https://t.me/channel  ", "https://t.me/channel"),
        ("\thttps://x.com/a\n", "https://x.com/a"),
        ("https://x.com/a\r\n", "https://x.com/a"),
        ("instagram.com/user", "instagram.com/user"),
        ("https://пример.рф/путь?q=1#frag", "https://пример.рф/путь?q=1#frag"),
        ("@username", "@username"),
    ] as [(String, String)])
    func linkAccepted(given: String, kept: String) {
        #expect(validOrder(["link": given, "quantity": "100"], service)?.link == kept)
    }

    @Test("unusable links answer Incorrect link", arguments: [
        "", "   ", "\n",
        "https://x.com/a b",
        "https://x.com/a\tb",
        "https://x.com/a\nb",
        "https://x.com/a\r\nb",
        "https://x.com/\u{0001}",
        "https://x.com/\u{007F}",
        "https://x.com/\u{00A0}a",     // no-break space
        "https://x.com/\u{2003}a",     // em space
        "https://x.com/\u{3000}a",     // ideographic space
    ])
    func linkRejected(given: String) {
        #expect(validationError(["link": given, "quantity": "100"], service) == .incorrectLink)
        #expect(validationError(["link": given, "quantity": "100"], service)?.message == "Incorrect link")
    }

    /// The ASCII shortcut decides every character exactly as the Unicode rule (white space, C0
    /// controls, DEL) it stands for.
    @Test func linkCharacterRuleMatchesUnicodesWhiteSpaceAndControls() {
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let rule = scalar.properties.isWhitespace || value < 0x20 || value == 0x7F
            if OrderValidator.breaksLink(scalar) != rule { Issue.record("U+\(String(value, radix: 16))"); return }
        }
    }

    @Test func linkMissing() {
        #expect(validationError(["quantity": "100"], service)?.message == "Incorrect link")
    }

    @Test("a link may have up to 2048 characters")
    func linkLength() {
        let prefix = "https://x.com/"
        let exact = prefix + String(repeating: "a", count: 2048 - prefix.count)
        #expect(validOrder(["link": exact, "quantity": "100"], service)?.link.count == 2048)
        #expect(validationError(["link": exact + "a", "quantity": "100"], service)?.message == "Incorrect link")
    }

    @Test("the link is checked before anything else")
    func linkFirst() {
        #expect(validationError(["quantity": "1"], service)?.message == "Incorrect link")
        #expect(validationError(["link": "a b", "quantity": "abc", "runs": "5"], service)?.message == "Incorrect link")
        #expect(validationError(["quantity": "100"], terms(.customComments))?.message == "Incorrect link")
    }

    // MARK: quantity

    @Test("quantities inside min…max are accepted", arguments: [
        ("50", 50), ("10000", 10_000), ("157", 157), ("+100", 100), (" 100 ", 100), ("0100", 100), ("100\r\n", 100),
    ] as [(String, Int64)])
    func quantityAccepted(given: String, quantity: Int64) {
        #expect(validOrder(["link": sampleLink, "quantity": given], service)?.quantity == quantity)
    }

    @Test("below min: Quantity less than minimal <min>", arguments: ["49", "1", "0", "-0", "-5", "-999999999999999999"])
    func quantityBelowMin(given: String) {
        let error = validationError(["link": sampleLink, "quantity": given], service)
        #expect(error == .quantityBelowMinimum(50))
        #expect(error?.message == "Quantity less than minimal 50")
    }

    @Test("above max: Quantity more than maximum <max>", arguments: ["10001", "1000000", "999999999999999999"])
    func quantityAboveMax(given: String) {
        let error = validationError(["link": sampleLink, "quantity": given], service)
        #expect(error == .quantityAboveMaximum(10_000))
        #expect(error?.message == "Quantity more than maximum 10000")
    }

    @Test("the messages name the service's own limits")
    func limitsComeFromTheService() {
        let other = terms(.default, min: 100, max: 5_000)
        #expect(validationError(["link": sampleLink, "quantity": "99"], other)?.message == "Quantity less than minimal 100")
        #expect(validationError(["link": sampleLink, "quantity": "5001"], other)?.message == "Quantity more than maximum 5000")
        let huge = terms(.default, min: 1, max: 2_147_483_647)
        #expect(validationError(["link": sampleLink, "quantity": "2147483648"], huge)?.message
                == "Quantity more than maximum 2147483647")
    }

    @Test("a quantity that is not a plain integer answers Incorrect quantity", arguments: [
        "abc", "1.5", "100.0", "1e3", "0x64", "1,000", "1 000", "100k", "+", "-", "--1", "+-1",
        "1000000000000000000",   // 19 digits
        "١٠٠", "１００", "1\u{20E3}00",
    ])
    func quantityNotAnInteger(given: String) {
        let error = validationError(["link": sampleLink, "quantity": given], service)
        #expect(error == .incorrectField("quantity"))
        #expect(error?.message == "Incorrect quantity")
    }

    @Test func quantityMissing() {
        #expect(validationError(["link": sampleLink], service)?.message == "Missing required field: quantity")
        #expect(validationError(["link": sampleLink, "quantity": ""], service)?.message == "Missing required field: quantity")
        #expect(validationError(["link": sampleLink, "quantity": " \t "], service)?.message == "Missing required field: quantity")
    }

    @Test("a charge too large for Int64 is refused as above maximum, never wrapped")
    func chargeOverflow() {
        let absurd = ServiceTerms(id: 1, type: .default, rate: Money(minorUnits: .max), min: 1, max: 10_000)
        #expect(validationError(["link": sampleLink, "quantity": "2000"], absurd)?.message == "Quantity more than maximum 10000")
        #expect(validOrder(["link": sampleLink, "quantity": "1000"], absurd)?.charge.minorUnits == .max)
    }
}

@Suite("OrderValidator — drip-feed")
struct DripFeedTests {
    let service = terms(.default, dripFeed: true)

    @Test("runs × quantity is delivered and charged up front")
    func dripFeedOrder() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "100", "runs": "10", "interval": "30"], service))
        #expect(order.quantity == 1000)
        #expect(order.charge.apiString == "0.90000")
        #expect(order.dripFeed == NewOrder.DripFeed(runs: 10, intervalMinutes: 30, quantityPerRun: 100))
    }

    @Test func dripFeedChargeRoundsOnTheTotal() throws {
        // 157 × 3 = 471 units at 0.90 → 0.4239 exactly.
        let order = try #require(validOrder(["link": sampleLink, "quantity": "157", "runs": "3", "interval": "5"], service))
        #expect(order.quantity == 471)
        #expect(order.charge.apiString == "0.42390")
        let odd = terms(.default, rate: "0.00001", min: 1, dripFeed: true)
        // 1 × 3 units: 0.00000003 → one minor unit, not three.
        #expect(validOrder(["link": sampleLink, "quantity": "1", "runs": "3", "interval": "5"], odd)?.charge.minorUnits == 1)
    }

    @Test("min and max apply to the quantity of one run")
    func limitsPerRun() {
        #expect(validOrder(["link": sampleLink, "quantity": "10000", "runs": "2", "interval": "60"], service)?.quantity == 20_000)
        #expect(validationError(["link": sampleLink, "quantity": "49", "runs": "2", "interval": "60"], service)?.message
                == "Quantity less than minimal 50")
        #expect(validationError(["link": sampleLink, "quantity": "10001", "runs": "2", "interval": "60"], service)?.message
                == "Quantity more than maximum 10000")
    }

    @Test("one run is a plain order")
    func singleRun() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "100", "runs": "1", "interval": "5"], service))
        #expect(order.dripFeed == nil)
        #expect(order.quantity == 100)
        #expect(order.charge.apiString == "0.09000")
    }

    @Test("blank runs and interval are no drip-feed, even on a service without it")
    func blankDripFields() {
        #expect(validOrder(["link": sampleLink, "quantity": "100", "runs": "", "interval": " "], terms(.default))?.dripFeed == nil)
        #expect(validOrder(["link": sampleLink, "quantity": "100", "runs": "", "interval": ""], terms(.package)) != nil)
    }

    @Test("a service without drip-feed refuses runs or interval")
    func serviceWithoutDripFeed() {
        let plain = terms(.default, dripFeed: false)
        for raw in [["runs": "10", "interval": "30"], ["runs": "10"], ["interval": "30"]] {
            let request = raw.merging(["link": sampleLink, "quantity": "100"]) { a, _ in a }
            let error = validationError(request, plain)
            #expect(error == .dripFeedNotAvailable)
            #expect(error?.message == "Drip-feed is not available for this service")
        }
    }

    @Test("types without drip-feed refuse it even when the service flag is set",
          arguments: ServiceType.allCases.filter { !$0.supportsDripFeed && $0 != .subscriptions })
    func typeWithoutDripFeed(type: ServiceType) {
        let raw = ["link": sampleLink, "quantity": "100", "runs": "10", "interval": "30", "comments": "a",
                   "usernames": "a", "hashtags": "#a", "hashtag": "#a", "username": "a", "media": "m",
                   "answer_number": "1", "groups": "g", "keywords": "k"]
        #expect(validationError(raw, terms(type, min: 1, dripFeed: true))?.message == "Drip-feed is not available for this service")
    }

    @Test func webTrafficDripFeed() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "500", "runs": "4", "interval": "60"],
                                            terms(.webTraffic, dripFeed: true)))
        #expect(order.quantity == 2000)
        #expect(order.dripFeed == NewOrder.DripFeed(runs: 4, intervalMinutes: 60, quantityPerRun: 500))
    }

    @Test func runsWithoutIntervalAndViceVersa() {
        #expect(validationError(["link": sampleLink, "quantity": "100", "runs": "10"], service)?.message
                == "Missing required field: interval")
        #expect(validationError(["link": sampleLink, "quantity": "100", "interval": "10"], service)?.message
                == "Missing required field: runs")
    }

    @Test("zero runs and interval mean a plain order, as clients that send every field send them")
    func zerosMeanNoDripFeed() throws {
        let plain = try #require(validOrder(["link": sampleLink, "quantity": "100", "runs": "0", "interval": "0"], terms(.default)))
        #expect(plain.dripFeed == nil)
        #expect(plain.quantity == 100)
        #expect(validationError(["link": sampleLink, "quantity": "100", "runs": "0", "interval": "30"], service)?.message
                == "Missing required field: runs")
        #expect(validationError(["link": sampleLink, "quantity": "100", "runs": "10", "interval": "0"], service)?.message
                == "Missing required field: interval")
    }

    @Test("runs must be 1…1000", arguments: ["-1", "1001", "abc", "2.5", "1e2"])
    func badRuns(runs: String) {
        #expect(validationError(["link": sampleLink, "quantity": "100", "runs": runs, "interval": "30"], service)?.message
                == "Incorrect runs")
    }

    @Test("interval must be 1…43200 minutes", arguments: ["-5", "43201", "x", "1.5"])
    func badInterval(interval: String) {
        #expect(validationError(["link": sampleLink, "quantity": "100", "runs": "10", "interval": interval], service)?.message
                == "Incorrect interval")
    }

    @Test func boundaryRunsAndInterval() throws {
        let order = try #require(validOrder(["link": sampleLink, "quantity": "50", "runs": "1000", "interval": "43200"], service))
        #expect(order.dripFeed == NewOrder.DripFeed(runs: 1000, intervalMinutes: 43_200, quantityPerRun: 50))
        #expect(order.quantity == 50_000)
        #expect(validOrder(["link": sampleLink, "quantity": "50", "runs": "2", "interval": "1"], service)?.dripFeed?.intervalMinutes == 1)
    }

    @Test("quantity is checked before drip-feed")
    func quantityBeforeDripFeed() {
        #expect(validationError(["link": sampleLink, "quantity": "10", "runs": "10", "interval": "30"], terms(.default))?.message
                == "Quantity less than minimal 50")
    }

    @Test("runs × quantity beyond Int64 is refused, not a crash")
    func totalOverflow() {
        let unlimited = ServiceTerms(id: 1, type: .default, rate: .zero, min: 1, max: .max, dripFeed: true)
        let error = validationError(["link": sampleLink, "quantity": "100000000000000000", "runs": "1000", "interval": "5"], unlimited)
        #expect(error?.message == "Quantity more than maximum 9223372036854775807")
    }
}

@Suite("OrderValidator — Web Traffic")
struct WebTrafficTests {
    let service = terms(.webTraffic)
    let base = ["link": sampleLink, "quantity": "1000"]

    func with(_ extra: [String: String]) -> [String: String] { base.merging(extra) { _, new in new } }

    @Test("device 1…5", arguments: 1...5)
    func deviceAccepted(device: Int) {
        #expect(validOrder(with(["device": String(device)]), service)?.fields["device"] == String(device))
    }

    @Test(arguments: ["0", "6", "-1", "99", "mobile", "1.0"])
    func deviceRejected(device: String) {
        #expect(validationError(with(["device": device]), service)?.message == "Incorrect device")
    }

    @Test func googleKeywordTraffic() throws {
        let order = try #require(validOrder(with(["type_of_traffic": "1", "google_keyword": "buy shoes",
                                                  "referring_url": "https://ref.example", "country": "US", "device": "2"]), service))
        #expect(order.fields == ["type_of_traffic": "1", "google_keyword": "buy shoes", "country": "US", "device": "2"])
    }

    @Test func referrerTraffic() throws {
        let order = try #require(validOrder(with(["type_of_traffic": "2", "google_keyword": "kw",
                                                  "referring_url": "https://ref.example"]), service))
        #expect(order.fields == ["type_of_traffic": "2", "referring_url": "https://ref.example"])
    }

    @Test func blankTraffic() throws {
        let order = try #require(validOrder(with(["type_of_traffic": "3", "google_keyword": "kw",
                                                  "referring_url": "https://ref.example"]), service))
        #expect(order.fields == ["type_of_traffic": "3"])
    }

    @Test func typeOfTrafficNeedsItsField() {
        #expect(validationError(with(["type_of_traffic": "1"]), service)?.message == "Missing required field: google_keyword")
        #expect(validationError(with(["type_of_traffic": "1", "google_keyword": "  "]), service)?.message
                == "Missing required field: google_keyword")
        #expect(validationError(with(["type_of_traffic": "1", "referring_url": "https://r"]), service)?.message
                == "Missing required field: google_keyword")
        #expect(validationError(with(["type_of_traffic": "2"]), service)?.message == "Missing required field: referring_url")
        #expect(validationError(with(["type_of_traffic": "2", "google_keyword": "kw"]), service)?.message
                == "Missing required field: referring_url")
    }

    @Test(arguments: ["0", "4", "-1", "google", "1.5"])
    func typeOfTrafficRejected(value: String) {
        #expect(validationError(with(["type_of_traffic": value]), service)?.message == "Incorrect type_of_traffic")
    }

    @Test("without type_of_traffic the optional fields are kept as given")
    func noTrafficType() {
        let order = validOrder(with(["country": " DE ", "google_keyword": "kw", "referring_url": "https://r"]), service)
        #expect(order?.fields == ["country": "DE", "google_keyword": "kw", "referring_url": "https://r"])
    }

    @Test func deviceCheckedBeforeTrafficType() {
        #expect(validationError(with(["device": "9", "type_of_traffic": "7"]), service)?.message == "Incorrect device")
    }

    @Test func webTrafficStillChecksQuantity() {
        #expect(validationError(["link": sampleLink, "quantity": "10", "device": "1"], service)?.message
                == "Quantity less than minimal 50")
        #expect(validationError(["link": sampleLink, "device": "1"], service)?.message == "Missing required field: quantity")
    }
}

@Suite("OrderValidator — Subscriptions")
struct SubscriptionTests {
    let service = terms(.subscriptions)   // min 50, max 10000
    let base = ["username": "natgeo", "min": "100", "max": "200"]

    func with(_ extra: [String: String]) -> [String: String] { base.merging(extra) { _, new in new } }

    @Test("no link (the account stands in for it), no quantity, nothing charged up front")
    func subscriptionOrder() throws {
        let order = try #require(validOrder(with(["link": sampleLink, "quantity": "5000", "runs": "5", "interval": "5"]), service))
        #expect(order.type == .subscriptions)
        #expect(order.link == "natgeo")
        #expect(order.quantity == 0)
        #expect(order.charge == .zero)
        #expect(order.dripFeed == nil)
        #expect(order.fields == ["username": "natgeo", "min": "100", "max": "200"])
    }

    @Test func allOptionalFields() throws {
        let order = try #require(validOrder(with(["posts": "10", "old_posts": "0", "delay": "30", "expiry": "5/1/2027"]), service))
        #expect(order.fields == ["username": "natgeo", "min": "100", "max": "200",
                                 "posts": "10", "old_posts": "0", "delay": "30", "expiry": "05/01/2027"])
    }

    @Test func minAndMaxAgainstTheService() {
        #expect(validationError(with(["min": "49"]), service)?.message == "Quantity less than minimal 50")
        #expect(validationError(with(["max": "10001"]), service)?.message == "Quantity more than maximum 10000")
        #expect(validationError(with(["min": "300", "max": "200"]), service)?.message == "Incorrect min")
        #expect(validOrder(with(["min": "50", "max": "10000"]), service) != nil)
        #expect(validOrder(with(["min": "150", "max": "150"]), service) != nil)
    }

    @Test("min and max must be positive integers")
    func minMaxFormat() {
        #expect(validationError(with(["min": "0"]), service)?.message == "Incorrect min")
        #expect(validationError(with(["min": "abc"]), service)?.message == "Incorrect min")
        #expect(validationError(with(["max": "-5"]), service)?.message == "Incorrect max")
        #expect(validationError(with(["max": "1.5"]), service)?.message == "Incorrect max")
        #expect(validOrder(with(["min": "+0100"]), service)?.fields["min"] == "100")
    }

    @Test("delay must be one of the listed minutes", arguments: [
        0, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 540, 600,
    ])
    func delayAccepted(delay: Int) {
        #expect(validOrder(with(["delay": String(delay)]), service)?.fields["delay"] == String(delay))
    }

    @Test func delaySetIsTheContractList() {
        #expect(OrderValidator.subscriptionDelays ==
                [0, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 540, 600])
    }

    @Test(arguments: ["1", "25", "45", "601", "660", "720", "-5", "abc", "5.0"])
    func delayRejected(delay: String) {
        #expect(validationError(with(["delay": delay]), service)?.message == "Incorrect delay")
    }

    @Test func postsAndOldPosts() {
        #expect(validationError(with(["posts": "0"]), service)?.message == "Incorrect posts")
        #expect(validationError(with(["posts": "x"]), service)?.message == "Incorrect posts")
        #expect(validationError(with(["old_posts": "-1"]), service)?.message == "Incorrect old_posts")
        #expect(validOrder(with(["old_posts": "0"]), service)?.fields["old_posts"] == "0")
        #expect(validOrder(with(["posts": "1"]), service)?.fields["posts"] == "1")
    }

    @Test("expiry d/m/Y is stored as dd/mm/yyyy", arguments: [
        ("5/1/2027", "05/01/2027"), ("26/12/2026", "26/12/2026"), ("29/2/2028", "29/02/2028"), (" 1/10/2030 ", "01/10/2030"),
    ] as [(String, String)])
    func expiryAccepted(given: String, stored: String) {
        #expect(validOrder(with(["expiry": given]), service)?.fields["expiry"] == stored)
    }

    @Test(arguments: ["31/02/2027", "29/2/2027", "2027-01-05", "12/26/2026", "1/1/27", "tomorrow", "0/1/2027"])
    func expiryRejected(given: String) {
        #expect(validationError(with(["expiry": given]), service)?.message == "Incorrect expiry")
    }

    @Test func usernameChecks() {
        #expect(validationError(["min": "100", "max": "200"], service)?.message == "Missing required field: username")
        #expect(validationError(with(["username": String(repeating: "u", count: 1025)]), service)?.message == "Incorrect username")
        #expect(validOrder(with(["username": " natgeo "]), service)?.fields["username"] == "natgeo")
    }
}

@Suite("OrderValidator — helpers")
struct OrderValidatorHelperTests {
    @Test(arguments: [
        ("a\nb\r\nc\rd", ["a", "b", "c", "d"]),
        ("\n\n a \n\n", ["a"]),
        ("", []),
        ("\r\n\r\n", []),
        ("one", ["one"]),
        ("  x  y  ", ["x  y"]),
        ("a\n\tb\t", ["a", "b"]),
    ] as [(String, [String])])
    func splitLines(text: String, lines: [String]) {
        #expect(OrderValidator.splitLines(text) == lines)
    }

    @Test(arguments: [
        ("42", 42), ("+42", 42), ("-42", -42), (" 42 ", 42), ("0", 0), ("-0", 0), ("007", 7), ("+007", 7),
        ("999999999999999999", 999_999_999_999_999_999), ("-999999999999999999", -999_999_999_999_999_999),
        ("42\r\n", 42),
    ] as [(String, Int64)])
    func parseIntegerAccepts(text: String, value: Int64) {
        #expect(OrderValidator.parseInteger(text) == value)
    }

    @Test(arguments: [
        "", " ", "+", "-", "4.2", "4e2", "0x1F", "1 2", "--4", "+-4", "1000000000000000000", "9223372036854775807",
        "١", "４２", "4\u{20E3}", "abc",
    ])
    func parseIntegerRejects(text: String) {
        #expect(OrderValidator.parseInteger(text) == nil)
    }

    @Test func limits() {
        #expect(OrderLimits.maxLinkLength == 2048)
        #expect(OrderLimits.maxTextFieldLength == 1024)
        #expect(OrderLimits.maxListLines == 10_000)
        #expect(OrderLimits.maxListFieldLength == 1_000_000)
        #expect(OrderLimits.maxRuns == 1000)
        #expect(OrderLimits.maxIntervalMinutes == 43_200)
        #expect(OrderLimits.maxRequestIDLength == 128)
    }
}
