/// Limits on what one `add` may carry; past them the request is refused before any work.
public enum OrderLimits {
    public static let maxLinkLength = 2048
    public static let maxTextFieldLength = 1024
    public static let maxListLines = 10_000
    public static let maxListFieldLength = 1_000_000
    public static let maxRuns: Int64 = 1000
    /// A drip-feed interval of at most 30 days, in minutes.
    public static let maxIntervalMinutes: Int64 = 43_200
    public static let maxRequestIDLength = 128
}

extension String {
    /// Any C0 control character or DEL: never part of a name, tag, link or id.
    public var containsControlCharacter: Bool {
        unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}

/// A validated order, ready to be charged and stored.
public struct NewOrder: Sendable, Hashable {
    public var serviceID: ServiceID
    public var type: ServiceType
    /// Trimmed link; empty for subscriptions.
    public var link: String
    /// Units to deliver in total (drip-feed: runs × per-run quantity; flat Package: 1).
    public var quantity: Int64
    public var charge: Money
    /// Type-specific fields, normalized (lists as `\n`-joined non-blank lines).
    public var fields: [String: String]
    public var dripFeed: DripFeed?

    public struct DripFeed: Sendable, Hashable {
        public var runs: Int64
        public var intervalMinutes: Int64
        public var quantityPerRun: Int64
    }
}

/// Turns the raw fields of an `add` request into a `NewOrder`, or the contract's error.
///
/// Empty strings count as absent: many clients send every field of every type, blank.
/// Checks run in the order a customer can act on: link, the type's own fields, quantity,
/// drip-feed; money and the active-link rule are the store's (they need the database).
public enum OrderValidator {
    /// A character a link cannot hold: white space (Unicode's) or a C0 control or DEL. ASCII is
    /// decided by value: looking up Unicode properties for every character of every link is a
    /// needless cost on `add`'s path (BENCHMARKS.md).
    static func breaksLink(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value <= 0x20 || scalar.value == 0x7F }
        return scalar.properties.isWhitespace
    }

    public static let subscriptionDelays: Set<Int64> = [0, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120, 150, 180, 210, 240, 270, 300, 360, 420, 480, 540, 600]

    public static func validate(_ raw: [String: String], for service: ServiceTerms) throws(PanelError) -> NewOrder {
        let type = service.type
        func value(_ name: String) -> String? {
            guard let v = raw[name]?.trimmingSpaces(), !v.isEmpty else { return nil }
            return v
        }

        var link = ""
        if type.needsLink {
            guard let given = value("link") else { throw .incorrectLink }
            // (A link is never longer in characters than in bytes: most need no count.)
            guard given.utf8.count <= OrderLimits.maxLinkLength || given.count <= OrderLimits.maxLinkLength,
                  !given.unicodeScalars.contains(where: Self.breaksLink)
            else { throw .incorrectLink }
            link = given
        }

        var fields: [String: String] = [:]
        var listCounts: [String: Int64] = [:]
        for spec in type.extraFields {
            guard let text = value(spec.name) else {
                if spec.required { throw .missingField(spec.name) }
                continue
            }
            switch spec.kind {
            case .lines:
                // No NUL: PostgreSQL text cannot hold it, and no list item needs it.
                guard text.utf8.count <= OrderLimits.maxListFieldLength, !text.unicodeScalars.contains("\u{0}") else {
                    throw .incorrectField(spec.name)
                }
                let lines = splitLines(text)
                guard !lines.isEmpty else { throw .missingField(spec.name) }
                guard lines.count <= OrderLimits.maxListLines else { throw .incorrectField(spec.name) }
                fields[spec.name] = lines.joined(separator: "\n")
                listCounts[spec.name] = Int64(lines.count)
            case .text:
                guard text.count <= OrderLimits.maxTextFieldLength, !text.containsControlCharacter else { throw .incorrectField(spec.name) }
                fields[spec.name] = text
            case .positiveInteger, .nonNegativeInteger:
                guard let number = parseInteger(text), number >= (spec.kind == .positiveInteger ? 1 : 0) else {
                    throw .incorrectField(spec.name)
                }
                fields[spec.name] = String(number)
            }
        }

        if type == .subscriptions {
            return try subscription(fields: fields, service: service)
        }
        if type == .webTraffic {
            try checkWebTraffic(&fields)
        }

        // Quantity: given, or the number of list lines, or a single package.
        var quantity: Int64
        switch type {
        case .customComments, .customCommentsPackage, .commentReplies:
            quantity = listCounts["comments"] ?? 0
        case .mentionsCustomList:
            quantity = listCounts["usernames"] ?? 0
        case .package:
            quantity = 1
        default:
            guard let text = value("quantity") else { throw .missingField("quantity") }
            guard let number = parseInteger(text) else { throw .incorrectField("quantity") }
            quantity = number
        }
        // A plain package has no quantity; every other type, Custom Comments Package included
        // (its price is flat, its comment count is not free), stays within min…max.
        if type != .package {
            guard quantity >= service.min else { throw .quantityBelowMinimum(service.min) }
            guard quantity <= service.max else { throw .quantityAboveMaximum(service.max) }
        }

        var dripFeed: NewOrder.DripFeed?
        // Clients that send every field of every type send `runs=0&interval=0` for a plain
        // order: zero means "no drip-feed", not a mistake.
        let runsText = value("runs").flatMap { parseInteger($0) == 0 ? nil : $0 }
        let intervalText = value("interval").flatMap { parseInteger($0) == 0 ? nil : $0 }
        if runsText != nil || intervalText != nil {
            guard type.supportsDripFeed, service.dripFeed else { throw .dripFeedNotAvailable }
            guard let runsText else { throw .missingField("runs") }
            guard let intervalText else { throw .missingField("interval") }
            guard let runs = parseInteger(runsText), runs >= 1, runs <= OrderLimits.maxRuns else { throw .incorrectField("runs") }
            guard let interval = parseInteger(intervalText), interval >= 1, interval <= OrderLimits.maxIntervalMinutes else {
                throw .incorrectField("interval")
            }
            if runs > 1 {
                dripFeed = .init(runs: runs, intervalMinutes: interval, quantityPerRun: quantity)
                let (total, overflow) = quantity.multipliedReportingOverflow(by: runs)
                guard !overflow else { throw .quantityAboveMaximum(service.max) }
                quantity = total
            }
        }

        guard let charge = Pricing.charge(type: type, rate: service.rate, quantity: quantity) else {
            throw .quantityAboveMaximum(service.max)
        }
        return NewOrder(serviceID: service.id, type: type, link: link, quantity: quantity, charge: charge,
                        fields: fields, dripFeed: dripFeed)
    }

    /// Subscriptions: no link and no quantity; `min`/`max` per new post within the service's
    /// limits. Nothing is charged up front: a subscription costs what its posts' child orders
    /// cost, and those are created by whoever watches the account for new posts.
    private static func subscription(fields: [String: String], service: ServiceTerms) throws(PanelError) -> NewOrder {
        let min = Int64(fields["min"]!)!, max = Int64(fields["max"]!)!
        guard min >= service.min else { throw .quantityBelowMinimum(service.min) }
        guard max <= service.max else { throw .quantityAboveMaximum(service.max) }
        guard min <= max else { throw .incorrectField("min") }
        if let delay = fields["delay"], !subscriptionDelays.contains(Int64(delay)!) { throw .incorrectField("delay") }
        var fields = fields
        if let expiry = fields["expiry"] {
            guard let date = CalendarDate(dayMonthYear: expiry) else { throw .incorrectField("expiry") }
            fields["expiry"] = date.dayMonthYear
        }
        // The watched account stands where other orders have their link, so the
        // one-active-order-per-link rule also keeps one live subscription per account.
        return NewOrder(serviceID: service.id, type: .subscriptions, link: fields["username"]!, quantity: 0, charge: .zero,
                        fields: fields, dripFeed: nil)
    }

    /// Web Traffic: device 1–5; type_of_traffic 1 (Google keyword), 2 (referrer), 3 (blank),
    /// each with the field it requires.
    private static func checkWebTraffic(_ fields: inout [String: String]) throws(PanelError) {
        if let device = fields["device"], !(1...5).contains(Int64(device)!) { throw .incorrectField("device") }
        guard let traffic = fields["type_of_traffic"] else { return }
        switch Int64(traffic)! {
        case 1:
            guard fields["google_keyword"] != nil else { throw .missingField("google_keyword") }
            fields["referring_url"] = nil
        case 2:
            guard fields["referring_url"] != nil else { throw .missingField("referring_url") }
            fields["google_keyword"] = nil
        case 3:
            fields["google_keyword"] = nil
            fields["referring_url"] = nil
        default:
            throw .incorrectField("type_of_traffic")
        }
    }

    /// Splits a list field on `\n` or `\r\n`, trims each line, drops blank ones.
    public static func splitLines(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            .map { String($0).trimmingSpaces() }
            .filter { !$0.isEmpty }
    }

    /// Largest magnitude a request's integer field may have: 18 digits, so that sums and
    /// products of two of them are checked rather than trapping.
    public static let integerRange: ClosedRange<Int64> = -999_999_999_999_999_999...999_999_999_999_999_999

    /// A plain decimal integer (optional sign), without exponent or fraction.
    public static func parseInteger(_ text: String) -> Int64? {
        CheckedInteger.parse(text, in: integerRange)
    }
}
