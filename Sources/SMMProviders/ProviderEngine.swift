import Logging
import Metrics
import SMMDomain
import SMMStorage
import ServiceLifecycle

/// Tuning of the reseller engine; the defaults suit a live panel, tests shorten them.
public struct EngineSettings: Sendable {
    /// Orders claimed per dispatch round.
    public var dispatchBatch = 50
    /// Sends in flight at once to a provider that honours `request_id` and has no concurrency
    /// of its own set (`provider add --concurrency`); one that does not honour it gets 1.
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
    /// What the engine reads and records, and nothing more.
    public typealias Repositories = UpstreamQueue & ProviderRecords & PeriodicJobs & ClockSource

    public let store: any Repositories
    public let client: ProviderClient
    public let metrics: ProviderMetrics
    public let settings: EngineSettings
    let logger: Logger

    public init(store: some Repositories, client: ProviderClient, metrics: ProviderMetrics, settings: EngineSettings = EngineSettings(),
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

    // MARK: Dispatch

    /// Runs `body` for every provider at once and adds up what each returns: providers are
    /// served independently, so a slow or dead one never delays another's calls. Every
    /// provider's part runs to its end (a call under way is never cut off by another's
    /// failure); the first error is thrown afterwards.
    func eachProvider(_ providers: [Provider], _ body: @escaping @Sendable (Provider) async throws -> Int) async throws -> Int {
        let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for provider in providers {
                group.addTask {
                    do { return .success(try await body(provider)) } catch { return .failure(error) }
                }
            }
            var all: [Result<Int, any Error>] = []
            for await result in group { all.append(result) }
            return all
        }
        var total = 0
        for result in results { total += try result.get() }
        return total
    }

    func enabledProviders(_ ids: [ProviderID]? = nil) async throws -> [Provider] {
        let wanted = ids.map(Set.init)
        return try await store.providers().filter { $0.enabled && (wanted?.contains($0.id) ?? true) }
    }

    /// Sends what is due for every provider (each on its own, at once); returns how many orders
    /// were claimed.
    @discardableResult
    public func dispatchRound() async throws -> Int {
        try await eachProvider(try await enabledProviders()) { try await dispatch(to: $0) }
    }

    /// Sends up to `dispatchBatch` of one provider's due orders, its concurrency at a time: each
    /// claim takes only what goes out at once, so no claimed order waits behind a slow call
    /// while its lease runs out. Returns how many were claimed.
    @discardableResult
    public func dispatch(to provider: Provider) async throws -> Int {
        let width = max(1, min(provider.effectiveConcurrency(honoring: settings.dispatchConcurrency), settings.dispatchBatch))
        var claimed = 0
        while claimed < settings.dispatchBatch, !Self.stopping {
            let jobs = try await store.claimDispatch(providerID: provider.id, limit: min(width, settings.dispatchBatch - claimed),
                                                     lease: settings.sendLease)
            claimed += jobs.count
            await withTaskGroup(of: Void.self) { group in
                for job in jobs { group.addTask { await send(job, to: provider) } }
            }
            if jobs.count < width { break }
        }
        return claimed
    }

    /// The `add` fields of an order as its provider must receive them.
    static func addFields(for job: DispatchJob) -> [(String, String)] {
        let order = job.order
        var fields: [(String, String)] = [("service", job.upstreamService)]
        if order.type.needsLink { fields.append(("link", order.link)) }
        if let runs = order.runs, let interval = order.intervalMinutes, runs > 0 {
            fields += [("quantity", String(DripFeed.quantityPerRun(order))), ("runs", String(runs)), ("interval", String(interval))]
        } else if order.type.takesQuantity {
            fields.append(("quantity", String(order.quantity)))
        } else if order.type == .package || order.type == .customCommentsPackage {
            // Some panels refuse a package without it (`Quantity is required`); others ignore it.
            fields.append(("quantity", "1"))
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
            await alertIfRefusedAddress(failure, provider: provider)
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
        case .permanent, .serviceGone:
            try await store.recordFailed(orderID: job.order.id, attempt: job.attempt, reason: "the provider refused the order: \(message)",
                                         response: raw)
            log.notice("provider refused order; canceled and refunded", metadata: ["message": .string(message)])
            if kind == .serviceGone {
                // Every further order would be refused the same way: stop selling it now.
                for id in try await store.disableServicesGoneUpstream(providerID: provider.id, upstreamService: job.upstreamService) {
                    log.error("the provider's service is gone; local service disabled",
                              metadata: ["service": "\(id)", "upstream_service": .string(job.upstreamService), "message": .string(message)])
                }
            }
        case .retryLater:
            try await retryOrHold(job, reason: "the provider asked to wait: \(message)", response: raw, log: log)
        case .providerFunds, .providerAuth:
            try await store.setProviderAlert(id: provider.id, Self.alert(kind, message, provider: provider, meanwhile: "orders are held"))
            try await store.recordHeld(orderID: job.order.id, attempt: job.attempt, reason: "provider: \(message)", response: raw,
                                       mayExistUpstream: false)
            log.error("provider problem; order held", metadata: ["message": .string(message)])
        case .unrecognized:
            try await store.recordHeld(orderID: job.order.id, attempt: job.attempt,
                                       reason: "the provider answered an error this panel cannot classify: \(message)", response: raw,
                                       mayExistUpstream: false)
            log.warning("unclassified provider error; order held", metadata: ["message": .string(message)])
        }
    }

    /// A provider whose URL or address the outbound rules refuse needs the operator (its
    /// orders wait meanwhile): said on the provider, as a funds or key problem is.
    func alertIfRefusedAddress(_ failure: any Error, provider: Provider) async {
        guard let failure = failure as? UpstreamCallError, case .addressRefused(let detail) = failure, provider.alert.isEmpty else { return }
        let alert = "calls refused by the outbound rules (\(detail)); orders wait: fix the URL or allow it "
            + "(`smmpanel provider update \(provider.name) --allow-http true` or `--allow-private-address true`), "
            + "then `smmpanel provider resend \(provider.name)`"
        try? await store.setProviderAlert(id: provider.id, alert)
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
        let delay = backoff(after: job.attempt)
        try await store.recordRetry(orderID: job.order.id, attempt: job.attempt, reason: reason, response: response,
                                    retryAt: store.clock.now() + delay, mayExistUpstream: mayExistUpstream)
        log.info("send failed; will retry", metadata: ["reason": .string(reason), "in_seconds": "\(delay)"])
    }

    /// The wait after `attempt` failed tries: `retryDelay`, doubling, at most `maxRetryDelay`.
    func backoff(after attempt: Int64) -> Int64 {
        min(settings.retryDelay << min(max(attempt - 1, 0), 20), settings.maxRetryDelay)
    }

    // MARK: Status sync

    /// Checks every sent order not checked in the last `recheckAfter` seconds, 100 per call,
    /// least recently checked first, every provider on its own. Returns the number of upstream
    /// calls made.
    @discardableResult
    public func statusRound() async throws -> Int {
        let checkedBefore = store.clock.now() - settings.recheckAfter + 1
        let due = try await enabledProviders(try await store.providersDueForSync(checkedBefore: checkedBefore))
        let calls = try await eachProvider(due) { try await syncStatuses(of: $0, checkedBefore: checkedBefore) }
        metrics.syncLag(seconds: try await store.syncLag())
        return calls
    }

    /// One provider's part of `statusRound`.
    @discardableResult
    public func syncStatuses(of provider: Provider, checkedBefore: Int64? = nil) async throws -> Int {
        let checkedBefore = checkedBefore ?? store.clock.now() - settings.recheckAfter + 1
        var calls = 0
        while !Self.stopping {
            let items = try await store.claimSync(providerID: provider.id, checkedBefore: checkedBefore, limit: 100)
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
        return calls
    }

    func syncBatch(_ items: [SyncItem], provider: Provider) async throws {
        let (reports, raw) = try await client.status(provider, ids: items.map(\.upstreamOrderID))
        // The whole call's reports in one transaction: one COMMIT for up to 100 orders.
        let changes = try await store.applyUpstreamReports(items.compactMap { item in
            reports[item.upstreamOrderID].map { report in
                ReportedOrder(orderID: item.order.id, report: report,
                                         raw: items.count == 1 ? raw : report.raw.isEmpty ? "\(report)" : report.raw)
            }
        })
        for change in changes {
            logger.notice("order status changed by the provider", metadata: [
                "provider": .string(provider.name), "order": "\(change.orderID)", "from": .string(change.from.rawValue),
                "to": .string(change.to.rawValue), "refund": .string(change.refund.apiString),
            ])
        }
    }

    // MARK: Cancels and refills

    /// Forwards customers' cancel requests, 100 per call, every provider on its own.
    @discardableResult
    public func cancelRound() async throws -> Int {
        try await eachProvider(try await enabledProviders(try await store.providersWithCancelRequests())) { try await forwardCancels(to: $0) }
    }

    /// One provider's part of `cancelRound`.
    @discardableResult
    public func forwardCancels(to provider: Provider) async throws -> Int {
        guard !Self.stopping else { return 0 }
        let jobs = try await store.claimCancels(providerID: provider.id, limit: 100, lease: settings.sendLease)
        guard !jobs.isEmpty else { return 0 }
        var outcomes: [String: CancelOutcome] = [:]
        var answered = true
        do {
            outcomes = try await client.cancel(provider, ids: jobs.map(\.upstreamOrderID))
        } catch let failure as UpstreamCallError {
            answered = false
            metrics.actionFailure(provider: provider.name, action: "cancel", kind: failure.kind)
            logger.warning("cancel forwarding failed", metadata: ["provider": .string(provider.name), "error": .string(failure.description)])
            let outcome = Self.outcome(ofFailedCall: failure)
            for job in jobs { outcomes[job.upstreamOrderID] = outcome }
            if case .refused(let message) = outcome { await alertRefusedAction("cancel", message: message, provider: provider) }
        }
        for job in jobs {
            var outcome = outcomes[job.upstreamOrderID] ?? .retry("no answer for this order")
            switch outcome {
            case .refused(let message), .retry(let message):
                if answered { metrics.actionFailure(provider: provider.name, action: "cancel", kind: UpstreamDialect.classify(error: message).rawValue) }
            case .accepted: break
            }
            // A cancel asked twice is harmless, so it is asked again, with backoff, until it ends.
            if case .retry(let reason) = outcome, job.attempt >= settings.maxAttempts {
                outcome = .refused("no answer after \(job.attempt) attempts; last: \(reason)")
            }
            if case .refused(let message) = outcome {
                logger.notice("provider refused a cancel", metadata: ["provider": .string(provider.name), "order": "\(job.orderID)",
                                                                     "message": .string(message)])
            }
            try await store.recordCancel(orderID: job.orderID, outcome: outcome, retryAt: store.clock.now() + backoff(after: job.attempt))
        }
        return answered ? jobs.count : 0
    }

    /// A provider that refuses a whole cancel or refill call (it lacks the action) while our
    /// services still offer it: the operator is told, unless an alert is up already.
    func alertRefusedAction(_ action: String, message: String, provider: Provider) async {
        guard provider.alert.isEmpty else { return }
        try? await store.setProviderAlert(id: provider.id, """
            the provider refuses \(action) calls (\(message)); customers' \(action)s of its orders end refused: turn \(action) off on \
            its services (`smmpanel service update ID --no-\(action)`); `smmpanel provider resend \(provider.name)` clears this alert
            """)
    }

    /// What a cancel (or refill) call that failed as a whole means for its requests: a refusal
    /// of the call (`This action is Invalid`: the provider lacks the action) ends them, as does
    /// one about the orders; "wait", a problem of ours there (key, balance) and no answer are
    /// asked again.
    static func outcome(ofFailedCall failure: UpstreamCallError) -> CancelOutcome {
        guard case .refused(let message) = failure else { return .retry(failure.description) }
        switch UpstreamDialect.classify(error: message) {
        case .retryLater, .providerFunds, .providerAuth: return .retry(message)
        case .permanent, .serviceGone, .unrecognized: return .refused(message)
        }
    }

    /// Forwards queued refills and mirrors the status of sent ones, every provider on its own.
    @discardableResult
    public func refillRound() async throws -> Int {
        guard !Self.stopping else { return 0 }
        return try await eachProvider(try await enabledProviders()) { try await forwardRefills(to: $0) }
    }

    /// One provider's part of `refillRound`. Stopping, it starts no new call: refills claimed
    /// but not sent go back to the queue (claimed, they would wait out the claim's ten minutes
    /// after the restart).
    @discardableResult
    public func forwardRefills(to provider: Provider) async throws -> Int {
        var work = 0
        let batch = try await store.claimRefillSends(providerID: provider.id, limit: 100)
        if Self.stopping {
            try await store.releaseRefillClaims(batch)
        } else if !batch.isEmpty {
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
                        case .permanent, .serviceGone, .unrecognized:
                            metrics.actionFailure(provider: provider.name, action: "refill", kind: kind.rawValue)
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
                // As for cancels: a refused call (no refill action there) ends the refills;
                // otherwise they are asked again with backoff, and rejected after `maxAttempts`.
                metrics.actionFailure(provider: provider.name, action: "refill", kind: failure.kind)
                logger.warning("refill forwarding failed", metadata: ["provider": .string(provider.name), "error": .string(failure.description)])
                if case .refused(let message) = Self.outcome(ofFailedCall: failure) {
                    await alertRefusedAction("refill", message: message, provider: provider)
                }
                for job in batch {
                    switch Self.outcome(ofFailedCall: failure) {
                    case .refused(let message):
                        try await store.recordRefillRefused(refillID: job.refillID, reason: message)
                    case .retry(let reason) where job.attempt >= settings.maxAttempts:
                        try await store.recordRefillRefused(refillID: job.refillID, reason: "no answer after \(job.attempt) attempts; last: \(reason)")
                    default:
                        try await store.recordRefillRetry(refillID: job.refillID, reason: failure.description,
                                                          retryAt: store.clock.now() + backoff(after: job.attempt))
                    }
                }
            }
        }
        let checkedBefore = store.clock.now() - settings.recheckAfter + 1
        guard !Self.stopping, try await store.providersDueForRefillSync(checkedBefore: checkedBefore).contains(provider.id) else { return work }
        let sync = try await store.claimRefillSync(providerID: provider.id, checkedBefore: checkedBefore, limit: 100)
        let ids = sync.compactMap(\.upstreamRefillID)
        guard !ids.isEmpty else { return work }
        do {
            let answers = try await client.refillStatus(provider, ids: ids)
            for job in sync {
                guard let remote = job.upstreamRefillID, case .value(let label) = answers[remote] ?? .error("") else { continue }
                try await store.applyUpstreamRefillStatus(refillID: job.refillID, label: label)
            }
            work += sync.count
        } catch let failure as UpstreamCallError {
            metrics.actionFailure(provider: provider.name, action: "refill_status", kind: failure.kind)
            logger.warning("refill status sync failed", metadata: ["provider": .string(provider.name), "error": .string(failure.description)])
        }
        return work
    }

    // MARK: Balances and catalog

    /// Reads every enabled provider's balance; a provider that answers clears its funds alert
    /// only when the operator resends (the balance alone does not say orders can go).
    public func balanceRound() async {
        guard let providers = try? await enabledProviders() else { return }
        _ = try? await eachProvider(providers) { provider in
            guard !Self.stopping else { return 0 }
            do {
                let (balance, currency) = try await client.balance(provider)
                try await store.recordProviderBalance(id: provider.id, balance: balance, currency: currency)
                if let value = UpstreamDialect.money(balance) { metrics.providerBalance(provider: provider.name, value: value) }
            } catch UpstreamCallError.refused(let message) where UpstreamDialect.classify(error: message) == .providerAuth {
                // Our key refused: say so where the operator looks, instead of an old balance.
                logger.error("provider refuses our key", metadata: ["provider": .string(provider.name), "message": .string(message)])
                try? await store.forgetProviderBalance(id: provider.id)
                try? await store.setProviderAlert(id: provider.id, Self.alert(.providerAuth, message, provider: provider, meanwhile: "orders are held"))
            } catch {
                await alertIfRefusedAddress(error, provider: provider)
                logger.warning("provider balance check failed", metadata: ["provider": .string(provider.name), "error": .string("\(error)")])
            }
            return 0
        }
    }

    /// Imports a provider's services as local ones priced at cost × (1 + markup). Returns the
    /// created services and one line per skipped entry.
    public func importCatalog(_ provider: Provider, markup: Money, only ids: Set<String>?, categoryPrefix: String) async throws
        -> (created: [SMMDomain.Service], skipped: [String]) {
        let entries = try await client.services(provider)
        var created: [SMMDomain.Service] = []
        var skipped: [String] = []
        let known = Set(entries.map(\.id))
        for id in (ids ?? []).sorted() where !known.contains(id) { skipped.append("\(id): not in the provider's catalog") }
        for entry in entries where ids == nil || ids!.contains(entry.id) {
            guard let type = entry.type else {
                skipped.append("\(entry.id): type \"\(entry.typeLabel)\" is not one this panel sells")
                continue
            }
            let category = (categoryPrefix + entry.category).trimmingSpaces()
            let new = try CatalogRules.importedService(entry, type: type, categoryName: category.isEmpty ? "Other" : category, markup: markup)
            if let service = try await store.importUpstreamService(providerID: provider.id, entry: entry, as: new, markup: markup) {
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
        guard let providers = try? await enabledProviders() else { return }
        _ = try? await eachProvider(providers) { provider in
            guard !Self.stopping else { return 0 }
            do {
                for line in try await syncCatalog(provider) {
                    logger.notice("catalog sync", metadata: ["provider": .string(provider.name), "change": .string(line)])
                }
            } catch {
                logger.warning("catalog sync failed", metadata: ["provider": .string(provider.name), "error": .string("\(error)")])
            }
            return 0
        }
    }
}
