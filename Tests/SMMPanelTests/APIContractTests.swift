import Foundation
import HummingbirdTesting
import SMMAPI
import SMMApp
import SMMDomain
import SMMStorage
import Testing

/// Shared checks of the API v2 contract suites (this file, `APIAddTypesTests`, `APITransportTests`).
enum ContractProbe {
    /// The exact body of a contract error.
    static func error(_ message: String) -> String { #"{"error":"\#(message)"}"# }

    /// Every order in the database, whoever owns it (children included).
    static func orderCount(_ panel: TestPanel) async throws -> Int {
        try await panel.store.listOrders(.init(limit: 1_000_000)).count
    }

    /// Sends a call that must be refused with exactly `message`, as HTTP 200, and checks that
    /// it changed nothing: neither `user`'s balance nor the number of orders moved.
    static func expectRefused(_ panel: TestPanel, _ user: User, _ message: String,
                              sourceLocation: SourceLocation = #_sourceLocation,
                              _ send: () async throws -> (status: Int, body: String)) async throws {
        let balanceBefore = try await panel.balance(of: user)
        let ordersBefore = try await orderCount(panel)
        let answer = try await send()
        #expect(answer.body == error(message), sourceLocation: sourceLocation)
        #expect(answer.status == 200, "a contract error must be HTTP 200", sourceLocation: sourceLocation)
        #expect(try await panel.balance(of: user) == balanceBefore, "a refused call moved the balance", sourceLocation: sourceLocation)
        #expect(try await orderCount(panel) == ordersBefore, "a refused call created an order", sourceLocation: sourceLocation)
    }

    /// A form-POSTed `add` (or any call) that must be refused and change nothing.
    static func expectRefused(_ panel: TestPanel, _ api: LiveAPI, _ user: User, _ fields: [(String, String)], _ message: String,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await expectRefused(panel, user, message, sourceLocation: sourceLocation) { try await api.post(fields) }
    }

    /// The id of an `{"order":N}` answer, or nil for any other answer. A refused `add` may use
    /// up an id (PostgreSQL sequences do not roll back), so after one, ids are read, not assumed.
    static func orderID(_ answer: String) -> Int64? {
        guard answer.hasPrefix(#"{"order":"#), answer.hasSuffix("}") else { return nil }
        let digits = answer.dropFirst(9).dropLast()
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else { return nil }
        return Int64(digits)
    }

    /// `"1,2,…,n"`.
    static func idList(_ range: ClosedRange<Int>) -> String {
        range.map(String.init).joined(separator: ",")
    }
}

/// The actions of API v2 and their error messages, over live HTTP, compared byte for byte
/// with the shapes of the contract (§2, §6).
@Suite struct APIContractTests {
    // MARK: services and balance

    @Test(arguments: TestEngine.available)
    func servicesIsAnArrayWithNumberIDsAndStringMoney(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer()
            try await panel.live { api in
                #expect(try await api.call([("key", key), ("action", "services")]) == "[]")

                try await panel.service(.default, rate: "0.90", min: 50, max: 10_000, refill: true, cancel: true,
                                        name: "IG Likes", category: "Instagram")
                _ = try await panel.store.createService(ServiceDraft(
                    name: #"Comments "HQ""#, categoryName: "Instagram", type: .customComments, rate: Money(parsing: "8")!,
                    min: 10, max: 500, refill: false, refillDays: 30, cancel: false, dripFeed: false,
                    description: "Line 1\nSay \"hi\""))
                try await panel.service(.package, rate: "1.23456", min: 1, max: 1, refill: false, cancel: false,
                                        name: "Pack", category: "TikTok")
                try await panel.service(.default, rate: "0.5", refill: true, cancel: true, dripFeed: true,
                                        name: "Drip", category: "TikTok")
                let hidden = try await panel.service(.default, rate: "12", name: "Hidden", category: "Instagram")
                try await panel.store.setServiceEnabled(id: hidden.id, false)

                let visible = #"[{"service":1,"name":"IG Likes","type":"Default","category":"Instagram","rate":"0.90","min":"50","max":"10000","refill":true,"cancel":true,"dripfeed":false,"desc":""},"#
                    + #"{"service":2,"name":"Comments \"HQ\"","type":"Custom Comments","category":"Instagram","rate":"8.00","min":"10","max":"500","refill":false,"cancel":false,"dripfeed":false,"desc":"Line 1\nSay \"hi\""},"#
                    + #"{"service":3,"name":"Pack","type":"Package","category":"TikTok","rate":"1.23456","min":"1","max":"1","refill":false,"cancel":false,"dripfeed":false,"desc":""},"#
                    + #"{"service":4,"name":"Drip","type":"Default","category":"TikTok","rate":"0.50","min":"50","max":"10000","refill":true,"cancel":true,"dripfeed":true,"desc":""}]"#
                #expect(try await api.call([("key", key), ("action", "services")]) == visible)

                // Enabled again, it comes back in its category.
                try await panel.store.setServiceEnabled(id: hidden.id, true)
                let all = try await api.call([("key", key), ("action", "services")])
                #expect(all.contains(#""desc":"Line 1\nSay \"hi\""},{"service":5,"name":"Hidden","type":"Default","category":"Instagram","rate":"12.00","min":"50","max":"10000","refill":true,"cancel":true,"dripfeed":false,"desc":""},{"service":3,"#))
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func balanceIsAFiveDecimalStringWithCurrency(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, alice) = try await panel.customer("alice", balance: "100.84292")
            let (_, bob) = try await panel.customer("bob", balance: "0")
            let (_, carol) = try await panel.customer("carol", balance: "7")
            try await panel.live { api async throws in
                #expect(try await api.call([("key", alice), ("action", "balance")]) == #"{"balance":"100.84292","currency":"USD"}"#)
                #expect(try await api.call([("key", bob), ("action", "balance")]) == #"{"balance":"0.00000","currency":"USD"}"#)
                #expect(try await api.call([("key", carol), ("action", "balance")]) == #"{"balance":"7.00000","currency":"USD"}"#)
            }
        }
    }

    // MARK: add and status

    @Test(arguments: TestEngine.available)
    func addAnswersANumberAndStatusAllStringsUnderEveryAlias(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice", balance: "10")
            let (_, bob) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "1.23456")
            try await panel.live { api in
                let add = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                              ("link", "https://instagram.com/p/abc"), ("quantity", "333")])
                #expect(add == #"{"order":1}"#)
                // 1.23456 × 333 / 1000 = 0.41110848, a charge rounds up to 0.41111.
                let pending = #"{"charge":"0.41111","start_count":"0","status":"Pending","remains":"333","currency":"USD"}"#
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")]) == pending)
                #expect(try await api.call([("key", key), ("action", "status"), ("order_id", "1")]) == pending)
                #expect(try await api.call([("key", key), ("action", "status"), ("id", "1")]) == pending)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", " 1 ")]) == pending)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"9.58889","currency":"USD"}"#)

                try await panel.store.updateOrder(id: 1, OrderChange(status: .inProgress, startCount: 3572))
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"0.41111","start_count":"3572","status":"In progress","remains":"333","currency":"USD"}"#)
                // Refund 0.41111 × 157 / 333 = 0.19382 (down); the order keeps 0.21729.
                try await panel.store.updateOrder(id: 1, OrderChange(status: .partial, remains: 157))
                #expect(try await api.call([("key", key), ("action", "status"), ("order_id", "1")])
                    == #"{"charge":"0.21729","start_count":"3572","status":"Partial","remains":"157","currency":"USD"}"#)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"9.78271","currency":"USD"}"#)

                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://instagram.com/p/def"), ("quantity", "1000")]) == #"{"order":2}"#)
                try await panel.store.updateOrder(id: 2, OrderChange(status: .processing))
                #expect(try await api.call([("key", key), ("action", "status"), ("id", "2")])
                    == #"{"charge":"1.23456","start_count":"0","status":"Processing","remains":"1000","currency":"USD"}"#)
                // Over-delivery leaves remains negative (§4).
                try await panel.store.updateOrder(id: 2, OrderChange(status: .completed, startCount: 10, remains: -25))
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "2")])
                    == #"{"charge":"1.23456","start_count":"10","status":"Completed","remains":"-25","currency":"USD"}"#)

                let incorrect = ContractProbe.error("Incorrect order ID")
                for (name, value) in [("order", "999"), ("order", "abc"), ("order", "0"), ("order", "-1"), ("order", "1.5"),
                                      ("order_id", "999"), ("id", "abc")] {
                    let answer = try await api.post([("key", key), ("action", "status"), (name, value)])
                    #expect(answer.body == incorrect, "\(name)=\(value)")
                    #expect(answer.status == 200)
                }
                // Another account's order looks unknown.
                #expect(try await api.call([("key", bob), ("action", "status"), ("order", "1")]) == incorrect)
                // No order at all is a malformed request.
                #expect(try await api.call([("key", key), ("action", "status")]) == ContractProbe.error("Incorrect request"))
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func multiStatusIsAnObjectKeyedByTheIDAsAString(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice", balance: "10")
            let (_, bob) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "2", min: 100, max: 1000, dripFeed: true)
            try await panel.live { api in
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://s.test/1"), ("quantity", "100")]) == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://s.test/2"), ("quantity", "100"), ("runs", "2"), ("interval", "30")]) == #"{"order":2}"#)
                #expect(try await api.call([("key", bob), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://s.test/3"), ("quantity", "100")]) == #"{"order":3}"#)
                await panel.worker().runOnce() // starts run 1 of order 2: child order 4

                let multi = try await api.call([("key", key), ("action", "status"), ("orders", "1, 2 ,3,999,abc,1")])
                #expect(multi == #"{"1":{"charge":"0.20000","start_count":"0","status":"Pending","remains":"100","currency":"USD"},"#
                    + #""2":{"charge":"0.40000","start_count":"0","status":"In progress","remains":"200","currency":"USD","runs":"2","orders":[4]},"#
                    + #""3":{"error":"Incorrect order ID"},"999":{"error":"Incorrect order ID"},"abc":{"error":"Incorrect order ID"}}"#)
                // One id in `orders` is still the keyed object, not the single shape.
                #expect(try await api.call([("key", key), ("action", "status"), ("orders", "1")])
                    == #"{"1":{"charge":"0.20000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("orders", "999")])
                    == #"{"999":{"error":"Incorrect order ID"}}"#)
                // The order of the answer is the order of the request.
                #expect(try await api.call([("key", key), ("action", "status"), ("orders", "998,1")])
                    == #"{"998":{"error":"Incorrect order ID"},"1":{"charge":"0.20000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}}"#)
            }
        }
    }

    // MARK: refill and refill_status

    @Test(arguments: TestEngine.available)
    func refillSingleIsAStringAndMultiAnArray(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice", balance: "10")
            let (_, bob) = try await panel.customer("bob", balance: "10")
            let refillable = try await panel.service(.default, rate: "1", refill: true)
            let plain = try await panel.service(.default, rate: "1", refill: false, name: "no refill")
            try await panel.live { api in
                for (index, service) in [refillable, refillable, refillable, plain].enumerated() {
                    #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                ("link", "https://r.test/\(index)"), ("quantity", "100")]) == #"{"order":\#(index + 1)}"#)
                }
                try await panel.store.updateOrder(id: 1, OrderChange(status: .completed))
                try await panel.store.updateOrder(id: 2, OrderChange(status: .partial, remains: 40))
                try await panel.store.updateOrder(id: 4, OrderChange(status: .completed))

                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "1")]) == #"{"refill":"1"}"#)
                let multi = try await api.call([("key", key), ("action", "refill"), ("orders", "2, 3,1,4,999,abc")])
                #expect(multi == #"[{"order":2,"refill":2},"#
                    + #"{"order":3,"refill":{"error":"Refill is not available for this order"}},"#
                    + #"{"order":1,"refill":{"error":"Refill is not available for this order"}},"#
                    + #"{"order":4,"refill":{"error":"Refill is not available for this order"}},"#
                    + #"{"order":999,"refill":{"error":"Incorrect order ID"}},"#
                    + #"{"order":"abc","refill":{"error":"Incorrect order ID"}}]"#)

                let notAvailable = ContractProbe.error("Refill is not available for this order")
                // Pending order, service without refill, refill already open.
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "3")]) == notAvailable)
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "4")]) == notAvailable)
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "2")]) == notAvailable)
                // Once the refill is done, the order can be refilled again.
                try await panel.store.updateRefill(id: 1, status: .completed)
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "1")]) == #"{"refill":"3"}"#)

                let incorrect = ContractProbe.error("Incorrect order ID")
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "999")]) == incorrect)
                #expect(try await api.call([("key", key), ("action", "refill"), ("order", "abc")]) == incorrect)
                #expect(try await api.call([("key", bob), ("action", "refill"), ("order", "1")]) == incorrect)
                #expect(try await api.call([("key", bob), ("action", "refill"), ("orders", "1")])
                    == #"[{"order":1,"refill":{"error":"Incorrect order ID"}}]"#)
                #expect(try await api.call([("key", key), ("action", "refill")]) == ContractProbe.error("Incorrect request"))
            }
            #expect(try await panel.store.listRefills().count == 3)
        }
    }

    @Test(arguments: TestEngine.available)
    func refillStatusSingleIsAnObjectAndMultiAnArray(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice", balance: "10")
            let (_, bob) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "1", refill: true)
            try await panel.live { api in
                for index in 1...3 {
                    _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://rs.test/\(index)"), ("quantity", "100")])
                    try await panel.store.updateOrder(id: OrderID(Int64(index)), OrderChange(status: .completed))
                }
                #expect(try await api.call([("key", key), ("action", "refill"), ("orders", "1,2,3")])
                    == #"[{"order":1,"refill":1},{"order":2,"refill":2},{"order":3,"refill":3}]"#)

                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "1")]) == #"{"status":"Pending"}"#)
                try await panel.store.updateRefill(id: 1, status: .inProgress)
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "1")]) == #"{"status":"In progress"}"#)
                try await panel.store.updateRefill(id: 1, status: .completed)
                try await panel.store.updateRefill(id: 2, status: .rejected)
                try await panel.store.updateRefill(id: 3, status: .canceled)
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "1")]) == #"{"status":"Completed"}"#)
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "2")]) == #"{"status":"Rejected"}"#)
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "3")]) == #"{"status":"Canceled"}"#)

                let multi = try await api.call([("key", key), ("action", "refill_status"), ("refills", "1, 2,3,77,zz")])
                #expect(multi == #"[{"refill":1,"status":"Completed"},{"refill":2,"status":"Rejected"},{"refill":3,"status":"Canceled"},"#
                    + #"{"refill":77,"status":{"error":"Refill not found"}},{"refill":"zz","status":{"error":"Refill not found"}}]"#)

                let notFound = ContractProbe.error("Refill not found")
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "77")]) == notFound)
                #expect(try await api.call([("key", key), ("action", "refill_status"), ("refill", "zz")]) == notFound)
                #expect(try await api.call([("key", bob), ("action", "refill_status"), ("refill", "1")]) == notFound)
                #expect(try await api.call([("key", bob), ("action", "refill_status"), ("refills", "1,2")])
                    == #"[{"refill":1,"status":{"error":"Refill not found"}},{"refill":2,"status":{"error":"Refill not found"}}]"#)
                #expect(try await api.call([("key", key), ("action", "refill_status")]) == ContractProbe.error("Incorrect request"))
            }
        }
    }

    // MARK: cancel

    @Test(arguments: TestEngine.available)
    func cancelAnswersAnArrayForOrdersAndForASingleOrder(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "5")
            let (_, bob) = try await panel.customer("bob", balance: "5")
            let cancellable = try await panel.service(.default, rate: "2", cancel: true)
            let fixed = try await panel.service(.default, rate: "2", cancel: false, name: "no cancel")
            try await panel.live { api in
                for (link, service) in [("https://c.test/1", cancellable), ("https://c.test/2", cancellable),
                                        ("https://c.test/3", fixed), ("https://c.test/4", cancellable)] {
                    _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "500")])
                }
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"1.00000","currency":"USD"}"#)
                try await panel.store.updateOrder(id: 4, OrderChange(status: .inProgress))

                #expect(try await api.call([("key", key), ("action", "cancel"), ("orders", "1, 2")])
                    == #"[{"order":1,"cancel":1},{"order":2,"cancel":1}]"#)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"3.00000","currency":"USD"}"#)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"0.00000","start_count":"0","status":"Canceled","remains":"500","currency":"USD"}"#)

                let notAvailable = #"{"error":"Cancel is not available for this order"}"#
                #expect(try await api.call([("key", key), ("action", "cancel"), ("order", "3")]) == #"[{"order":3,"cancel":\#(notAvailable)}]"#)
                #expect(try await api.call([("key", key), ("action", "cancel"), ("order", "4")]) == #"[{"order":4,"cancel":\#(notAvailable)}]"#)
                #expect(try await api.call([("key", key), ("action", "cancel"), ("order", "1")]) == #"[{"order":1,"cancel":\#(notAvailable)}]"#)
                #expect(try await api.call([("key", key), ("action", "cancel"), ("orders", "9,abc")])
                    == #"[{"order":9,"cancel":{"error":"Incorrect order ID"}},{"order":"abc","cancel":{"error":"Incorrect order ID"}}]"#)
                #expect(try await api.call([("key", bob), ("action", "cancel"), ("order", "4")])
                    == #"[{"order":4,"cancel":{"error":"Incorrect order ID"}}]"#)
                #expect(try await api.call([("key", key), ("action", "cancel")]) == ContractProbe.error("Incorrect request"))
                // Nothing of that moved money again.
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"3.00000","currency":"USD"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "3")!)
            try await panel.expectLedgerClean()
        }
    }

    // MARK: Lists of ids

    @Test(arguments: TestEngine.available)
    func moreThanOneHundredIDsIsRefusedBeforeAnyWork(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "10")
            let service = try await panel.service(.default, rate: "1", refill: true, cancel: true)
            try await panel.live { api in
                _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://ids.test/1"), ("quantity", "100")])
                _ = try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://ids.test/2"), ("quantity", "100")])
                try await panel.store.updateOrder(id: 2, OrderChange(status: .completed))

                let tooMany = ContractProbe.error("Too many ids (maximum 100)")
                let ids101 = ContractProbe.idList(1...101)
                for (action, field) in [("status", "orders"), ("refill", "orders"), ("refill_status", "refills"), ("cancel", "orders")] {
                    let answer = try await api.post([("key", key), ("action", action), (field, ids101)])
                    #expect(answer.body == tooMany, "\(action)")
                    #expect(answer.status == 200)
                }
                // Spaces do not hide ids.
                #expect(try await api.call([("key", key), ("action", "cancel"),
                                            ("orders", (1...101).map { " \($0) " }.joined(separator: ","))]) == tooMany)
                // Nothing was canceled or refilled.
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}"#)
                #expect(try await panel.store.listRefills().isEmpty)
                #expect(try await panel.balance(of: user) == Money(parsing: "9.8")!)

                // Exactly 100 ids are answered, each in its place.
                let ids100 = ContractProbe.idList(1...100)
                let status = try await api.call([("key", key), ("action", "status"), ("orders", ids100)])
                let unknownStatus = (3...100).map { #""\#($0)":{"error":"Incorrect order ID"}"# }.joined(separator: ",")
                #expect(status == #"{"1":{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"USD"},"#
                    + #""2":{"charge":"0.10000","start_count":"0","status":"Completed","remains":"0","currency":"USD"},"# + unknownStatus + "}")
                let refill = try await api.call([("key", key), ("action", "refill"), ("orders", ids100)])
                let unknownRefill = (3...100).map { #"{"order":\#($0),"refill":{"error":"Incorrect order ID"}}"# }.joined(separator: ",")
                #expect(refill == #"[{"order":1,"refill":{"error":"Refill is not available for this order"}},{"order":2,"refill":1},"# + unknownRefill + "]")
                let refillStatus = try await api.call([("key", key), ("action", "refill_status"), ("refills", ids100)])
                let unknownRefillStatus = (2...100).map { #"{"refill":\#($0),"status":{"error":"Refill not found"}}"# }.joined(separator: ",")
                #expect(refillStatus == #"[{"refill":1,"status":"Pending"},"# + unknownRefillStatus + "]")
                let cancel = try await api.call([("key", key), ("action", "cancel"), ("orders", ids100)])
                let unknownCancel = (3...100).map { #"{"order":\#($0),"cancel":{"error":"Incorrect order ID"}}"# }.joined(separator: ",")
                #expect(cancel == #"[{"order":1,"cancel":1},{"order":2,"cancel":{"error":"Cancel is not available for this order"}},"# + unknownCancel + "]")
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "9.9")!)
        }
    }

    // MARK: Keys and actions

    @Test(arguments: TestEngine.available)
    func missingUnknownDisabledOrRotatedKeysAreInvalid(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "10")
            let (other, otherKey) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "1")
            let invalid = "Invalid API key"
            try await panel.live { api in
                func add(_ key: String?, _ link: String) -> [(String, String)] {
                    (key.map { [("key", $0)] } ?? []) + [("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "100")]
                }
                try await ContractProbe.expectRefused(panel, api, user, add(nil, "https://k.test/1"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, add("", "https://k.test/1"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, add("   ", "https://k.test/1"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, add("0123456789abcdef0123456789abcdef", "https://k.test/1"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, add(key + "0", "https://k.test/1"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, add(String(key.dropLast()), "https://k.test/1"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, [("action", "balance")], invalid)
                try await ContractProbe.expectRefused(panel, api, user, [("key", "nope"), ("action", "services")], invalid)
                // An invalid key wins over a missing action.
                try await ContractProbe.expectRefused(panel, api, user, [("key", "nope")], invalid)

                // A disabled user's key stops working, and works again once re-enabled.
                try await panel.store.setUserDisabled(userID: user.id, true)
                try await ContractProbe.expectRefused(panel, api, user, add(key, "https://k.test/2"), invalid)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "balance")], invalid)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "status"), ("order", "1")], invalid)
                // The other user is untouched.
                #expect(try await api.call([("key", otherKey), ("action", "balance")]) == #"{"balance":"10.00000","currency":"USD"}"#)
                try await panel.store.setUserDisabled(userID: user.id, false)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"10.00000","currency":"USD"}"#)

                // A rotated key is dead at once; the new one works.
                let newKey = try await panel.store.rotateKey(userID: other.id)
                #expect(newKey != otherKey)
                try await ContractProbe.expectRefused(panel, api, other, add(otherKey, "https://k.test/3"), invalid)
                try await ContractProbe.expectRefused(panel, api, other, [("key", otherKey), ("action", "balance")], invalid)
                #expect(try await api.call([("key", newKey), ("action", "balance")]) == #"{"balance":"10.00000","currency":"USD"}"#)
                #expect(try await api.call(add(newKey, "https://k.test/3")) == #"{"order":1}"#)
            }
            #expect(try await panel.balance(of: other) == Money(parsing: "9.9")!)
            #expect(try await panel.balance(of: user) == Money(parsing: "10")!)
        }
    }

    @Test(arguments: TestEngine.available)
    func missingOrUnknownActionIsAnIncorrectRequest(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "10")
            try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let incorrect = "Incorrect request"
                try await ContractProbe.expectRefused(panel, api, user, [("key", key)], incorrect)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "")], incorrect)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "refunds")], incorrect)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "add_order")], incorrect)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "orders"), ("orders", "1")], incorrect)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("service", "1"), ("link", "https://a.test"),
                                                                         ("quantity", "100")], incorrect)
            }
        }
    }

    // MARK: add refused

    @Test(arguments: TestEngine.available)
    func unknownDisabledOrNonNumericServiceIsIncorrect(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "10")
            let live = try await panel.service(.default, rate: "1")
            let disabled = try await panel.service(.default, rate: "1", name: "off")
            try await panel.store.setServiceEnabled(id: disabled.id, false)
            try await panel.live { api in
                let incorrect = "Incorrect service ID"
                for service in [nil, "", "999", "0", "-1", "abc", "1abc", "1.0", "0x1", "\(disabled.id)"] as [String?] {
                    let fields = [("key", key), ("action", "add")] + (service.map { [("service", $0)] } ?? [])
                        + [("link", "https://svc.test"), ("quantity", "100")]
                    try await ContractProbe.expectRefused(panel, api, user, fields, incorrect)
                }
                // The live service takes the same order.
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(live.id)"),
                                            ("link", "https://svc.test"), ("quantity", "100")]) == #"{"order":1}"#)
                // A service disabled after an order was placed still answers that order's status.
                try await panel.store.setServiceEnabled(id: live.id, false)
                try await ContractProbe.expectRefused(panel, api, user, [("key", key), ("action", "add"), ("service", "\(live.id)"),
                                                                         ("link", "https://svc.test/2"), ("quantity", "100")], incorrect)
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "1")])
                    == #"{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}"#)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func missingOrUnusableLinkIsIncorrect(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                for link in [nil, "", "   ", "https://a b.test/p", "https://a.test/\tp", "https://a.test/\np",
                             "https://a.test/" + String(repeating: "x", count: 2100)] as [String?] {
                    let fields = [("key", key), ("action", "add"), ("service", "\(service.id)")]
                        + (link.map { [("link", $0)] } ?? []) + [("quantity", "100")]
                    try await ContractProbe.expectRefused(panel, api, user, fields, "Incorrect link")
                }
                // Spaces around a link are not part of it.
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "  https://a.test/p  "), ("quantity", "100")]) == #"{"order":1}"#)
                #expect(try await panel.store.order(id: 1)?.link == "https://a.test/p")
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func quantityOutsideTheServiceLimitsNamesTheLimit(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "100")
            let standard = try await panel.service(.default, rate: "1")
            let narrow = try await panel.service(.default, rate: "1", min: 100, max: 2500, name: "narrow")
            try await panel.live { api in
                func add(_ service: Service, _ quantity: String?, _ link: String = "https://q.test") -> [(String, String)] {
                    [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link)]
                        + (quantity.map { [("quantity", $0)] } ?? [])
                }
                try await ContractProbe.expectRefused(panel, api, user, add(standard, "49"), "Quantity less than minimal 50")
                try await ContractProbe.expectRefused(panel, api, user, add(standard, "0"), "Quantity less than minimal 50")
                try await ContractProbe.expectRefused(panel, api, user, add(standard, "-5"), "Quantity less than minimal 50")
                try await ContractProbe.expectRefused(panel, api, user, add(standard, "10001"), "Quantity more than maximum 10000")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, "99"), "Quantity less than minimal 100")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, "2501"), "Quantity more than maximum 2500")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, "999999999999999999"), "Quantity more than maximum 2500")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, nil), "Missing required field: quantity")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, ""), "Missing required field: quantity")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, "abc"), "Incorrect quantity")
                try await ContractProbe.expectRefused(panel, api, user, add(narrow, "1e3"), "Incorrect quantity")
                // The limits themselves are allowed.
                #expect(try await api.call(add(narrow, "100", "https://q.test/min")) == #"{"order":1}"#)
                #expect(try await api.call(add(narrow, "2500", "https://q.test/max")) == #"{"order":2}"#)
                #expect(try await api.call(add(standard, "50", "https://q.test/min")) == #"{"order":3}"#)
                #expect(try await api.call(add(standard, "10000", "https://q.test/max")) == #"{"order":4}"#)
            }
            // 0.1 + 2.5 + 0.05 + 10
            #expect(try await panel.balance(of: user) == Money(parsing: "87.35")!)
        }
    }

    @Test(arguments: TestEngine.available)
    func notEnoughFundsLeavesTheBalanceAsItWas(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "1")
            let (poor, poorKey) = try await panel.customer("bob", balance: "0.99999")
            let (broke, brokeKey) = try await panel.customer("carol", balance: "0")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 100_000)
            try await panel.live { api in
                func add(_ key: String, _ link: String, _ quantity: String) -> [(String, String)] {
                    [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", quantity)]
                }
                let funds = "Not enough funds on balance"
                try await ContractProbe.expectRefused(panel, api, user, add(key, "https://f.test/1", "1001"), funds)
                try await ContractProbe.expectRefused(panel, api, poor, add(poorKey, "https://f.test/2", "1000"), funds)
                try await ContractProbe.expectRefused(panel, api, broke, add(brokeKey, "https://f.test/3", "10"), funds)
                // Exactly the balance is enough, and leaves zero.
                let first = try #require(ContractProbe.orderID(try await api.call(add(key, "https://f.test/1", "1000"))))
                #expect(try await api.call([("key", key), ("action", "status"), ("order", "\(first)")])
                    == #"{"charge":"1.00000","start_count":"0","status":"Pending","remains":"1000","currency":"USD"}"#)
                #expect(try await api.call([("key", key), ("action", "balance")]) == #"{"balance":"0.00000","currency":"USD"}"#)
                try await ContractProbe.expectRefused(panel, api, user, add(key, "https://f.test/4", "10"), funds)
                #expect(ContractProbe.orderID(try await api.call(add(poorKey, "https://f.test/2", "999"))) != nil)
                #expect(try await api.call([("key", poorKey), ("action", "balance")]) == #"{"balance":"0.00099","currency":"USD"}"#)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func aLinkWithAnActiveOrderOnTheServiceIsRefused(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "100")
            let (bob, bobKey) = try await panel.customer("bob", balance: "100")
            let likes = try await panel.service(.default, rate: "1", cancel: true)
            let views = try await panel.service(.default, rate: "1", name: "views")
            let busy = "You have active order with this link. Please wait until order being completed."
            try await panel.live { api in
                func add(_ key: String, _ service: Service, _ link: String) -> [(String, String)] {
                    [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "100")]
                }
                let link = "https://instagram.com/p/busy"
                #expect(try await api.call(add(key, likes, link)) == #"{"order":1}"#)
                try await ContractProbe.expectRefused(panel, api, user, add(key, likes, link), busy)
                try await ContractProbe.expectRefused(panel, api, user, add(key, likes, " \(link) "), busy)
                // The rule is per link and service, whoever asks.
                try await ContractProbe.expectRefused(panel, api, bob, add(bobKey, likes, link), busy)
                #expect(try await api.call(add(key, views, link)) == #"{"order":2}"#)
                #expect(try await api.call(add(key, likes, link + "/2")) == #"{"order":3}"#)
                // In progress and Processing are still active.
                try await panel.store.updateOrder(id: 1, OrderChange(status: .processing))
                try await ContractProbe.expectRefused(panel, api, user, add(key, likes, link), busy)
                try await panel.store.updateOrder(id: 1, OrderChange(status: .inProgress))
                try await ContractProbe.expectRefused(panel, api, user, add(key, likes, link), busy)
                // Completed frees the link; so does a cancel.
                try await panel.store.updateOrder(id: 1, OrderChange(status: .completed))
                #expect(try await api.call(add(key, likes, link)) == #"{"order":4}"#)
                #expect(try await api.call([("key", key), ("action", "cancel"), ("order", "4")]) == #"[{"order":4,"cancel":1}]"#)
                #expect(try await api.call(add(bobKey, likes, link)) == #"{"order":5}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "99.7")!)
            #expect(try await panel.balance(of: bob) == Money(parsing: "99.9")!)
        }
    }
}

/// The panel's currency (`--currency`) is what every answer that names one says.
@Suite struct APICurrencyTests {
    @Test func answersCarryTheConfiguredCurrency() async throws {
        try await TestPanel.with(.sqlite) { panel in
            let api = APIv2(store: panel.store, currency: "EUR")
            let (_, key) = try await panel.customer("eve", balance: "10")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 1000)
            let added = try await api.respond(to: ["key": key, "action": "add", "service": "\(service.id)",
                                                   "link": "https://currency.test/1", "quantity": "100"]).serialized()
            #expect(added == #"{"order":1}"#)
            #expect(try await api.respond(to: ["key": key, "action": "balance"]).serialized() == #"{"balance":"9.90000","currency":"EUR"}"#)
            let one = #"{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"EUR"}"#
            #expect(try await api.respond(to: ["key": key, "action": "status", "order": "1"]).serialized() == one)
            #expect(try await api.respond(to: ["key": key, "action": "status", "orders": "1,2"]).serialized()
                    == #"{"1":"# + one + #","2":{"error":"Incorrect order ID"}}"#)
        }
    }
}
