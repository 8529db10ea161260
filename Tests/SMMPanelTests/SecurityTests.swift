import Foundation
import SMMDomain
import SMMStorage
import Testing

/// Another customer's orders, refills and keys are unreachable through every API action on
/// every transport: foreign ids answer exactly like ids that do not exist, and nothing of
/// theirs changes.
@Suite struct SecurityTests {
    enum Transport: CaseIterable { case form, query, json }

    static func send(_ api: LiveAPI, _ fields: [(String, String)], via transport: Transport) async throws -> String {
        switch transport {
        case .form: return try await api.post(fields).body
        case .query: return try await api.get(LiveAPI.formEncode(fields)).body
        case .json:
            let members = fields.map { name, value in
                "\(String(data: try! JSONEncoder().encode(name), encoding: .utf8)!):\(String(data: try! JSONEncoder().encode(value), encoding: .utf8)!)"
            }
            return try await api.postJSON("{" + members.joined(separator: ",") + "}").body
        }
    }

    /// The answer as JSON text with `id` (as a key, a number or a string) replaced by "ID".
    static func normalized<Entity>(_ answer: String, id: EntityID<Entity>) -> String {
        func walk(_ value: Any) -> Any {
            switch value {
            case let object as [String: Any]:
                return Dictionary(uniqueKeysWithValues: object.map { ($0.key == "\(id)" ? "ID" : $0.key, walk($0.value)) })
            case let array as [Any]: return array.map(walk)
            case let number as Int where Int64(number) == id.rawValue: return "ID"
            case let text as String where text == "\(id)": return "ID"
            default: return value
            }
        }
        guard let parsed = parseJSON(answer),
              let data = try? JSONSerialization.data(withJSONObject: walk(parsed), options: [.sortedKeys, .fragmentsAllowed]) else {
            return "not JSON: " + answer
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: TestEngine.available)
    func anotherCustomersThingsAreUnreachableThroughEveryAction(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, aliceKey) = try await panel.customer("alice", balance: "100")
            let (mallory, malloryKey) = try await panel.customer("mallory", balance: "100")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 10_000, refill: true, cancel: true)
            try await panel.live { api in
                func add(_ key: String, _ link: String, requestID: String? = nil) async throws -> OrderID {
                    var fields = [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", link), ("quantity", "100")]
                    if let requestID { fields.append(("request_id", requestID)) }
                    let object = try #require(parseJSON(try await api.call(fields)) as? [String: Any])
                    return OrderID(Int64(try #require(object["order"] as? Int)))
                }
                let pending = try await add(aliceKey, "https://alice.test/pending", requestID: "alice-1")
                let done = try await add(aliceKey, "https://alice.test/done")
                try await panel.store.updateOrder(id: done, OrderChange(status: .completed))
                let refill = try await panel.store.createRefill(orderID: done, userID: alice.id).id
                let own = try await add(malloryKey, "https://mallory.test/own")
                let missing: OrderID = 999_999
                let aliceBefore = try await panel.footprint(of: alice.id)

                // What Mallory sends with Alice's id, and the same call with an id that does not
                // exist: the answers must be identical (with the id itself swapped).
                let probes: [(String, (String) -> [(String, String)])] = [
                    ("status order", { [("action", "status"), ("order", $0)] }),
                    ("status order_id", { [("action", "status"), ("order_id", $0)] }),
                    ("status id", { [("action", "status"), ("id", $0)] }),
                    ("status orders", { [("action", "status"), ("orders", "\($0),\(own)")] }),
                    ("refill order", { [("action", "refill"), ("order", $0)] }),
                    ("refill orders", { [("action", "refill"), ("orders", "\($0),\(own)")] }),
                    ("cancel orders", { [("action", "cancel"), ("orders", $0)] }),
                    ("cancel order", { [("action", "cancel"), ("order", $0)] }),
                ]
                for transport in Transport.allCases {
                    for (name, fields) in probes {
                        for foreign in [pending, done] {
                            let theirs = try await Self.send(api, [("key", malloryKey)] + fields(String(foreign)), via: transport)
                            let nobodys = try await Self.send(api, [("key", malloryKey)] + fields(String(missing)), via: transport)
                            #expect(Self.normalized(theirs, id: foreign) == Self.normalized(nobodys, id: missing),
                                    "\(name) via \(transport) tells Alice's order \(foreign) apart: \(theirs) vs \(nobodys)")
                            #expect(theirs.contains("Incorrect order ID"), "\(name) via \(transport): \(theirs)")
                        }
                    }
                    for fields in [[("action", "refill_status"), ("refill", "R")], [("action", "refill_status"), ("refills", "R")]] {
                        let theirs = try await Self.send(api, [("key", malloryKey)] + fields.map { ($0.0, $0.1 == "R" ? "\(refill)" : $0.1) }, via: transport)
                        let nobodys = try await Self.send(api, [("key", malloryKey)] + fields.map { ($0.0, $0.1 == "R" ? "\(missing)" : $0.1) }, via: transport)
                        #expect(Self.normalized(theirs, id: refill) == Self.normalized(nobodys, id: missing), "\(theirs) vs \(nobodys)")
                        #expect(theirs.contains("Refill not found"))
                    }
                    // Keys: a hash, a revoked key, or a key with stray text never authenticates.
                    for key in [APIKeys.hash(aliceKey), aliceKey + " x", aliceKey.uppercased(), "' OR 1=1 --"] {
                        #expect(try await Self.send(api, [("key", key), ("action", "balance")], via: transport) == #"{"error":"Invalid API key"}"#)
                    }
                    // Balance is always one's own.
                    #expect(try await Self.send(api, [("key", malloryKey), ("action", "balance"), ("user", "alice"), ("user_id", "\(alice.id)")],
                                                via: transport).contains("99.90000"))
                }
                // Alice's request_id is hers alone: Mallory using it gets an order of her own.
                let reused = try await add(malloryKey, "https://mallory.test/reused", requestID: "alice-1")
                #expect(reused != pending)
                #expect(try await panel.store.order(id: reused)?.userID == mallory.id)

                #expect(try await panel.footprint(of: alice.id) == aliceBefore, "Mallory changed Alice's things")
                #expect(try await panel.store.order(id: pending)?.status == .pending)
                #expect(try await panel.store.refills(ids: [refill], userID: alice.id)[refill]?.status == .pending)
                // Alice still reaches all of it.
                #expect(try await api.call([("key", aliceKey), ("action", "status"), ("order", "\(pending)")]).contains("Pending"))

                // A revoked key of Alice's stops at once, and Mallory cannot revoke Alice's keys.
                let keys = try await panel.store.keys(userID: alice.id)
                await #expect(throws: PanelError.self) { try await panel.store.revokeKey(userID: mallory.id, keyID: keys[0].id) }
                #expect(try await api.call([("key", aliceKey), ("action", "balance")]).contains("balance"))
                try await panel.store.revokeKey(userID: alice.id, keyID: keys[0].id)
                #expect(try await api.call([("key", aliceKey), ("action", "status"), ("order", "\(pending)")]) == #"{"error":"Invalid API key"}"#)
            }
            try await panel.expectLedgerClean()
        }
    }

    @Test(arguments: TestEngine.available)
    func hostileTextIsStoredVerbatimAndAnsweredAsJSONThatNoBrowserRuns(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, key) = try await panel.customer("alice", balance: "100")
            let mentions = try await panel.service(.mentionsUserFollowers, rate: "1", min: 10, max: 10_000)
            try await panel.live { api in
                let link = "https://x.test/<script>alert(1)</script>'\";--"
                let username = "<img/src=x/onerror=alert(1)>'); DROP TABLE orders; --"
                let answer = try await api.client.execute(uri: "/api/v2", method: .post,
                                                          headers: [.contentType: "application/x-www-form-urlencoded"],
                                                          body: .init(string: LiveAPI.formEncode([
                                                              ("key", key), ("action", "add"), ("service", "\(mentions.id)"), ("link", link),
                                                              ("quantity", "10"), ("username", username)]))) { response in
                    (response.headers[.contentType], response.headers[.init("X-Content-Type-Options")!], String(buffer: response.body))
                }
                #expect(answer.0 == "application/json" && answer.1 == "nosniff")
                #expect(answer.2 == #"{"order":1}"#)
                // Stored exactly as sent (escaping is each page's job), and SQL stayed data.
                let order = try #require(try await panel.store.order(id: 1, userID: alice.id))
                #expect(order.link == link && order.fields["username"] == username)
                #expect(try await panel.store.listOrders(.init()).count == 1)
            }
        }
    }
}
