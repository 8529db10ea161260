import Testing
@testable import SMMDomain

@Suite("UpstreamDialect")
struct UpstreamDialectTests {
    @Test("integers as panels write them", arguments: [
        ("157", Int64(157)), (" 3 ", 3), ("-20", -20), ("157.0", 157), ("157.00", 157), ("+5", 5), ("2147483647", 2_147_483_647),
        ("0", 0),
    ])
    func integers(text: String, value: Int64) {
        #expect(UpstreamDialect.integer(text) == value)
    }

    @Test("unusable counts read as not reported", arguments: ["", "Unknown", "157.5", "n/a", "1e3", "-", " ",
                                                              "9223372036854775807", "-9223372036854775808", "1000000000001",
                                                              "-1000000000001.0", "99999999999999999999"])
    func notIntegers(text: String) {
        #expect(UpstreamDialect.integer(text) == nil)
    }

    @Test("money: five decimals kept, anything past them rounds up", arguments: [
        ("0.27819", "0.27819"), ("0.9", "0.9"), ("100.84292", "100.84292"), ("0.333331", "0.33334"), ("0.3333300", "0.33333"),
        ("0.000001", "0.00001"), ("1.5e-3", "0.0015"), ("1e-7", "0.00001"), ("+2", "2"), (" 7.10 ", "7.1"), ("0", "0"),
    ])
    func moneyReadings(text: String, expected: String) {
        #expect(UpstreamDialect.money(text) == money(expected))
    }

    @Test("money: negatives and junk are refused", arguments: ["-0.5", "-0.000001", "-1e-3", "abc", "", "1.2.3", "0.1234x6", "Unknown"])
    func moneyRefusals(text: String) {
        #expect(UpstreamDialect.money(text) == nil)
    }

    @Test("status spellings")
    func statuses() {
        #expect(UpstreamDialect.status("Completed") == .known(.completed))
        #expect(UpstreamDialect.status("COMPLETED") == .known(.completed))
        #expect(UpstreamDialect.status("Cancelled") == .known(.canceled))
        #expect(UpstreamDialect.status("canceled") == .known(.canceled))
        #expect(UpstreamDialect.status("Refunded") == .refunded)
        #expect(UpstreamDialect.status(" refunded ") == .refunded)
        #expect(UpstreamDialect.status("inprogress") == .known(.inProgress))
        #expect(UpstreamDialect.status("in_progress") == .known(.inProgress))
        #expect(UpstreamDialect.status("In progress") == .known(.inProgress))
        #expect(UpstreamDialect.status("partial") == .known(.partial))
        // Unknown words and bare codes are never taken for Pending.
        #expect(UpstreamDialect.status("Awaiting") == .unknown("Awaiting"))
        #expect(UpstreamDialect.status("") == .unknown(""))
        #expect(UpstreamDialect.status("2") == .unknown("2"))
        let codes: [Int: OrderStatus] = [0: .pending, 1: .inProgress, 2: .completed]
        #expect(UpstreamDialect.status(" 2 ", codes: codes) == .known(.completed))
        #expect(UpstreamDialect.status("0", codes: codes) == .known(.pending))
        #expect(UpstreamDialect.status("7", codes: codes) == .unknown("7"))
        #expect(UpstreamDialect.status("Completed", codes: codes) == .known(.completed))
    }

    @Test("status code tables")
    func statusCodeTables() {
        let table = UpstreamDialect.statusCodes("0=Pending, 1 = in progress,2=Completed,3=partial,4=Cancelled")
        #expect(table == [0: .pending, 1: .inProgress, 2: .completed, 3: .partial, 4: .canceled])
        #expect(UpstreamDialect.formatStatusCodes(table!) == "0=Pending,1=In progress,2=Completed,3=Partial,4=Canceled")
        #expect(UpstreamDialect.statusCodes(UpstreamDialect.formatStatusCodes(table!)) == table)
        #expect(UpstreamDialect.statusCodes("") == [:])
        #expect(UpstreamDialect.statusCodes("0=Pending,x") == nil)
        #expect(UpstreamDialect.statusCodes("a=Pending") == nil)
        #expect(UpstreamDialect.statusCodes("1=Waiting") == nil)
    }

    @Test("error classes by substring", arguments: [
        ("Not enough funds on balance", UpstreamErrorKind.providerFunds),
        ("Insufficient balance", .providerFunds),
        ("Invalid API key", .providerAuth),
        ("Unauthorized", .providerAuth),
        ("You have active order with this link. Please wait until order being completed.", .retryLater),
        ("Please wait 5 minutes", .retryLater),
        ("Order in progress", .retryLater),
        ("Too many requests", .retryLater),
        ("Quantity less than minimal 50", .permanent),
        ("Quantity more than maximum 10000", .permanent),
        ("Incorrect link", .permanent),
        ("Invalid link", .permanent),
        ("Incorrect service ID", .serviceGone),
        // A widely deployed PHP panel's wordings (issue 20).
        ("API is Disable for this user or User Not Found! Contact the Support", .providerAuth),
        ("Service ID does not exists", .serviceGone),
        ("service not found", .serviceGone),
        ("This service is disabled", .serviceGone),
        ("Invalid Interval in minutes", .permanent),
        ("This action is Invalid", .unrecognized),
        // A username of the order, not our account.
        ("Instagram user not found", .unrecognized),
        ("Missing required field: comments", .permanent),
        ("Min quantity is 100", .permanent),
        ("Max 5000 per order", .permanent),
        ("Something odd happened", .unrecognized),
        ("Incorrect request", .unrecognized),
        // "min"/"max" inside other words say nothing about the order.
        ("Error, contact the administrator", .unrecognized),
        ("Account terminated by admin", .unrecognized),
        ("Maxed out connections, sorry", .unrecognized),
    ])
    func classify(message: String, kind: UpstreamErrorKind) {
        #expect(UpstreamDialect.classify(error: message) == kind)
    }

    // MARK: outcome

    func order(_ status: OrderStatus = .pending, quantity: Int64 = 1000, remains: Int64? = nil, startCount: Int64 = 0) -> OrderState {
        OrderState(status: status, quantity: quantity, charge: money("1"), startCount: startCount, remains: remains ?? quantity)
    }

    @Test("outcome of each report")
    func outcomes() {
        typealias D = UpstreamDialect
        #expect(D.outcome(of: .unknown("Awaiting"), startCount: nil, remains: nil, for: order()) == .review(#"unknown upstream status "Awaiting""#))
        #expect(D.outcome(of: .refunded, startCount: nil, remains: 0, for: order()) == .apply(OrderChange(status: .canceled)))
        #expect(D.outcome(of: .known(.canceled), startCount: nil, remains: nil, for: order(.inProgress)) == .apply(OrderChange(status: .canceled)))
        // Completed: delivered; positive remains are clamped, over-delivery kept.
        #expect(D.outcome(of: .known(.completed), startCount: 10, remains: 5, for: order()) == .apply(OrderChange(status: .completed, startCount: 10, remains: 0)))
        #expect(D.outcome(of: .known(.completed), startCount: nil, remains: nil, for: order()) == .apply(OrderChange(status: .completed, remains: 0)))
        #expect(D.outcome(of: .known(.completed), startCount: nil, remains: -20, for: order()) == .apply(OrderChange(status: .completed, remains: -20)))
        // Partial, by its remains.
        #expect(D.outcome(of: .known(.partial), startCount: nil, remains: nil, for: order()) == .review("upstream reports Partial without a usable remains"))
        #expect(D.outcome(of: .known(.partial), startCount: nil, remains: 250, for: order()) == .apply(OrderChange(status: .partial, remains: 250)))
        #expect(D.outcome(of: .known(.partial), startCount: nil, remains: 0, for: order()) == .apply(OrderChange(status: .completed, remains: 0)))
        #expect(D.outcome(of: .known(.partial), startCount: nil, remains: -3, for: order()) == .apply(OrderChange(status: .completed, remains: -3)))
        #expect(D.outcome(of: .known(.partial), startCount: nil, remains: 1000, for: order()) == .apply(OrderChange(status: .canceled)))
        #expect(D.outcome(of: .known(.partial), startCount: nil, remains: 1500, for: order()) == .apply(OrderChange(status: .canceled)))
        // Progress: remains above the quantity and negative start counts are noise.
        #expect(D.outcome(of: .known(.inProgress), startCount: 3572, remains: 400, for: order())
                == .apply(OrderChange(status: .inProgress, startCount: 3572, remains: 400)))
        #expect(D.outcome(of: .known(.inProgress), startCount: -1, remains: 1500, for: order(.inProgress)) == .unchanged)
        #expect(D.outcome(of: .known(.inProgress), startCount: 5, remains: 1000, for: order(.inProgress, startCount: 5)) == .unchanged)
        #expect(D.outcome(of: .known(.inProgress), startCount: nil, remains: 900, for: order(.inProgress))
                == .apply(OrderChange(status: .inProgress, remains: 900)))
        // Backwards steps are ignored, news besides them is kept.
        #expect(D.outcome(of: .known(.pending), startCount: nil, remains: nil, for: order(.inProgress)) == .unchanged)
        #expect(D.outcome(of: .known(.pending), startCount: 7, remains: nil, for: order(.inProgress)) == .apply(OrderChange(startCount: 7)))
        // Before delivery starts, a panel's column defaults ("0") are not news (issue 20).
        #expect(D.outcome(of: .known(.pending), startCount: 0, remains: 0, for: order()) == .unchanged)
        #expect(D.outcome(of: .known(.processing), startCount: 0, remains: 0, for: order())
                == .apply(OrderChange(status: .processing)))
        #expect(D.outcome(of: .known(.processing), startCount: 3572, remains: 999, for: order())
                == .apply(OrderChange(status: .processing, startCount: 3572)))
        #expect(D.outcome(of: .known(.inProgress), startCount: 0, remains: 0, for: order(.processing))
                == .apply(OrderChange(status: .inProgress, startCount: 0, remains: 0)))
        // A final order never changes again.
        #expect(D.outcome(of: .known(.canceled), startCount: nil, remains: nil, for: order(.partial, remains: 250)) == .unchanged)
        #expect(D.outcome(of: .refunded, startCount: nil, remains: nil, for: order(.completed, remains: 0)) == .unchanged)
    }

    // MARK: CatalogSync

    func entry(_ id: String = "1", type: String = "Default", rate: String = "1.00", min: Int64 = 10, max: Int64 = 1000,
               refill: Bool = true, cancel: Bool = true, dripFeed: Bool = false) -> UpstreamCatalogEntry {
        UpstreamCatalogEntry(id: id, name: "S\(id)", typeLabel: type, category: "C", rate: money(rate), min: min, max: max,
                             refill: refill, cancel: cancel, dripFeed: dripFeed, description: "")
    }

    func mapped(_ id: String = "1", rate: String = "1.25", cost: String = "1.00", markup: String? = "25", enabled: Bool = true,
                vanished: Bool = false) -> MappedService {
        MappedService(serviceID: 5, upstreamID: id, type: .default, rate: money(rate), cost: money(cost), markup: markup.map(money),
                      min: 10, max: 1000, refill: true, cancel: true, dripFeed: false, enabled: enabled, vanished: vanished)
    }

    @Test("catalog sync: refill and cancel the catalog does not state stay as the operator set them")
    func syncOmittedFlags() {
        var silent = entry(refill: false, cancel: false)
        silent.statesRefill = false
        silent.statesCancel = false
        #expect(CatalogSync.plan(upstream: [silent], mapped: [mapped()]).isEmpty)
        #expect(CatalogSync.plan(upstream: [entry(refill: false, cancel: false)], mapped: [mapped()]).first?.changes
                == ["refill true → false", "cancel true → false"])
    }

    @Test("catalog sync: nothing to do when nothing changed")
    func syncNoChange() {
        #expect(CatalogSync.plan(upstream: [entry()], mapped: [mapped()]).isEmpty)
    }

    @Test("catalog sync: cost, price at markup (rounded up), limits and flags")
    func syncChanges() {
        let updates = CatalogSync.plan(upstream: [entry(rate: "0.33333", min: 0, max: 2_147_483_647, refill: false, cancel: false, dripFeed: true)],
                                       mapped: [mapped()])
        #expect(updates.count == 1)
        let update = updates[0]
        #expect(update.changes == ["cost 1.00 → 0.33333", "rate 1.25 → 0.41667", "min 10 → 1", "max 1000 → 2147483647",
                                   "refill true → false", "cancel true → false", "dripfeed false → true"])
        #expect(update.after.cost == money("0.33333") && update.after.rate == money("0.41667"))
        #expect((update.after.min, update.after.max) == (1, 2_147_483_647))
        // Priced by hand: the price stays.
        let manual = CatalogSync.plan(upstream: [entry(rate: "2")], mapped: [mapped(markup: nil)])
        #expect(manual.map(\.changes) == [["cost 1.00 → 2.00"]])
        #expect(manual[0].after.rate == money("1.25"))
        // A max below min is raised to min.
        #expect(CatalogSync.clampLimits(min: 50, max: 10) == (50, 50))
        // A type change is followed and reported.
        let retyped = CatalogSync.plan(upstream: [entry(type: "Package")], mapped: [mapped()])
        #expect(retyped.map(\.changes) == [["type Default → Package"]])
    }

    @Test("catalog sync: vanished services are disabled once and enabled when back")
    func syncVanished() {
        let gone = CatalogSync.plan(upstream: [entry("2")], mapped: [mapped("1")])
        #expect(gone.map(\.changes) == [["disabled: upstream service 1 is gone"]])
        #expect(gone[0].after.enabled == false && gone[0].after.vanished)
        // A type this panel cannot sell counts as gone.
        #expect(CatalogSync.plan(upstream: [entry(type: "Story Special")], mapped: [mapped()]).map(\.changes)
                == [["disabled: upstream service 1 is gone"]])
        // Already disabled for that reason: nothing more to say.
        #expect(CatalogSync.plan(upstream: [], mapped: [mapped(enabled: false, vanished: true)]).isEmpty)
        let back = CatalogSync.plan(upstream: [entry(rate: "2")], mapped: [mapped(enabled: false, vanished: true)])
        #expect(back.map(\.changes) == [["enabled: upstream service 1 is back", "cost 1.00 → 2.00", "rate 1.25 → 2.50"]])
        #expect(back[0].after.enabled && !back[0].after.vanished)
        // A service the operator disabled stays disabled, whether its upstream vanishes or returns.
        #expect(CatalogSync.plan(upstream: [], mapped: [mapped(enabled: false)]).isEmpty)
        #expect(CatalogSync.plan(upstream: [entry()], mapped: [mapped(enabled: false)]).isEmpty)
    }
}
