import ArgumentParser
import SMMAPI

/// `serve`'s rate-limit and timeout flags; each falls back to an environment variable, then to
/// the default of `PanelConfiguration`.
struct LimitOptions: ParsableArguments {
    static let defaults = APIThrottleConfiguration()

    @Option(help: "API requests per second per client address, sustained; 0 = unlimited (env SMMPANEL_IP_RATE; default \(number(defaults.perAddress?.perSecond))).")
    var ipRate: Double?
    @Option(help: "API requests a client address may send at once (env SMMPANEL_IP_BURST; default \(defaults.perAddress?.burst ?? 0)).")
    var ipBurst: Int?
    @Option(help: "API requests per second per API key, sustained; 0 = unlimited (env SMMPANEL_KEY_RATE; default \(number(defaults.perKey?.perSecond))).")
    var keyRate: Double?
    @Option(help: "API requests one key may send at once (env SMMPANEL_KEY_BURST; default \(defaults.perKey?.burst ?? 0)).")
    var keyBurst: Int?
    @Option(help: "Invalid API keys a client address may send before it gets 429; 0 = no limit (env SMMPANEL_BAD_KEY_BURST; default \(defaults.invalidKeys?.burst ?? 0)).")
    var badKeyBurst: Int?
    @Option(help: "Further invalid keys allowed per minute after that (env SMMPANEL_BAD_KEY_PER_MINUTE; default \(number((defaults.invalidKeys?.perSecond ?? 0) * 60))).")
    var badKeyPerMinute: Double?
    @Flag(help: "Behind one trusted reverse proxy: take the client address (API rate limits, web login limit) from the last X-Forwarded-For entry (env SMMPANEL_TRUST_FORWARDED_FOR=1).")
    var trustForwardedFor = false
    @Option(help: "Seconds a connection may stay silent (or send half a request head) before it is closed (env SMMPANEL_IDLE_TIMEOUT; default 60).")
    var idleTimeout: Int?
    @Option(help: "Seconds a request body may take to arrive after its head (env SMMPANEL_REQUEST_TIMEOUT; default 30).")
    var requestTimeout: Int?

    func validate() throws {
        try check(ipRate, OptionRange.rate, "--ip-rate")
        try check(keyRate, OptionRange.rate, "--key-rate")
        try check(badKeyPerMinute, OptionRange.rate, "--bad-key-per-minute")
        try check(ipBurst, OptionRange.burst, "--ip-burst")
        try check(keyBurst, OptionRange.burst, "--key-burst")
        try check(badKeyBurst, OptionRange.badKeyBurst, "--bad-key-burst")
        try check(idleTimeout, OptionRange.seconds, "--idle-timeout")
        try check(requestTimeout, OptionRange.seconds, "--request-timeout")
    }

    /// Flags as given (checked by `validate`), else the environment (checked here).
    func apply(to configuration: inout PanelConfiguration) throws {
        let defaults = Self.defaults
        var throttle = configuration.throttle
        throttle.perAddress = try limit(rate: ipRate, "SMMPANEL_IP_RATE", burst: ipBurst, "SMMPANEL_IP_BURST", default: defaults.perAddress)
        throttle.perKey = try limit(rate: keyRate, "SMMPANEL_KEY_RATE", burst: keyBurst, "SMMPANEL_KEY_BURST", default: defaults.perKey)
        let badBurst = try badKeyBurst ?? Self.env("SMMPANEL_BAD_KEY_BURST", OptionRange.badKeyBurst) ?? defaults.invalidKeys?.burst ?? 0
        let badPerMinute = try badKeyPerMinute ?? Self.env("SMMPANEL_BAD_KEY_PER_MINUTE", OptionRange.rate)
            ?? (defaults.invalidKeys?.perSecond ?? 0) * 60
        throttle.invalidKeys = badBurst > 0 ? RateLimit(burst: badBurst, perSecond: badPerMinute / 60) : nil
        throttle.trustForwardedFor = trustForwardedFor || Environment.value("SMMPANEL_TRUST_FORWARDED_FOR") == "1"
        configuration.throttle = throttle
        configuration.web.trustForwardedFor = throttle.trustForwardedFor
        if let seconds = try idleTimeout ?? Self.env("SMMPANEL_IDLE_TIMEOUT", OptionRange.seconds) {
            configuration.idleTimeout = .seconds(seconds)
        }
        if let seconds = try requestTimeout ?? Self.env("SMMPANEL_REQUEST_TIMEOUT", OptionRange.seconds) {
            configuration.requestReadTimeout = .seconds(seconds)
        }
    }

    /// A rate of 0 turns the limit off; a burst alone keeps the default rate.
    private func limit(rate: Double?, _ rateVariable: String, burst: Int?, _ burstVariable: String,
                       default fallback: RateLimit?) throws -> RateLimit? {
        let rate = try rate ?? Self.env(rateVariable, OptionRange.rate) ?? fallback?.perSecond ?? 0
        guard rate > 0 else { return nil }
        let burst = try burst ?? Self.env(burstVariable, OptionRange.burst) ?? fallback?.burst ?? Int(rate.rounded(.up))
        return RateLimit(burst: burst, perSecond: rate)
    }

    /// The variable's number, refused unless it reads as one within `range`.
    private static func env<T: LosslessStringConvertible & Comparable>(_ name: String, _ range: ClosedRange<T>) throws -> T? {
        guard let text = Environment.value(name) else { return nil }
        guard let value = T(text), range.contains(value) else {
            throw ValidationError("\(name)=\(text) must be a number between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }
}

private func number(_ value: Double?) -> String {
    guard let value else { return "unlimited" }
    return value == value.rounded() ? String(Int(value)) : String(value)
}
