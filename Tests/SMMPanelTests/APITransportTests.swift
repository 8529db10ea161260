@testable import SMMAPI
@testable import SMMHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SMMApp
import SMMDomain
import SMMStorage
import Testing

/// One HTTP exchange as the wire saw it.
private struct TransportAnswer: Sendable {
    let status: Int
    let contentType: String?
    let location: String?
    let body: String
}

private extension LiveAPI {
    /// Any request, with only the headers given (the live client adds Host and Connection).
    func wire(_ method: HTTPRequest.Method, _ uri: String, contentType: String? = nil, userAgent: String? = nil,
              body: String? = nil) async throws -> TransportAnswer {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        if let userAgent { headers[.userAgent] = userAgent }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            TransportAnswer(status: Int(response.status.code), contentType: response.headers[.contentType],
                       location: response.headers[.location], body: String(buffer: response.body))
        }
    }

    func wireForm(_ fields: [(String, String)], path: String = "/api/v2", userAgent: String? = nil) async throws -> TransportAnswer {
        try await wire(.post, path, contentType: "application/x-www-form-urlencoded", userAgent: userAgent, body: LiveAPI.formEncode(fields))
    }

    func wireQuery(_ fields: [(String, String)], path: String = "/api/v2") async throws -> TransportAnswer {
        try await wire(.get, "\(path)?\(LiveAPI.formEncode(fields))")
    }

    func wireJSON(_ text: String, path: String = "/api/v2", contentType: String = "application/json") async throws -> TransportAnswer {
        try await wire(.post, path, contentType: contentType, body: text)
    }
}

/// The fields as one JSON object of strings.
private func transportJSONObject(_ fields: [(String, String)]) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(Dictionary(fields, uniquingKeysWith: { _, last in last })), as: UTF8.self)
}

/// API v2 over HTTP (contract §1): form POST, GET query string and JSON body alike, body over
/// query, `/api/v2/` without redirect, JSON responses, every contract error as HTTP 200.
@Suite struct APITransportTests {
    @Test(arguments: [
        ("plain", "plain"), ("a+b", "a b"), ("a%2Cb%2c", "a,b,"), ("%", "%"), ("%4", "%4"), ("%zz1", "%zz1"),
        ("%C3%BC", "ü"), ("ü", "ü"), ("%FF", "\u{FFFD}"), ("", ""), ("100%25+sure", "100% sure"),
    ])
    func formComponentsDecode(raw: String, decoded: String) {
        #expect(APIRequestFields.decodeComponent(ArraySlice(Array(raw.utf8))) == decoded)
    }

    /// The same answer as `lowercased().contains("json")` (what it replaced), on real headers,
    /// near misses, and random ones.
    @Test func contentTypeNamesJSONInAnyCase() {
        var samples = ["application/json", "Application/JSON; charset=utf-8", "text/json", "application/vnd.api+json",
                       "application/x-www-form-urlencoded", "multipart/form-data; boundary=jso", "", "jso", "jjson", "jsjson",
                       "JSOn", "js on", "jsoN\u{0}", "ǰson", "json", "application/jsonp", "\u{212A}json", "Ｊson"]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("jsonJSON /;=-+ǰK\u{212A}")
        for _ in 0..<2_000 {
            samples.append(String((0..<Int.random(in: 0...10, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for sample in samples {
            #expect(APIRequestFields.mentionsJSON(sample) == sample.lowercased().contains("json"), "\(sample)")
        }
    }

    @Test func invalidUTF8IsRepairedTheSameWithOrWithoutEscapes() {
        let bytes: [UInt8] = [0x61, 0xFF, 0x62]
        #expect(APIRequestFields.decodeComponent(ArraySlice(bytes)) == "a\u{FFFD}b")
        #expect(APIRequestFields.decodeComponent(ArraySlice(bytes + Array("+".utf8))) == "a\u{FFFD}b ")
    }

    @Test(arguments: TestEngine.available)
    func getWithAQueryStringAnswersLikeAFormPost(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            let comments = try await panel.service(.customComments, rate: "10", min: 1, max: 100)
            try await panel.live { api in
                let balance = try await api.wireQuery([("key", key), ("action", "balance")])
                #expect(balance.body == #"{"balance":"10.00000","currency":"USD"}"#)
                #expect(balance.status == 200)
                let servicesByGet = try await api.wireQuery([("key", key), ("action", "services")]).body
                #expect(servicesByGet == (try await api.wireForm([("key", key), ("action", "services")]).body))
                #expect(servicesByGet.hasPrefix(#"[{"service":1,"name":"Default service","type":"Default","category":"Test","rate":"1.00","min":"50","max":"10000","#))

                // A link full of URL syntax survives the query string.
                let add = try await api.wireQuery([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                               ("link", "https://get.test/p?a=1&b=2#frag"), ("quantity", "100")])
                #expect(add.body == #"{"order":1}"#)
                #expect(try await panel.store.order(id: 1)?.link == "https://get.test/p?a=1&b=2#frag")
                #expect(try await api.wireQuery([("key", key), ("action", "status"), ("order", "1")]).body
                    == #"{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}"#)
                #expect(try await api.wireQuery([("key", key), ("action", "status"), ("orders", "1,2")]).body
                    == #"{"1":{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"USD"},"2":{"error":"Incorrect order ID"}}"#)
                // Written by hand, as a bot would: plain commas, `+` for spaces.
                #expect(try await api.wire(.get, "/api/v2?key=\(key)&action=cancel&orders=1,+2").body
                    == #"[{"order":1,"cancel":1},{"order":2,"cancel":{"error":"Incorrect order ID"}}]"#)

                // A hand-written form body: `+` is a space, %0D%0A a line break.
                let form = try await api.wire(.post, "/api/v2", contentType: "application/x-www-form-urlencoded",
                                              body: "key=\(key)&action=add&service=\(comments.id)&link=https%3A%2F%2Fplus.test&comments=hello+world%0D%0A%0D%0Asecond+line")
                #expect(form.body == #"{"order":2}"#)
                #expect(try await panel.store.order(id: 2)?.fields["comments"] == "hello world\nsecond line")
                #expect(try await api.wireForm([("key", key), ("action", "balance")]).body == #"{"balance":"9.98000","currency":"USD"}"#)
                // A form body without a Content-Type, or with a charset (jQuery's default), is still a form.
                #expect(try await api.wire(.post, "/api/v2", body: "key=\(key)&action=balance").body == #"{"balance":"9.98000","currency":"USD"}"#)
                #expect(try await api.wire(.post, "/api/v2", contentType: "application/x-www-form-urlencoded; charset=UTF-8",
                                           body: "key=\(key)&action=balance").body == #"{"balance":"9.98000","currency":"USD"}"#)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func aJSONBodyTakesNumbersArraysAndNulls(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1", cancel: true)
            let comments = try await panel.service(.customComments, rate: "10", min: 1, max: 100)
            try await panel.live { api in
                let add = try await api.wireJSON(#"{"key":"\#(key)","action":"add","service":\#(service.id),"link":"https://json.test/1","quantity":157}"#)
                #expect(add.body == #"{"order":1}"#)
                #expect(add.status == 200)
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"status","order":1}"#).body
                    == #"{"charge":"0.15700","start_count":"0","status":"Pending","remains":"157","currency":"USD"}"#)
                // Strings work too, and null is no value (no drip-feed here).
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"add","service":"\#(service.id)","link":"https://json.test/2","quantity":"200","runs":null,"interval":null}"#).body
                    == #"{"order":2}"#)
                // A list field as a JSON array: one item per element, blank ones ignored.
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"add","service":\#(comments.id),"link":"https://json.test/3","comments":["one","two","","three"]}"#).body
                    == #"{"order":3}"#)
                #expect(try await panel.store.order(id: 3)?.fields["comments"] == "one\ntwo\nthree")
                // `orders` as a JSON array of numbers.
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"status","orders":[1,3,999]}"#).body
                    == #"{"1":{"charge":"0.15700","start_count":"0","status":"Pending","remains":"157","currency":"USD"},"#
                    + #""3":{"charge":"0.03000","start_count":"0","status":"Pending","remains":"3","currency":"USD"},"999":{"error":"Incorrect order ID"}}"#)
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"cancel","orders":[2]}"#).body == #"[{"order":2,"cancel":1}]"#)
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"cancel","order":1}"#).body == #"[{"order":1,"cancel":1}]"#)
                // A charset parameter, or a client that labels its JSON as a form (PHP curl's default), is still JSON.
                #expect(try await api.wireJSON(#"{"key":"\#(key)","action":"balance"}"#, contentType: "application/json; charset=utf-8").body
                    == #"{"balance":"9.97000","currency":"USD"}"#)
                #expect(try await api.wireJSON(#" {"key":"\#(key)","action":"balance"}"#, contentType: "application/x-www-form-urlencoded").body
                    == #"{"balance":"9.97000","currency":"USD"}"#)
                #expect(try await api.wire(.post, "/api/v2", body: #"{"key":"\#(key)","action":"balance"}"#).body
                    == #"{"balance":"9.97000","currency":"USD"}"#)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func bodyFieldsWinOverQueryFields(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let balance = #"{"balance":"10.00000","currency":"USD"}"#
                // Form body over query.
                #expect(try await api.wire(.post, "/api/v2?key=wrong&action=services", contentType: "application/x-www-form-urlencoded",
                                           body: "key=\(key)&action=balance").body == balance)
                // JSON body over query.
                #expect(try await api.wire(.post, "/api/v2?key=wrong&action=services", contentType: "application/json",
                                           body: #"{"key":"\#(key)","action":"balance"}"#).body == balance)
                // What the body lacks, the query gives.
                #expect(try await api.wire(.post, "/api/v2?key=\(key)", contentType: "application/x-www-form-urlencoded",
                                           body: "action=balance").body == balance)
                #expect(try await api.wire(.post, "/api/v2?action=balance&key=\(key)").body == balance)
                // A body value wins even when the query's value would have been valid, and the other way round.
                #expect(try await api.wire(.post, "/api/v2?key=\(key)&action=balance", contentType: "application/x-www-form-urlencoded",
                                           body: "key=wrong").body == ContractProbe.error("Invalid API key"))
                try await ContractProbe.expectRefused(panel, user, "Quantity less than minimal 50") {
                    let answer = try await api.wire(.post, "/api/v2?quantity=100", contentType: "application/x-www-form-urlencoded",
                                                    body: "key=\(key)&action=add&service=\(service.id)&link=https%3A%2F%2Fbq.test&quantity=10")
                    return (answer.status, answer.body)
                }
                #expect(try await api.wire(.post, "/api/v2?quantity=10", contentType: "application/x-www-form-urlencoded",
                                           body: "key=\(key)&action=add&service=\(service.id)&link=https%3A%2F%2Fbq.test&quantity=100").body
                    == #"{"order":1}"#)
                #expect(try await panel.store.order(id: 1)?.quantity == 100)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func aTrailingSlashIsTheSameEndpointWithoutRedirect(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                for path in ["/api/v2", "/api/v2/"] {
                    let post = try await api.wireForm([("key", key), ("action", "balance")], path: path)
                    let get = try await api.wireQuery([("key", key), ("action", "balance")], path: path)
                    let json = try await api.wireJSON(#"{"key":"\#(key)","action":"balance"}"#, path: path)
                    let refused = try await api.wireForm([("key", "nope"), ("action", "balance")], path: path)
                    for answer in [post, get, json, refused] {
                        #expect(answer.status == 200, "\(path)")
                        #expect(answer.location == nil, "\(path)")
                        #expect(answer.contentType == "application/json", "\(path)")
                    }
                    #expect(post.body == #"{"balance":"10.00000","currency":"USD"}"#, "\(path)")
                    #expect(get.body == post.body, "\(path)")
                    #expect(json.body == post.body, "\(path)")
                    #expect(refused.body == ContractProbe.error("Invalid API key"), "\(path)")
                }
                // A POST to the slashed path keeps its body: the order is placed.
                let add = try await api.wireForm([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                              ("link", "https://slash.test"), ("quantity", "100")], path: "/api/v2/")
                #expect(add.status == 200)
                #expect(add.body == #"{"order":1}"#)
                #expect(try await api.wireForm([("key", key), ("action", "status"), ("order", "1")], path: "/api/v2/").body
                    == #"{"charge":"0.10000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}"#)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func everyAnswerIsJSON(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let answers = [
                    try await api.wireForm([("key", key), ("action", "services")]),
                    try await api.wireForm([("key", key), ("action", "balance")]),
                    try await api.wireForm([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://ct.test"), ("quantity", "100")]),
                    try await api.wireForm([("key", key), ("action", "status"), ("order", "1")]),
                    try await api.wireForm([("key", key), ("action", "status"), ("orders", "1,2")]),
                    try await api.wireForm([("key", key), ("action", "cancel"), ("orders", "1")]),
                    try await api.wireForm([("key", key), ("action", "refill"), ("order", "1")]),
                    try await api.wireForm([("key", key), ("action", "refill_status"), ("refill", "1")]),
                    try await api.wireForm([("key", "nope"), ("action", "balance")]),
                    try await api.wireForm([("key", key), ("action", "nope")]),
                    try await api.wireQuery([("key", key), ("action", "balance")]),
                    try await api.wire(.get, "/api/v2"),
                    try await api.wire(.post, "/api/v2"),
                    try await api.wireJSON("{broken"),
                    try await api.wireJSON("[]"),
                ]
                for (index, answer) in answers.enumerated() {
                    #expect(answer.contentType == "application/json", "answer \(index): \(answer.body)")
                    #expect(answer.status == 200, "answer \(index): \(answer.body)")
                    #expect((try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) != nil, "answer \(index) is not JSON: \(answer.body)")
                }
                #expect(answers[11].body == ContractProbe.error("Invalid API key"))
                #expect(answers[12].body == ContractProbe.error("Invalid API key"))
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func noUserAgentIsTurnedAway(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let agents = [
                    "Mozilla/4.0 (compatible; MSIE 5.01; Windows NT 5.0)",
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
                    "python-requests/2.31.0",
                    "curl/8.5.0",
                    "",
                ]
                for (index, agent) in agents.enumerated() {
                    let balance = try await api.wireForm([("key", key), ("action", "balance")], userAgent: agent)
                    #expect(balance.status == 200, "\(agent)")
                    #expect(balance.body == #"{"balance":"\#(10 - index).00000","currency":"USD"}"#, "\(agent)")
                    let add = try await api.wireForm([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                  ("link", "https://ua.test/\(index)"), ("quantity", "1000")], userAgent: agent)
                    #expect(add.body == #"{"order":\#(index + 1)}"#, "\(agent)")
                }
            }
        }
    }

    /// Each top-level contract error, sent as a form POST, a GET query and a JSON body: the
    /// exact message, HTTP 200, and nothing changed.
    @Test(arguments: TestEngine.available)
    func everyContractErrorIsHTTP200OnEveryTransport(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer("alice", balance: "1")
            let (_, bob) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "1", refill: true, cancel: true)
            let noRefill = try await panel.service(.default, rate: "1", refill: false, name: "no refill")
            let comments = try await panel.service(.customComments, rate: "1", min: 1, max: 100)
            let plain = try await panel.service(.default, rate: "1", dripFeed: false, name: "plain")
            try await panel.live { api in
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://busy.test"), ("quantity", "100")]) == #"{"order":1}"#)
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(noRefill.id)"),
                                            ("link", "https://busy.test"), ("quantity", "100")]) == #"{"order":2}"#)
                try await panel.store.updateOrder(id: 2, OrderChange(status: .completed))
                let ids101 = ContractProbe.idList(1...101)
                func add(_ extra: [(String, String)], service: Service = service) -> [(String, String)] {
                    [("key", key), ("action", "add"), ("service", "\(service.id)")] + extra
                }
                let cases: [([(String, String)], String)] = [
                    ([("action", "balance")], "Invalid API key"),
                    ([("key", "0123456789abcdef0123456789abcdef"), ("action", "balance")], "Invalid API key"),
                    ([("key", key)], "Incorrect request"),
                    ([("key", key), ("action", "withdraw")], "Incorrect request"),
                    ([("key", key), ("action", "add"), ("service", "999"), ("link", "https://e.test"), ("quantity", "100")], "Incorrect service ID"),
                    ([("key", key), ("action", "add"), ("service", "abc"), ("link", "https://e.test"), ("quantity", "100")], "Incorrect service ID"),
                    (add([("quantity", "100")]), "Incorrect link"),
                    (add([("link", "https://e.test"), ("quantity", "10")]), "Quantity less than minimal 50"),
                    (add([("link", "https://e.test"), ("quantity", "10001")]), "Quantity more than maximum 10000"),
                    (add([("link", "https://e.test"), ("quantity", "1001")]), "Not enough funds on balance"),
                    (add([("link", "https://busy.test"), ("quantity", "100")]),
                     "You have active order with this link. Please wait until order being completed."),
                    (add([("link", "https://e.test")], service: comments), "Missing required field: comments"),
                    (add([("link", "https://e.test"), ("quantity", "100"), ("runs", "2"), ("interval", "5")], service: plain),
                     "Drip-feed is not available for this service"),
                    ([("key", key), ("action", "status"), ("order", "999")], "Incorrect order ID"),
                    ([("key", bob), ("action", "status"), ("order", "1")], "Incorrect order ID"),
                    ([("key", key), ("action", "refill"), ("order", "999")], "Incorrect order ID"),
                    ([("key", key), ("action", "refill"), ("order", "1")], "Refill is not available for this order"),
                    ([("key", key), ("action", "refill"), ("order", "2")], "Refill is not available for this order"),
                    ([("key", key), ("action", "refill_status"), ("refill", "1")], "Refill not found"),
                    ([("key", key), ("action", "status"), ("orders", ids101)], "Too many ids (maximum 100)"),
                    ([("key", key), ("action", "refill"), ("orders", ids101)], "Too many ids (maximum 100)"),
                    ([("key", key), ("action", "refill_status"), ("refills", ids101)], "Too many ids (maximum 100)"),
                    ([("key", key), ("action", "cancel"), ("orders", ids101)], "Too many ids (maximum 100)"),
                ]
                for (fields, message) in cases {
                    try await ContractProbe.expectRefused(panel, user, message) {
                        let answer = try await api.wireForm(fields)
                        return (answer.status, answer.body)
                    }
                    try await ContractProbe.expectRefused(panel, user, message) {
                        let answer = try await api.wireQuery(fields)
                        return (answer.status, answer.body)
                    }
                    let body = try transportJSONObject(fields)
                    try await ContractProbe.expectRefused(panel, user, message) {
                        let answer = try await api.wireJSON(body)
                        return (answer.status, answer.body)
                    }
                }
                // A cancel that is not possible is reported inside the array, still as HTTP 200.
                let cancel = try await api.wireForm([("key", key), ("action", "cancel"), ("order", "2")])
                #expect(cancel.status == 200)
                #expect(cancel.body == #"[{"order":2,"cancel":{"error":"Cancel is not available for this order"}}]"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "0.8")!)
        }
    }

    /// A body past the limit is broken HTTP, the one case (with an unsupported method) where
    /// another status than 200 is allowed; it must still place nothing.
    @Test(arguments: TestEngine.available)
    func anOversizedBodyIsRefusedAndPlacesNothing(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let padding = String(repeating: "x", count: 3 * 1024 * 1024)
                let answer = try await api.wireForm([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                     ("link", "https://big.test"), ("quantity", "100"), ("comment", padding)])
                #expect(answer.status == 413)
                // Contract §1: `Content-Type: application/json` on every response, this one too.
                #expect(answer.contentType == "application/json")
                #expect(answer.body == #"{"error":"Request too large"}"#)
                #expect(try await ContractProbe.orderCount(panel) == 0)
                // The server is still fine afterwards.
                #expect(try await api.wireForm([("key", key), ("action", "balance")]).body == #"{"balance":"10.00000","currency":"USD"}"#)
            }
            #expect(try await panel.balance(of: user) == Money(parsing: "10")!)
        }
    }

    @Test(arguments: TestEngine.available)
    func aJSONBodyThatIsNoObjectOrIsBrokenIsAnIncorrectRequest(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (user, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.default, rate: "1")
            try await panel.live { api in
                let add = #""key":"\#(key)","action":"add","service":\#(service.id),"link":"https://broken.test","quantity":100"#
                let bodies = [
                    "[{\(add)}]",
                    #"[{"key":"\#(key)","action":"balance"}]"#,
                    "[]",
                    #"["\#(key)","balance"]"#,
                    "{\(add)",
                    "{\(add)}}",
                    #"{"key":"\#(key)","action":"balance""#,
                    #"{'key':'\#(key)','action':'balance'}"#,
                    #"{"key":"\#(key)","action":{"name":"balance"}}"#,
                    #"{"key":"\#(key)","action":"status","orders":[[1]]}"#,
                    #"{"key":"\#(key)","action":"status","orders":[{"id":1}]}"#,
                    #""balance""#,
                    "42",
                    "null",
                    "true",
                    "{",
                ]
                for body in bodies {
                    try await ContractProbe.expectRefused(panel, user, "Incorrect request") {
                        let answer = try await api.wireJSON(body)
                        return (answer.status, answer.body)
                    }
                }
                // Broken JSON is broken whatever it is labelled.
                for contentType in ["application/x-www-form-urlencoded", "text/plain"] {
                    try await ContractProbe.expectRefused(panel, user, "Incorrect request") {
                        let answer = try await api.wireJSON("{\(add)", contentType: contentType)
                        return (answer.status, answer.body)
                    }
                }
                // The well-formed object goes through.
                #expect(try await api.wireJSON("{\(add)}").body == #"{"order":1}"#)

                // A trailing comma is broken JSON too (RFC 8259): refused, nothing placed.
                let trailingComma = #"{"key":"\#(key)","action":"add","service":\#(service.id),"link":"https://comma.test","quantity":100,}"#
                try await ContractProbe.expectRefused(panel, user, "Incorrect request") {
                    let answer = try await api.wireJSON(trailingComma)
                    return (answer.status, answer.body)
                }
            }
        }
    }
}

/// The strict JSON reader behind JSON bodies: what RFC 8259 allows, and nothing else.
@Suite struct StrictJSONTests {
    @Test func readsEveryKindOfValue() throws {
        let body = #"{"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00","i":-12,"d":1.5e2,"t":true,"f":false,"n":null,"a":[1,"x",[]],"o":{}}"#
        let parsed = try StrictJSON.parse(Array(body.utf8))
        #expect(parsed == .object([
            ("s", .string("a\"b\\c/d\né😀")), ("i", .number("-12")), ("d", .number("1.5e2")), ("t", .bool(true)),
            ("f", .bool(false)), ("n", .null), ("a", .array([.number("1"), .string("x"), .array([])])), ("o", .object([])),
        ]))
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"[1,]"#, #"{"a":1"#, #"{"a" 1}"#, #"{'a':1}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#,
        #"{"a":+1}"#, #"{"a":1e}"#, #"{"a":tru}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{"a":"\ud800"}"#,
        #"{"a":1} x"#, "", "   ", #"{"a":NaN}"#, String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    ])
    func refusesWhatIsNotJSON(text: String) {
        #expect(throws: StrictJSON.Malformed.self) { try StrictJSON.parse(Array(text.utf8)) }
    }
}

/// PHP clients send lists as `orders[]=1&orders[]=2`; other methods get a JSON 405.
@Suite struct APIFormQuirksTests {
    @Test(arguments: TestEngine.available)
    func phpStyleListsAndOtherMethods(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer(balance: "10")
            let service = try await panel.service(.customComments, rate: "1", min: 1, max: 10)
            try await panel.live { api in
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://php.test"),
                                            ("comments[]", "one"), ("comments[]", "two")]) == #"{"order":1}"#)
                #expect(try await panel.store.order(id: 1)?.fields["comments"] == "one\ntwo")
                #expect(try await api.call([("key", key), ("action", "status"), ("orders[]", "1"), ("orders[]", "2")])
                        == #"{"1":{"charge":"0.00200","start_count":"0","status":"Pending","remains":"2","currency":"USD"},"2":{"error":"Incorrect order ID"}}"#)
                for method in [HTTPRequest.Method.put, .delete, .patch, .options] {
                    let (status, body, allow) = try await api.client.execute(uri: "/api/v2", method: method) { response in
                        (Int(response.status.code), String(buffer: response.body), response.headers[.allow])
                    }
                    #expect(status == 405)
                    #expect(body == #"{"error":"Incorrect request"}"#)
                    #expect(allow == "GET, POST")
                }
            }
        }
    }
}
