/// The service types of API v2, spelled exactly as `services` reports them (contract §3).
public enum ServiceType: String, Sendable, CaseIterable, Codable {
    case `default` = "Default"
    case package = "Package"
    case customComments = "Custom Comments"
    case customCommentsPackage = "Custom Comments Package"
    case mentions = "Mentions"
    case mentionsWithHashtags = "Mentions with Hashtags"
    case mentionsCustomList = "Mentions Custom List"
    case mentionsHashtag = "Mentions Hashtag"
    case mentionsUserFollowers = "Mentions User Followers"
    case mentionsMediaLikers = "Mentions Media Likers"
    case commentLikes = "Comment Likes"
    case commentReplies = "Comment Replies"
    case poll = "Poll"
    case invitesFromGroups = "Invites from Groups"
    case seo = "SEO"
    case webTraffic = "Web Traffic"
    case subscriptions = "Subscriptions"

    /// Accepts the exact label, or the same label in any case and with `_`/`-` for spaces
    /// (operators type `custom_comments` on a command line).
    public init?(label: String) {
        if let exact = ServiceType(rawValue: label) { self = exact; return }
        let wanted = ServiceType.normalize(label)
        guard let match = ServiceType.allCases.first(where: { ServiceType.normalize($0.rawValue) == wanted }) else { return nil }
        self = match
    }

    private static func normalize(_ s: String) -> String {
        String(s.lowercased().map { $0 == "_" || $0 == "-" ? " " : $0 })
    }

    /// Price is the rate itself, not per thousand.
    public var isFlatPrice: Bool { self == .package || self == .customCommentsPackage }

    /// Orders of this type have a link (every type but subscriptions).
    public var needsLink: Bool { self != .subscriptions }

    /// The customer gives `quantity` (otherwise it is derived from a list, or absent).
    public var takesQuantity: Bool {
        switch self {
        case .package, .customComments, .customCommentsPackage, .mentionsCustomList, .commentReplies, .subscriptions:
            return false
        default:
            return true
        }
    }

    /// Drip-feed (`runs`, `interval`) can apply to these types.
    public var supportsDripFeed: Bool { self == .default || self == .webTraffic }

    /// Fields the `add` action reads for this type besides key, action, service, link and
    /// quantity, with whether each is required. Used by validation, the web form and docs.
    public var extraFields: [FieldSpec] {
        switch self {
        case .default, .package:
            return []
        case .customComments, .customCommentsPackage:
            return [.init("comments", .lines)]
        case .mentions:
            return [.init("usernames", .lines)]
        case .mentionsWithHashtags:
            return [.init("usernames", .lines), .init("hashtags", .lines)]
        case .mentionsCustomList:
            return [.init("usernames", .lines)]
        case .mentionsHashtag:
            return [.init("hashtag", .text)]
        case .mentionsUserFollowers, .commentLikes:
            return [.init("username", .text)]
        case .mentionsMediaLikers:
            return [.init("media", .text)]
        case .commentReplies:
            return [.init("username", .text), .init("comments", .lines)]
        case .poll:
            return [.init("answer_number", .positiveInteger)]
        case .invitesFromGroups:
            return [.init("groups", .lines)]
        case .seo:
            return [.init("keywords", .lines)]
        case .webTraffic:
            return [
                .init("country", .text, required: false),
                .init("device", .positiveInteger, required: false),
                .init("type_of_traffic", .positiveInteger, required: false),
                .init("google_keyword", .text, required: false),
                .init("referring_url", .text, required: false),
            ]
        case .subscriptions:
            return [
                .init("username", .text), .init("min", .positiveInteger), .init("max", .positiveInteger),
                .init("posts", .positiveInteger, required: false), .init("old_posts", .nonNegativeInteger, required: false),
                .init("delay", .nonNegativeInteger, required: false), .init("expiry", .text, required: false),
            ]
        }
    }
}

/// One type-specific field of `add`.
public struct FieldSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// One item per line; blank lines ignored.
        case lines
        case text
        case positiveInteger
        case nonNegativeInteger
    }

    public let name: String
    public let kind: Kind
    public let required: Bool

    public init(_ name: String, _ kind: Kind, required: Bool = true) {
        self.name = name
        self.kind = kind
        self.required = required
    }
}
