import SMMDatabase
import SQLKit
import Synchronization

/// Counts changes of one kind written through one store.
public final class ChangeCounter: Sendable {
    private let counter = Atomic<UInt64>(0)

    public init() {}

    public var generation: UInt64 { counter.load(ordering: .acquiring) }

    func record() { counter.add(1, ordering: .releasing) }
}

/// The changes a store has written, by kind, for caches that must show them at once.
///
/// The API keeps a few answers for at most a second (`CatalogCache`, `APIKeyCache`). A change
/// made through the store they read must show at once, so those caches compare a generation as
/// well. Changes made by other processes (other nodes, the CLI) or through another store show
/// when the cache's second runs out: the rule for caches in docs/deploy.md. Copies of a store
/// share its counters; stores that must see each other's changes at once are given one
/// `LocalChanges` (`PanelStore.init(changes:)`).
public final class LocalChanges: Sendable {
    /// Services, categories and provider mappings.
    public let catalog = ChangeCounter()
    /// Keys revoked and users disabled or enabled (a new key needs no notice: unknown keys are
    /// never cached).
    public let access = ChangeCounter()

    public init() {}
}

extension PanelStore {
    /// A transaction that writes what `counter` covers. The generation moves after it ends
    /// (committed or not): a cache filled from a read that started before the change is then
    /// never reused.
    func transaction<T: Sendable>(noting counter: ChangeCounter,
                                  _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        defer { counter.record() }
        return try await backend.transaction(body)
    }
}
