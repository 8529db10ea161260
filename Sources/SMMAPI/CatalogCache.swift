import NIOCore
import SMMDomain
import SMMHTTP
import SMMStorage
import Synchronization

/// The catalog as the `services` action answers it, kept for at most `maxAge`.
///
/// Why: building the 1,000-service answer (reading the rows, encoding ~250 KB of JSON) is the
/// whole cost of `services` (BENCHMARKS.md), and resellers' bots ask for it constantly.
/// Correctness: a change made through the store shows at once (`generation`, from its
/// `LocalChanges.catalog`); one made by another process shows within `maxAge` — the one-second
/// rule for caches in docs/deploy.md.
/// One build at a time: callers arriving while it runs wait for it instead of repeating it.
public final class CatalogCache: Sendable {
    public struct Entry: Sendable {
        public let services: [Service]
        /// `services` as the API answers it to a customer without rates of their own.
        public let encoded: ByteBuffer
        /// `encoded` gzip-compressed: compressed once here, sent to every client that accepts it.
        public let gzipped: ByteBuffer?
        let generation: UInt64
        let readAt: ContinuousClock.Instant

        init(services: [Service], encoded: [UInt8], compress: Bool, generation: UInt64, readAt: ContinuousClock.Instant) {
            self.services = services
            self.encoded = ByteBuffer(bytes: encoded)
            self.gzipped = compress ? Gzip.compress(self.encoded) : nil
            self.generation = generation
            self.readAt = readAt
        }
    }

    private enum State {
        case empty
        case ready(Entry)
        case building(Task<Entry, any Error>, generation: UInt64)
    }

    public let maxAge: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let generation: @Sendable () -> UInt64
    private let state = Mutex(State.empty)

    /// `maxAge` zero: every call reads. `generation` moves with every catalog change the cache
    /// must show at once (the store's `changes.catalog`); `now` is injectable so tests can move time.
    public init(maxAge: Duration = .seconds(1), now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                generation: @escaping @Sendable () -> UInt64) {
        self.maxAge = maxAge
        self.now = now
        self.generation = generation
    }

    /// The current catalog: reused if read less than `maxAge` ago and no change was made by
    /// through the store since; otherwise read with `load` and encoded with `encode`.
    public func current(load: @escaping @Sendable () async throws -> [Service],
                        encode: @escaping @Sendable ([Service]) -> [UInt8]) async throws -> Entry {
        // Both taken before the read starts: an entry is never older, or newer, than it claims.
        let generation = self.generation()
        let start = now()
        guard maxAge > .zero else {
            // Not kept, so not compressed: compressing is worth it only for an answer sent many times.
            let services = try await load()
            return Entry(services: services, encoded: encode(services), compress: false, generation: generation, readAt: start)
        }
        enum Found { case fresh(Entry), wait(Task<Entry, any Error>) }
        let found: Found = state.withLock { state in
            switch state {
            case .ready(let entry) where entry.generation == generation && start - entry.readAt < maxAge:
                return .fresh(entry)
            case .building(let running, let building) where building == generation:
                return .wait(running)
            default:
                let running = Task<Entry, any Error> {
                    let services = try await load()
                    return Entry(services: services, encoded: encode(services), compress: true, generation: generation, readAt: start)
                }
                state = .building(running, generation: generation)
                return .wait(running)
            }
        }
        let task: Task<Entry, any Error>
        switch found {
        case .fresh(let entry): return entry
        case .wait(let running): task = running
        }
        do {
            let entry = try await task.value
            state.withLock { state in
                if case .building(let running, _) = state, running == task { state = .ready(entry) }
            }
            return entry
        } catch {
            // A failed read is not kept: the next caller tries again.
            state.withLock { state in
                if case .building(let running, _) = state, running == task { state = .empty }
            }
            throw error
        }
    }
}
