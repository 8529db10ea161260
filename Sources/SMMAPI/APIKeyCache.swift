import SMMDomain
import SMMStorage
import Synchronization

/// Which customer an API key belongs to, kept for at most `maxAge`.
///
/// Why: every call starts with the key lookup; resellers' bots poll `status` constantly, and
/// the lookup is one of its two database reads. Correctness: a key revoked or a user disabled
/// through the store is refused on the next call (`generation`, from its `LocalChanges.access`);
/// by another process (node, CLI), within `maxAge` — the one-second rule for caches in
/// docs/deploy.md. Only keys that were found are kept (unknown keys, however many, take no
/// memory here; the invalid-key rate limit deals with them), by their SHA-256, never as typed. The balance in a kept `User` is
/// not current: `balance` reads it again.
public final class APIKeyCache: Sendable {
    struct Entry {
        let user: User
        let generation: UInt64
        let readAt: ContinuousClock.Instant
    }

    public let maxAge: Duration
    /// Past this many kept keys, the stale ones (older than `maxAge`, or from before a local
    /// change) are dropped; if none is, all are (a lookup refills each): memory stays bounded.
    public let maxEntries: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let generation: @Sendable () -> UInt64
    private let entries = Mutex<[String: Entry]>([:])

    /// `maxAge` zero: every call reads. `generation` moves with every revocation the cache must
    /// show at once (the store's `changes.access`); `now` is injectable for tests.
    public init(maxAge: Duration = .seconds(1), maxEntries: Int = 100_000,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                generation: @escaping @Sendable () -> UInt64) {
        self.maxAge = maxAge
        self.maxEntries = max(1, maxEntries)
        self.now = now
        self.generation = generation
    }

    /// The key's user (`isCurrent`: just read, so its balance is current too), or nil if the
    /// key is unknown, revoked or its user disabled.
    public func user(forKey key: String, load: (String) async throws -> User?) async throws -> (user: User, isCurrent: Bool)? {
        // Taken before the read: an entry never claims to be newer than its read.
        let generation = self.generation()
        let start = now()
        let hash = APIKeys.hash(key)
        if maxAge > .zero, let entry = entries.withLock({ $0[hash] }),
           entry.generation == generation, start - entry.readAt < maxAge {
            return (entry.user, false)
        }
        guard let user = try await load(hash) else {
            entries.withLock { _ = $0.removeValue(forKey: hash) }
            return nil
        }
        if maxAge > .zero {
            entries.withLock { entries in
                if entries.count >= maxEntries && entries[hash] == nil {
                    // Full: usually of keys seen once long ago, no longer of any use. The sweep
                    // costs one pass per `maxEntries` new keys at most.
                    entries = entries.filter { $0.value.generation == generation && start - $0.value.readAt < maxAge }
                    if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
                }
                entries[hash] = Entry(user: user, generation: generation, readAt: start)
            }
        }
        return (user, true)
    }

    var count: Int { entries.withLock { $0.count } }
}
