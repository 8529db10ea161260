import Metrics
import SMMDomain

/// The reseller engine's metrics. The factory is passed in (not the global one) so that the
/// app decides where they go and tests can read them from their own registry.
public struct ProviderMetrics: Sendable {
    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Metrics nobody reads, for tools that do not expose them.
    public static var none: ProviderMetrics { ProviderMetrics(factory: NOOPMetricsHandler.instance) }

    func sent(provider: String) {
        Counter(label: "smmpanel_upstream_orders_sent_total", dimensions: [("provider", provider)], factory: factory).increment()
    }

    func sendFailure(provider: String, kind: String) {
        Counter(label: "smmpanel_upstream_send_failures_total", dimensions: [("provider", provider), ("kind", kind)], factory: factory)
            .increment()
    }

    func syncFailure(provider: String, kind: String) {
        Counter(label: "smmpanel_upstream_sync_failures_total", dimensions: [("provider", provider), ("kind", kind)], factory: factory)
            .increment()
    }

    /// A forwarded cancel or refill (or a refill status check) that failed: `kind` is the
    /// call's failure, or the provider's refusal of one order as classified.
    func actionFailure(provider: String, action: String, kind: String) {
        Counter(label: "smmpanel_upstream_action_failures_total", dimensions: [("provider", provider), ("action", action), ("kind", kind)],
                factory: factory).increment()
    }

    /// Seconds since the least recently checked sent order was last checked.
    func syncLag(seconds: Int64) {
        Gauge(label: "smmpanel_status_sync_lag_seconds", factory: factory).record(seconds)
    }

    func providerBalance(provider: String, value: Money) {
        Gauge(label: "smmpanel_provider_balance", dimensions: [("provider", provider)], factory: factory)
            .record(Double(value.minorUnits) / Double(Money.unitsPerWhole))
    }

    /// Latency of one call to a provider, by action.
    public func callLatency(provider: String, action: String, seconds: Double) {
        Timer(label: "smmpanel_upstream_call_duration_seconds", dimensions: [("provider", provider), ("action", action)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1_000_000_000))
    }

    func ordersNeedingAttention(_ count: Int) {
        Gauge(label: "smmpanel_orders_needing_attention", factory: factory).record(count)
    }
}
