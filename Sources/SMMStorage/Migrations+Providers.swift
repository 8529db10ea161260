extension Migrations {
    /// The reseller engine: upstream providers, the mapping of local services to theirs, and
    /// the sending and syncing state of orders and refills placed with them. Kept in tables of
    /// their own so that local-only panels carry none of it on their hot rows.
    static let providers = Migration(version: 2, name: "providers", statements: [
        """
        CREATE TABLE providers (
            id {{pk}},
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            api_key TEXT NOT NULL,
            enabled BOOLEAN NOT NULL DEFAULT TRUE,
            honors_request_id BOOLEAN NOT NULL DEFAULT FALSE,
            status_codes TEXT NOT NULL DEFAULT '',
            balance TEXT,
            currency TEXT,
            balance_checked_at BIGINT,
            alert TEXT NOT NULL DEFAULT '',
            sync_markup BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX providers_name ON providers (name)",
        // A local service sold from an upstream one. `markup` (minor units of a percent) makes
        // the price follow the cost on every sync; NULL means the operator priced it by hand.
        """
        CREATE TABLE service_upstreams (
            service_id BIGINT PRIMARY KEY REFERENCES services (id),
            provider_id BIGINT NOT NULL REFERENCES providers (id),
            upstream_service TEXT NOT NULL,
            cost BIGINT NOT NULL,
            markup BIGINT,
            vanished_at BIGINT,
            synced_at BIGINT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX service_upstreams_mapping ON service_upstreams (provider_id, upstream_service)",
        // The sending and syncing state of an order placed with a provider. `state`:
        // queued → sending → sent → closed, or held (operator), or failed (refunded).
        // `lease_until` bounds a claim: a `sending` row past its lease was abandoned mid-call.
        """
        CREATE TABLE upstream_orders (
            order_id BIGINT PRIMARY KEY REFERENCES orders (id),
            provider_id BIGINT NOT NULL REFERENCES providers (id),
            upstream_service TEXT NOT NULL,
            state TEXT NOT NULL,
            request_id TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            lease_until BIGINT,
            upstream_order_id TEXT,
            upstream_status TEXT NOT NULL DEFAULT '',
            cost BIGINT,
            reason TEXT NOT NULL DEFAULT '',
            review BOOLEAN NOT NULL DEFAULT FALSE,
            may_exist_upstream BOOLEAN NOT NULL DEFAULT FALSE,
            last_response TEXT NOT NULL DEFAULT '',
            cancel_state TEXT,
            checked_at BIGINT NOT NULL DEFAULT 0,
            sent_at BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX upstream_orders_queue ON upstream_orders (next_attempt_at) WHERE state = 'queued'",
        "CREATE INDEX upstream_orders_sending ON upstream_orders (lease_until) WHERE state = 'sending'",
        "CREATE INDEX upstream_orders_sync ON upstream_orders (provider_id, checked_at) WHERE state = 'sent'",
        "CREATE INDEX upstream_orders_cancel ON upstream_orders (provider_id) WHERE cancel_state = 'requested'",
        "CREATE INDEX upstream_orders_attention ON upstream_orders (updated_at) WHERE state IN ('held', 'failed') OR review = TRUE",
        "CREATE UNIQUE INDEX upstream_orders_remote ON upstream_orders (provider_id, upstream_order_id) WHERE upstream_order_id IS NOT NULL",
        // A refill forwarded to the provider. `state`: queued → sent → closed, or failed.
        """
        CREATE TABLE upstream_refills (
            refill_id BIGINT PRIMARY KEY REFERENCES refills (id),
            provider_id BIGINT NOT NULL REFERENCES providers (id),
            upstream_order_id TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at BIGINT NOT NULL,
            upstream_refill_id TEXT,
            upstream_status TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            checked_at BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX upstream_refills_queue ON upstream_refills (next_attempt_at) WHERE state = 'queued'",
        "CREATE INDEX upstream_refills_sync ON upstream_refills (provider_id, checked_at) WHERE state = 'sent'",
        // When each periodic job (catalog sync, balance check) last ran, so that with many
        // nodes it still runs once per period.
        "CREATE TABLE periodic_jobs (name TEXT PRIMARY KEY, last_run_at BIGINT NOT NULL)",
    ])
}
