import SQLKit
import Synchronization

/// Counts changes of one kind written by this process.
///
/// The API keeps a few answers for at most a second (`CatalogCache`, `APIKeyCache`). A change
/// made in this process must show at once, so those caches compare a generation as well.
/// Changes made by other processes (other nodes, the CLI) show when the cache's second runs
/// out: the rule for caches in docs/deploy.md. Process-wide rather than per store: tests and
/// the app may hold several stores on one database, and a spurious miss costs one read, never
/// a stale answer.
public final class ChangeCounter: Sendable {
    private let counter = Atomic<UInt64>(0)

    public var generation: UInt64 { counter.load(ordering: .acquiring) }

    func record() { counter.add(1, ordering: .releasing) }
}

public enum LocalChanges {
    /// Services, categories and provider mappings.
    public static let catalog = ChangeCounter()
    /// Keys revoked and users disabled or enabled (a new key needs no notice: unknown keys are
    /// never cached).
    public static let access = ChangeCounter()
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
