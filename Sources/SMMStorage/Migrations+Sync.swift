extension Migrations {
    /// Status sync claims sent orders `ORDER BY checked_at, order_id`. On the index of version 2,
    /// `(provider_id, checked_at)` only, SQLite sorts the orders checked at the same second (every
    /// order not yet checked has 0) by `order_id` for each claim of 100 (`USE TEMP B-TREE FOR
    /// RIGHT PART OF ORDER BY`; BENCHMARKS.md). With `order_id` in the index a claim reads 100 entries.
    static let syncOrder = Migration(version: 5, name: "sync-order", statements: [
        "CREATE INDEX upstream_orders_sync_order ON upstream_orders (provider_id, checked_at, order_id) WHERE state = 'sent'",
        "DROP INDEX upstream_orders_sync",
    ])
}
