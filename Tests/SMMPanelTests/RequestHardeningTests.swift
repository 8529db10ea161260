import Foundation
@testable import SMMAPI
@testable import SMMHTTP
import SMMDomain
import Testing

/// Numbers and repeated fields from a request: no value can trap the server, and no body can
/// make parsing cost more than its length.
@Suite("Request hardening")
struct RequestHardeningTests {
    static let hostilePages = ["9223372036854775807", "-9223372036854775808", "99999999999999999999", "1000001", "٣", "0", "-1", "1e9"]

    @Test("a page number of any size is a page, never a crash", arguments: TestEngine.available)
    func hugePageNumbers(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            try await panel.web { web in
                let (_, customer, _) = try await web.customer("alice", balance: "5")
                let (_, admin) = try await web.admin()
                for value in Self.hostilePages {
                    let query = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
                    #expect(try await customer.get("/orders?page=\(query)").status == 200, "\(value)")
                    #expect(try await admin.get("/admin/orders?page=\(query)").status == 200, "\(value)")
                }
                // The last page still pages.
                let last = try await customer.get("/orders?page=1000000")
                #expect(last.status == 200 && last.body.contains("page=999999"))
            }
        }
    }

    /// 2 MB of `a[]&` was 7 s of CPU: each repeat copied the list so far.
    @Test func repeatedFieldsAreCappedWhileParsing() throws {
        let flood = Array(String(repeating: "a[]&", count: 500_000).utf8)
        #expect(throws: APIRequestFields.Failure.self) {
            try APIRequestFields.parse(query: nil, body: flood, contentType: "application/x-www-form-urlencoded")
        }
        // Up to the cap a list is kept whole, in order, with the plain value before it.
        let items = (1..<APIRequestFields.maxListItems).map { "comments[]=c\($0)" }.joined(separator: "&")
        let fields = try APIRequestFields.parse(query: nil, body: Array(("comments=c0&" + items).utf8), contentType: nil)
        let lines = fields["comments"]!.split(separator: "\n")
        #expect(lines.count == APIRequestFields.maxListItems && lines.first == "c0" && lines.last == "c\(APIRequestFields.maxListItems - 1)")
        // A plain repeat after a list replaces it; a list continues across query and body.
        #expect(try APIRequestFields.parse(query: nil, body: Array("o[]=1&o[]=2&o=3".utf8), contentType: nil)["o"] == "3")
        #expect(try APIRequestFields.parse(query: "o[]=1", body: Array("o[]=2&o[]=3".utf8), contentType: nil)["o"] == "1,2,3")
        // Too many distinct names is refused before the dictionary grows further.
        let names = (0...APIRequestLimits.maxFields).map { "f\($0)=1" }.joined(separator: "&")
        #expect(throws: APIRequestFields.Failure.self) {
            try APIRequestFields.parse(query: nil, body: Array(names.utf8), contentType: nil)
        }
        let jsonList = "{\"orders\":[" + Array(repeating: "1", count: APIRequestFields.maxListItems + 1).joined(separator: ",") + "]}"
        #expect(throws: APIRequestFields.Failure.self) {
            try APIRequestFields.parse(query: nil, body: Array(jsonList.utf8), contentType: "application/json")
        }
    }

    @Test("floods of repeated fields do not hold up a real call", arguments: TestEngine.available)
    func floodsDoNotStallOtherCalls(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice", balance: "5")
            try await panel.web { web in
                let flood = String(repeating: "a[]&", count: 500_000)
                let port = web.client.port!
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            try await withExtraClient(port: port) { client in
                                let response = try await client.post("/api/v2", headers: [.contentType: "application/x-www-form-urlencoded"],
                                                                     body: .init(string: "key=\(key)&action=balance&" + flood))
                                return response.body.map { String(buffer: $0) } ?? ""
                            }
                        }
                    }
                    group.addTask {
                        try await withExtraClient(port: port) { client in
                            let response = try await client.post("/login", headers: [.contentType: "application/x-www-form-urlencoded"],
                                                                 body: .init(string: String(flood.prefix(1_000_000))))
                            return "HTTP \(response.status.code)"
                        }
                    }
                    // The floods are on their way in before the real call is made.
                    try await Task.sleep(for: .milliseconds(300))
                    let started = ContinuousClock.now
                    let balance = try await web.api.call([("key", key), ("action", "balance")])
                    #expect(balance.contains("\"balance\":\"5.00000\""))
                    // Before: 13.7 s on an idle machine, a 60 s client timeout here under the suite.
                    // Generous, for a loaded machine; the quadratic parse cannot meet it.
                    #expect(ContinuousClock.now - started < .seconds(30))
                    var answers: [String] = []
                    for try await answer in group { answers.append(answer) }
                    #expect(answers.filter { $0 == "{\"error\":\"Incorrect request\"}" }.count == 4)
                    #expect(answers.contains("HTTP 403"))
                }
            }
        }
    }
}
