import Logging
import Metrics
import SMMDomain
import SMMStorage
import ServiceLifecycle

/// Tuning of the reseller engine; the defaults suit a live panel, tests shorten them.
public struct EngineSettings: Sendable {
    /// Orders claimed per dispatch round.
    public var dispatchBatch = 50
    /// Calls to providers in flight at once during a dispatch round.
    public var dispatchConcurrency = 8
    /// How long a claimed send may take before it counts as abandoned. Must exceed the HTTP
    /// timeout, or a slow but live call would be reconciled under its feet.
    public var sendLease: Int64 = 120
    /// First retry delay (seconds); it doubles per attempt up to `maxRetryDelay`.
    public var retryDelay: Int64 = 15
    public var maxRetryDelay: Int64 = 1800
    /// After this many attempts an order is held for the operator instead of retried.
    public var maxAttempts: Int64 = 12
    /// A sent order is checked again at most this often (seconds).
    public var recheckAfter: Int64 = 60

    public init() {}
}

/// The reseller engine: sends queued orders to their providers, follows their statuses,
/// forwards cancels and refills, and keeps catalogs in step. Each method is one round that the
/// worker calls periodically and the tests call directly.
public struct ProviderEngine: Sendable {
    public let store: PanelStore
    public let client: ProviderClient
    public let metrics: ProviderMetrics
    public let settings: EngineSettings
    let logger: Logger

    public init(store: PanelStore, client: ProviderClient, metrics: ProviderMetrics, settings: EngineSettings = EngineSettings(),
                logger: Logger) {
        self.store = store
        self.client = client
        self.metrics = metrics
        self.settings = settings
        self.logger = logger
    }

    /// Whether to start no further call to a provider. On graceful shutdown the calls already
    /// under way finish and their answers are recorded (a call cut off could leave an order the
    /// provider may or may not have); what was claimed but not yet sent goes back to the queue.
    static var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    func providersByID() async throws -> [Int64: Provider] {
        Dictionary(try await store.providers().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: Dispatch

    /// Claims and sends one batch; returns how many orders were claimed.
    @discardableResult
    public func dispatchRound() async throws -> Int {
        let jobs = try await store.claimDispatch(limit: settings.dispatchBatch, lease: settings.sendLease)
        guard !jobs.isEmpty else { return 0 }
        let providers = try await providersByID()
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for job in jobs {
                if running == settings.dispatchConcurrency {
                    await group.next()
                    running -= 1
                }
                guard let provider = providers[job.providerID] else { continue }
                group.addTask { await send(job, to: provider) }
                running += 1
            }
        }
        return jobs.count
    }

    /// The `add` fields of an order as its provider must receive them.
    static func addFields(for job: DispatchJob) -> [(String, String)] {
        let order = job.order
        var fields: [(String, String)] = [("service", job.upstreamService)]
        if order.type.needsLink { fields.append(("link", order.link)) }
        if let runs = order.runs, let interval = order.intervalMinutes, runs > 0 {
            fields += [("quantity", String(order.quantity / runs)), ("runs", String(runs)), ("interval", String(interval))]
        } else if order.type.takesQuantity {
            fields.append(("quantity", String(order.quantity)))
        }
        for key in order.fields.keys.sorted() { fields.append((key, order.fields[key]!)) }
        fields.append(("request_id", job.requestID))
        return fields
    }

    func send(_ job: DispatchJob, to provider: Provider) async {
        let orderID = job.order.id
        var log = logger
        log[metadataKey: "order"] = "\(orderID)"
        log[metadataKey: "provider"] = .string(provider.name)
        do {
            if Self.stopping {
                try await store.releaseClaim(orderID: orderID, attempt: job.attempt)
                log.info("stopping; claim given back unsent")
                return
            }
            guard try await store.renewClaim(orderID: orderID, attempt: job.attempt, lease: settings.sendLease) else {
                log.warning("claim expired before its turn; left to reconciliation")
                return
            }
            let (answer, raw) = try await client.add(provider, fields: Self.addFields(for: job))
            switch answer {
            case .order(let upstreamID):
                if try await store.recordSent(orderID: orderID, upstreamOrderID: upstreamID, response: raw) {
                    metrics.sent(provider: provider.name)
                    log.info("order sent", metadata: ["upstream_order": .string(upstreamID)])
                } else {
                    // Sent, but the order was settled meanwhile: the operator must know.
                    log.error("provider accepted an order already settled here", metadata: ["upstream_order": .string(upstreamID)])
                }
            case .error(let message):
                try await handleRefusal(job, provider: provider, message: message, raw: raw, log: log)
            }
        } catch let failure as UpstreamCallError {
            metrics.sendFailure(provider: provider.name, kind: failure.kind)
            do {
                if failure.mayHaveReachedProvider && !provider.honorsRequestID {
                    // The provider may have created the order; repeating could buy it twice.
                    try await store.recordHeld(orderID: orderID, attempt: job.attempt, reason: """
                        \(failure) — the provider may or may not have the order and does not honour request_id; check at the \
                        provider, then resend it, link its upstream id, or cancel it
                        """, response: "", mayExistUpstream: true)
                    log.warning("send ambiguous; held", metadata: ["error": .string(failure.description)])
                } else {
                    try await retryOrHold(job, reason: failure.description, response: "", log: log,
                                          mayExistUpstream: failure.mayHaveReachedProvider)
                }
            } catch {
                log.error("could not record a send failure", metadata: ["error": .string("\(error)")])
            }
        } catch {
            // A database failure while recording: the claim's lease runs out and the next
            // round reconciles the order; nothing is lost.
            log.error("send round failed", metadata: ["error": .string("\(error)")])
        }
    }

    private func handleRefusal(_ job: DispatchJob, provider: Provider, message: String, raw: String, log: Logger) async throws {
        let kind = UpstreamDialect.classify(error: message)
        metrics.sendFailure(provider: provider.name, kind: kind.rawValue)
        switch kind {
        case .permanent:
            try await store.recordFailed(orderID: job.order.id, attempt: job.attempt, reason: "the provider refused the order: \(message)",
                                         response: raw)
            log.notice("provider refused order; canceled and refunded", metadata: ["message": .string(message)])
        case .retryLater:
            try await retryOrHold(job, reason: "the provider asked to wait: \(message)", response: raw, log: log)
        case .providerFunds, .providerAuth:
            try await store.setProviderAlert(id: provider.id, Self.alert(kind, message, provider: provider, meanwhile: "orders are held"))
            try await store.recordHeld(orderID: job.order.id, attempt: job.attempt, reason: "provider: \(message)", response: raw)
            log.error("provider problem; order held", metadata: ["message": .string(message)])
        case .unrecognized:
            try await store.recordHeld(orderID: job.order.id, attempt: job.attempt,
                                       reason: "the provider answered an error this panel cannot classify: \(message)", response: raw)
            log.warning("unclassified provider error; order held", metadata: ["message": .string(message)])
        }
    }

    /// The operator's alert for a problem of ours at the provider (our balance there, our key).
    static func alert(_ kind: UpstreamErrorKind, _ message: String, provider: Provider, meanwhile: String) -> String {
        let (problem, fix) = kind == .providerFunds
            ? ("our balance at the provider is too low", "top up")
            : ("the provider refuses our API key", "fix the key")
        return "\(problem) (\(message)); \(meanwhile): \(fix), then `smmpanel provider resend \(provider.name)`"
    }

    private func retryOrHold(_ job: DispatchJob, reason: String, response: String, log: Logger, mayExistUpstream: Bool = false) async throws {
        if job.attempt >= settings.maxAttempts {
            try await store.recordHeld(orderID: job.order.id, attempt: job.attempt,
                                       reason: "gave up after \(job.attempt) attempts; last: \(reason)", response: response,
                                       mayExistUpstream: true)
            log.warning("send failed repeatedly; held", metadata: ["reason": .string(reason)])
            return
        }
        let delay = min(settings.retryDelay << min(job.attempt - 1, 20), settings.maxRetryDelay)
        try await store.recordRetry(orderID: job.order.id, attempt: job.attempt, reason: reason, response: response,
                                    retryAt: store.clock.now() + delay, mayExistUpstream: mayExistUpstream)
        log.info("send failed; will retry", metadata: ["reason": .string(reason), "in_seconds": "\(delay)"])
    }

    // MARK: Status sync

    /// Checks every sent order not checked in the last `recheckAfter` seconds, 100 per call,
    /// least recently checked first. Returns the number of upstream calls made.
    @discardableResult
    public func statusRound() async throws -> Int {
        let checkedBefore = store.clock.now() - settings.recheckAfter + 1
        let providers = try await providersByID()
        var calls = 0
        for providerID in try await store.providersDueForSync(checkedBefore: checkedBefore) {
            guard let provider = providers[providerID], provider.enabled else { continue }
            while !Self.stopping {
                let items = try await store.claimSync(providerID: providerID, checkedBefore: checkedBefore, limit: 100)
                guard !items.isEmpty else { break }
                calls += 1
                do {
                    try await syncBatch(items, provider: provider)
                } catch let failure as UpstreamCallError {
                    // The claim stamped them as checked: they come round again next time.
                    metrics.syncFailure(provider: provider.name, kind: failure.kind)
                    logger.warning("status sync failed", metadata: ["provider": .string(provider.name), "error": .string(failure.description)])
                    break
                }
                if items.count < 100 { break }
            }
        }
        metrics.syncLag(seconds: try await store.syncLag())
        return calls
    }

    func syncBatch(_ items: [SyncItem], provider: Provider) async throws {
        let (reports, raw) = try await client.status(provider, ids: items.map(\.upstreamOrderID))
        // The whole call's reports in one transaction: one COMMIT for up to 100 orders.
        try await store.applyUpstreamReports(items.compactMap { item in
            reports[item.upstreamOrderID].map { report in
                PanelStore.ReportedOrder(orderID: item.order.id, report: report, raw: items.count == 1 ? raw : "\(report)")
            }
        })
    }

    // MARK: Cancels and refills

    /// Forwards customers' cancel requests, 100 per call.
    @discardableResult
    public func cancelRound() async throws -> Int {
        let providers = try await providersByID()
        var forwarded = 0
        for providerID in try await store.providersWithCancelRequests() where !Self.stopping {
            guard let provider = providers[providerID], provider.enabled else { continue }
            let jobs = try await store.claimCancels(providerID: providerID, lease: settings.sendLease)
            guard !jobs.isEmpty else { continue }
            do {
                let outcomes = try await client.cancel(provider, ids: jobs.map(\.upstreamOrderID))
                for job in jobs {
                    try await store.recordCancel(orderID: job.orderID, outcome: outcomes[job.upstreamOrderID] ?? .retry)
                }
                forwarded += jobs.count
            } catch let failure as UpstreamCallError {
                // A cancel asked twice is harmless: ask again next round.
                for job in jobs { try await store.recordCancel(orderID: job.orderID, outcome: .retry) }
                logger.warning("cancel forwarding failed", metadata: ["provider": .string(provider.name), "error": .string(failure.description)])
            }
        }
        return forwarded
    }

    /// Forwards queued refills and mirrors the status of sent ones. Stopping, it starts no new
    /// call: the refills claimed for providers not yet called go back to the queue (claimed,
    /// they would wait out the claim's ten minutes after the restart).
    @discardableResult
    public func refillRound() async throws -> Int {
        guard !Self.stopping else { return 0 }
        let providers = try await providersByID()
        var work = 0
        let jobs = try await store.claimRefillSends(limit: 100)
        for (providerID, batch) in Dictionary(grouping: jobs, by: \.providerID) {
            guard let provider = providers[providerID] else { continue }
            if Self.stopping {
                try await store.releaseRefillClaims(batch)
                continue
            }
            do {
                let answers = try await client.refill(provider, ids: batch.map(\.upstreamOrderID))
                var problem: (UpstreamErrorKind, String)?
                for job in batch {
                    switch answers[job.upstreamOrderID] ?? .error("no answer") {
                    case .value(let refillID):
                        try await store.recordRefillSent(refillID: job.refillID, upstreamRefillID: refillID)
                    case .error(let message):
                        let kind = UpstreamDialect.classify(error: message)
                        switch kind {
                        case .retryLater, .providerFunds, .providerAuth:
                            // "Wait", or a problem of ours at the provider (its balance, our key):
                            // the customer's refill is not refused for it; asked again later.
                            try await store.recordRefillRetry(refillID: job.refillID, reason: message, retryAt: store.clock.now() + settings.recheckAfter)
                            if kind != .retryLater, problem == nil { problem = (kind, message) }
                        case .permanent, .unrecognized:
                            try await store.recordRefillRefused(refillID: job.refillID, reason: message)
                        }
                    }
                }
                // Ours to fix, so the operator is told, as for orders; an alert already raised
                // (orders held, which says more) is left as it is.
                if let (kind, message) = problem, provider.alert.isEmpty {
                    try await store.setProviderAlert(id: provider.id, Self.alert(kind, message, provider: provider,
                                                                                meanwhile: "refills wait and are asked again every \(settings.recheckAfter) seconds"))
                }
                work += batch.count
            } catch let failure as UpstreamCallError {
                for job in batch {
                    try await store.recordRefillRetry(refillID: job.refillID, reason: failure.description,
                                                      retryAt: store.clock.now() + settings.retryDelay)
                }
            }
        }
        let checkedBefore = store.clock.now() - settings.recheckAfter + 1
        for providerID in try await store.providersDueForRefillSync(checkedBefore: checkedBefore) where !Self.stopping {
            guard let provider = providers[providerID], provider.enabled else { continue }
            let batch = try await store.claimRefillSync(providerID: providerID, checkedBefore: checkedBefore)
            let ids = batch.compactMap(\.upstreamRefillID)
            guard !ids.isEmpty else { continue }
            do {
                let answers = try await client.refillStatus(provider, ids: ids)
                for job in batch {
                    guard let remote = job.upstreamRefillID, case .value(let label) = answers[remote] ?? .error("") else { continue }
                    try await store.applyUpstreamRefillStatus(refillID: job.refillID, label: label)
                }
                work += batch.count
            } catch let failure as UpstreamCallError {
                logger.warning("refill status sync failed", metadata: ["provider": .string(provider.name), "error": .string(failure.description)])
            }
        }
        return work
    }

    // MARK: Balances and catalog

    /// Reads every enabled provider's balance; a provider that answers clears its funds alert
    /// only when the operator resends (the balance alone does not say orders can go).
    public func balanceRound() async {
        guard let providers = try? await store.providers() else { return }
        for provider in providers where provider.enabled && !Self.stopping {
            do {
                let (balance, currency) = try await client.balance(provider)
                try await store.recordProviderBalance(id: provider.id, balance: balance, currency: currency)
                if let value = UpstreamDialect.money(balance) { metrics.providerBalance(provider: provider.name, value: value) }
            } catch {
                logger.warning("provider balance check failed", metadata: ["provider": .string(provider.name), "error": .string("\(error)")])
            }
        }
    }

    /// Imports a provider's services as local ones priced at cost × (1 + markup). Returns the
    /// created services and one line per skipped entry.
    public func importCatalog(_ provider: Provider, markup: Money, only ids: Set<String>?, categoryPrefix: String) async throws
        -> (created: [SMMStorage.Service], skipped: [String]) {
        let entries = try await client.services(provider)
        var created: [SMMStorage.Service] = []
        var skipped: [String] = []
        let known = Set(entries.map(\.id))
        for id in (ids ?? []).sorted() where !known.contains(id) { skipped.append("\(id): not in the provider's catalog") }
        for entry in entries where ids == nil || ids!.contains(entry.id) {
            guard let type = entry.type else {
                skipped.append("\(entry.id): type \"\(entry.typeLabel)\" is not one this panel sells")
                continue
            }
            let category = (categoryPrefix + entry.category).trimmingSpaces()
            if let service = try await store.importUpstreamService(providerID: provider.id, entry: entry, type: type,
                                                                   categoryName: category.isEmpty ? "Other" : category, markup: markup) {
                created.append(service)
            } else {
                skipped.append("\(entry.id): imported already")
            }
        }
        return (created, skipped)
    }

    /// Brings the local services sold from a provider in step with its catalog; returns one
    /// line per change.
    public func syncCatalog(_ provider: Provider) async throws -> [String] {
        let entries = try await client.services(provider)
        let mapped = try await store.mappedServices(providerID: provider.id)
        // A provider in maintenance may answer an empty list: that is no reason to disable
        // every service sold from it.
        if entries.isEmpty, mapped.contains(where: \.enabled) {
            throw UpstreamCallError.unexpected("the provider's catalog is empty; nothing changed")
        }
        let updates = CatalogSync.plan(upstream: entries, mapped: mapped)
        var lines: [String] = []
        for update in updates {
            try await store.applyCatalogUpdate(update)
            lines += update.changes.map { "service \(update.serviceID): \($0)" }
        }
        return lines
    }

    /// Catalog sync for every enabled provider; failures are logged, not fatal.
    public func catalogRound() async {
        guard let providers = try? await store.providers() else { return }
        for provider in providers where provider.enabled && !Self.stopping {
            do {
                for line in try await syncCatalog(provider) {
                    logger.notice("catalog sync", metadata: ["provider": .string(provider.name), "change": .string(line)])
                }
            } catch {
                logger.warning("catalog sync failed", metadata: ["provider": .string(provider.name), "error": .string("\(error)")])
            }
        }
    }
}
