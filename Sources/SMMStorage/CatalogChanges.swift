import SQLKit
import Synchronization

/// Counts catalog changes (services, categories, provider mappings) written by this process.
///
/// The API keeps the encoded catalog for at most a second (`CatalogCache`); a change made in
/// this process must show at once, so the cache compares this generation as well. Changes made
/// by other processes (other nodes, the CLI) show when the cache's second runs out, the rule in
/// docs/deploy.md. Process-wide rather than per store: tests and the app may hold several
/// stores on one database, and a spurious rebuild costs one read, never a stale answer.
public enum CatalogChanges {
    private static let counter = Atomic<UInt64>(0)

    public static var generation: UInt64 { counter.load(ordering: .acquiring) }

    static func record() { counter.add(1, ordering: .releasing) }
}

extension PanelStore {
    /// A transaction that writes the catalog. The generation moves after it ends (committed or
    /// not): a cache built from a read that started before the change is then never reused.
    func catalogTransaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        defer { CatalogChanges.record() }
        return try await backend.transaction(body)
    }
}
