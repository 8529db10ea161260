import SMMDomain
import SMMStorage
import Synchronization

/// A sustained rate with a burst allowance: a client may send `burst` requests at once, then
/// `perSecond` a second.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public var burst: Int
    public var perSecond: Double

    public init(burst: Int, perSecond: Double) {
        self.burst = max(1, burst)
        self.perSecond = max(perSecond, 0.001)
    }

    public var description: String { "\(burst) at once, then \(perSecond)/s" }
}

/// Token buckets keyed by client (address, key hash), in memory, with the panel's clock.
///
/// Memory stays bounded: past `maxTracked` clients, buckets that have refilled completely are
/// dropped (a full bucket is the same as no bucket), and if that is not enough the least
/// recently seen half goes. Under a flood of distinct addresses that forgives some clients
/// early, never blocks one wrongly.
public final class TokenBuckets: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    public let limit: RateLimit
    let maxTracked: Int
    let clock: any PanelClock
    private let buckets = Mutex<[String: Bucket]>([:])

    public init(limit: RateLimit, maxTracked: Int = 100_000, clock: any PanelClock) {
        self.limit = limit
        self.maxTracked = max(16, maxTracked)
        self.clock = clock
    }

    /// Takes one token for `client`: nil if the request may go ahead, otherwise the whole
    /// seconds until a token is back (for `Retry-After`).
    public func take(_ client: String) -> Int? {
        let now = clock.now()
        return buckets.withLock { buckets in
            var bucket = refilled(buckets[client], now: now)
            guard bucket.tokens >= 1 else {
                buckets[client] = bucket
                return wait(for: bucket)
            }
            bucket.tokens -= 1
            if buckets[client] == nil, buckets.count >= maxTracked { evict(&buckets, now: now) }
            buckets[client] = bucket
            return nil
        }
    }

    /// Like `take` but takes nothing: nil if `client` has a token left.
    public func check(_ client: String) -> Int? {
        let now = clock.now()
        return buckets.withLock { buckets in
            let bucket = refilled(buckets[client], now: now)
            return bucket.tokens >= 1 ? nil : wait(for: bucket)
        }
    }

    /// How many clients are tracked now (for tests of the memory bound).
    public var trackedCount: Int { buckets.withLock { $0.count } }

    private func refilled(_ bucket: Bucket?, now: Int64) -> Bucket {
        guard var bucket else { return Bucket(tokens: Double(limit.burst), updated: now) }
        let elapsed = Double(max(0, now - bucket.updated))
        bucket.tokens = min(Double(limit.burst), bucket.tokens + elapsed * limit.perSecond)
        bucket.updated = now
        return bucket
    }

    private func wait(for bucket: Bucket) -> Int {
        max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
    }

    private func evict(_ buckets: inout [String: Bucket], now: Int64) {
        buckets = buckets.filter { refilled($0.value, now: now).tokens < Double(limit.burst) }
        if buckets.count >= maxTracked {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maxTracked / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}

/// The API's defences against floods and key guessing: a bucket per client address, one per
/// API key, and one per address for invalid keys. An address whose invalid-key bucket is empty
/// is refused outright until it refills: guessing keys gets slower the more one guesses.
public struct APIThrottleConfiguration: Sendable, Hashable {
    /// Requests per client address; nil: unlimited.
    public var perAddress: RateLimit?
    /// Requests per API key (valid or not); nil: unlimited.
    public var perKey: RateLimit?
    /// Invalid keys per client address before it is refused; nil: unlimited.
    public var invalidKeys: RateLimit?
    /// Take the client address from the last `X-Forwarded-For` entry (behind one trusted
    /// reverse proxy that appends it). Off by default: a direct client could forge it.
    public var trustForwardedFor: Bool
    /// Clients tracked per bucket kind before old ones are forgotten.
    public var maxTracked: Int

    public init(perAddress: RateLimit? = RateLimit(burst: 600, perSecond: 100),
                perKey: RateLimit? = RateLimit(burst: 300, perSecond: 50),
                invalidKeys: RateLimit? = RateLimit(burst: 20, perSecond: 1.0 / 6),
                trustForwardedFor: Bool = false, maxTracked: Int = 100_000) {
        self.perAddress = perAddress
        self.perKey = perKey
        self.invalidKeys = invalidKeys
        self.trustForwardedFor = trustForwardedFor
        self.maxTracked = maxTracked
    }

    /// No limits at all (benchmarks, and fuzzing that must reach the actions).
    public static let unlimited = APIThrottleConfiguration(perAddress: nil, perKey: nil, invalidKeys: nil)
}

public final class APIThrottle: Sendable {
    public let configuration: APIThrottleConfiguration
    let addresses: TokenBuckets?
    let keys: TokenBuckets?
    let invalidKeys: TokenBuckets?

    public init(_ configuration: APIThrottleConfiguration, clock: any PanelClock = SystemClock()) {
        self.configuration = configuration
        addresses = configuration.perAddress.map { TokenBuckets(limit: $0, maxTracked: configuration.maxTracked, clock: clock) }
        keys = configuration.perKey.map { TokenBuckets(limit: $0, maxTracked: configuration.maxTracked, clock: clock) }
        invalidKeys = configuration.invalidKeys.map { TokenBuckets(limit: $0, maxTracked: configuration.maxTracked, clock: clock) }
    }

    /// Before anything is read: nil to go ahead, or seconds to wait.
    public func admit(address: String) -> Int? {
        if let wait = invalidKeys?.check(address) { return wait }
        return addresses?.take(address)
    }

    /// Once the key is known. Buckets are keyed by the key's hash: no plaintext key is kept.
    public func admit(key: String) -> Int? {
        keys?.take(APIKeys.hash(key))
    }

    /// After the API answered `Invalid API key` to this address.
    public func invalidKey(from address: String) {
        _ = invalidKeys?.take(address)
    }
}
