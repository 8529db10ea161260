import Foundation
import NIOCore
import NIOEmbedded
import SMMAPI
import SMMHTTP
import SMMDomain
import SMMStorage
import Testing
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Every documented limit answers the contract's error and writes nothing; silent and slow
/// clients are disconnected.
@Suite struct LimitsTests {
    @Test(arguments: TestEngine.available)
    func everyLimitIsRefusedAndWritesNothing(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, key) = try await panel.customer("alice", balance: "100")
            let plain = try await panel.service(.default, rate: "1", min: 1, max: 1_000_000, dripFeed: true)
            let comments = try await panel.service(.customComments, rate: "1", min: 1, max: 1_000_000)
            let mentions = try await panel.service(.mentionsUserFollowers, rate: "1", min: 1, max: 1_000_000)
            try await panel.live { api in
                // One good order, so the id lists below point at something real.
                #expect(try await api.call([("key", key), ("action", "add"), ("service", "\(plain.id)"),
                                            ("link", "https://a.test/ok"), ("quantity", "10")]) == #"{"order":1}"#)
                let before = try await panel.footprint(of: alice.id)
                let add = [("key", key), ("action", "add")]
                let cases: [(String, [(String, String)], String)] = [
                    ("link over 2,048 characters", add + [("service", "\(plain.id)"), ("quantity", "10"),
                                                          ("link", "https://a.test/" + String(repeating: "x", count: OrderLimits.maxLinkLength))],
                     #"{"error":"Incorrect link"}"#),
                    ("over 10,000 list lines", add + [("service", "\(comments.id)"), ("link", "https://a.test/c"),
                                                      ("comments", (0...OrderLimits.maxListLines).map { "c\($0)" }.joined(separator: "\n"))],
                     #"{"error":"Incorrect comments"}"#),
                    ("text field over 1,024 characters", add + [("service", "\(mentions.id)"), ("link", "https://a.test/m"), ("quantity", "10"),
                                                                ("username", String(repeating: "u", count: OrderLimits.maxTextFieldLength + 1))],
                     #"{"error":"Incorrect username"}"#),
                    ("request_id over 128 characters", add + [("service", "\(plain.id)"), ("link", "https://a.test/r"), ("quantity", "10"),
                                                              ("request_id", String(repeating: "r", count: OrderLimits.maxRequestIDLength + 1))],
                     #"{"error":"Incorrect request_id"}"#),
                    ("over 1,000 drip-feed runs", add + [("service", "\(plain.id)"), ("link", "https://a.test/d"), ("quantity", "10"),
                                                        ("runs", "\(OrderLimits.maxRuns + 1)"), ("interval", "10")],
                     #"{"error":"Incorrect runs"}"#),
                    ("interval over 30 days", add + [("service", "\(plain.id)"), ("link", "https://a.test/d"), ("quantity", "10"),
                                                     ("runs", "2"), ("interval", "\(OrderLimits.maxIntervalMinutes + 1)")],
                     #"{"error":"Incorrect interval"}"#),
                    ("a NUL byte in request_id", add + [("service", "\(plain.id)"), ("link", "https://a.test/n"), ("quantity", "10"),
                                                        ("request_id", "r\u{0}1")], #"{"error":"Incorrect request"}"#),
                    ("a NUL byte in a list", add + [("service", "\(comments.id)"), ("link", "https://a.test/n"),
                                                    ("comments", "one\ntw\u{0}o")], #"{"error":"Incorrect request"}"#),
                    ("a NUL byte in a field name", add + [("service", "\(plain.id)"), ("link", "https://a.test/n"), ("quantity", "10"),
                                                          ("x\u{0}", "1")], #"{"error":"Incorrect request"}"#),
                    ("over 100 ids", [("key", key), ("action", "cancel"), ("orders", (1...101).map(String.init).joined(separator: ","))],
                     #"{"error":"Too many ids (maximum 100)"}"#),
                    ("over 100 refill ids", [("key", key), ("action", "refill"), ("orders", (1...101).map(String.init).joined(separator: ","))],
                     #"{"error":"Too many ids (maximum 100)"}"#),
                    ("key over 256 bytes", [("key", key + String(repeating: "k", count: 300)), ("action", "cancel"), ("orders", "1")],
                     #"{"error":"Invalid API key"}"#),
                    ("over 200 fields", [("key", key), ("action", "cancel"), ("orders", "1")]
                        + (0..<APIRequestLimits.maxFields).map { ("x\($0)", "1") }, #"{"error":"Incorrect request"}"#),
                ]
                for (what, fields, expected) in cases {
                    let answer = try await api.post(fields)
                    #expect(answer.status == 200 && answer.body == expected, "\(what): \(answer)")
                    #expect(try await panel.footprint(of: alice.id) == before, "\(what) wrote something")
                }
                let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
                let nested = try await api.postJSON(#"{"key":"\#(key)","action":"cancel","orders":\#(deep)}"#)
                #expect(nested.body == #"{"error":"Incorrect request"}"#)
                let body = try await api.post(add + [("service", "\(plain.id)"), ("link", "https://a.test/big"), ("quantity", "10"),
                                                     ("comments", String(repeating: "b", count: APIRequestLimits.maxBodySize))])
                #expect(body.status == 413 && body.body == #"{"error":"Request too large"}"#)
                let query = try await api.get("key=\(key)&action=cancel&orders=1&pad=" + String(repeating: "q", count: APIRequestLimits.maxQueryLength))
                #expect(query.status == 414 && query.body == #"{"error":"Request too large"}"#)
                #expect(try await panel.footprint(of: alice.id) == before)
            }
            try await panel.expectLedgerClean()
        }
    }

    /// Below the API, the store and validator refuse what PostgreSQL could not store (and what
    /// no name or id needs) on both engines: the web forms reach them without the API's checks.
    @Test(arguments: TestEngine.available)
    func controlCharactersAreRefusedBelowTheAPI(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, _) = try await panel.customer("alice", balance: "100")
            let plain = try await panel.service(.default, rate: "1", min: 1, max: 1000)
            let subscriptions = try await panel.service(.subscriptions, rate: "1", min: 1, max: 1000)
            let comments = try await panel.service(.customComments, rate: "1", min: 1, max: 1000)
            let before = try await panel.footprint(of: alice.id)
            let attempts: [(Service, [String: String], String?, PanelError)] = [
                (plain, ["link": "https://a.test/1", "quantity": "10"], "r\u{0}", .incorrectField("request_id")),
                (plain, ["link": "https://a.test/1", "quantity": "10"], "r\u{1B}[2J", .incorrectField("request_id")),
                (subscriptions, ["username": "user\u{0}", "min": "10", "max": "20"], nil, .incorrectField("username")),
                (comments, ["link": "https://a.test/2", "comments": "fine\nnot\u{0}fine"], nil, .incorrectField("comments")),
            ]
            for (service, fields, requestID, expected) in attempts {
                await #expect(throws: expected) {
                    try await panel.store.placeOrder(user: alice, service: service, fields: fields, requestID: requestID)
                }
            }
            await #expect(throws: PanelError.self) { try await panel.store.createKey(userID: alice.id, name: "bot\u{0}") }
            #expect(try await panel.footprint(of: alice.id) == before)
        }
    }

    @Test func aHalfSentRequestHeadIsClosedByTheIdleTimeout() async throws {
        try await TestPanel.with(.sqlite) { panel in
            try await panel.live({ $0.idleTimeout = .seconds(1) }) { api in
                let socket = try RawSocket(port: api.port)
                defer { socket.close() }
                try socket.send("POST /api/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
                let started = ContinuousClock.now
                #expect(socket.waitForClose(within: .seconds(10)), "the server kept a half-sent request open")
                #expect(ContinuousClock.now - started < .seconds(5))
            }
        }
    }

    @Test func aTricklingBodyIsCutOffByTheRequestDeadline() async throws {
        try await TestPanel.with(.sqlite) { panel in
            let (alice, key) = try await panel.customer("alice")
            let service = try await panel.service(.default, rate: "1", min: 1, max: 1000)
            try await panel.live({ $0.idleTimeout = .seconds(30); $0.requestReadTimeout = .seconds(1) }) { api in
                let body = LiveAPI.formEncode([("key", key), ("action", "add"), ("service", "\(service.id)"),
                                               ("link", "https://a.test/slow"), ("quantity", "10")])
                let socket = try RawSocket(port: api.port)
                defer { socket.close() }
                try socket.send("POST /api/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                + "Content-Length: \(body.utf8.count)\r\n\r\n")
                // One byte every 200 ms: the idle timeout alone would never fire.
                var closed = false
                for byte in body.prefix(30) {
                    guard (try? socket.send(String(byte))) != nil, !socket.isClosed() else { closed = true; break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(closed || socket.waitForClose(within: .seconds(5)), "a trickling body kept its connection")
            }
            #expect(try await panel.store.listOrders(.init(userID: alice.id)).isEmpty)
        }
    }
}

/// Every connection gets the write buffer limits set by its `RequestReadDeadline`: past NIO's
/// default, a 1,000-service catalog is one write, not a stop-and-go of the response writer.
@Suite struct ConnectionOptionsTests {
    @Test func aConnectionMayQueueAWholeCatalogAnswer() throws {
        let channel = EmbeddedChannel()
        // Something else first, so that a handler that sets nothing fails here (an embedded
        // channel traps on reading an option never set).
        try channel.setOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 1, high: 2)).wait()
        try channel.pipeline.syncOperations.addHandler(RequestReadDeadline(limit: .seconds(1)))
        let mark = try channel.getOption(ChannelOptions.writeBufferWaterMark).wait()
        #expect(mark.high == RequestReadDeadline.writeBufferWaterMark.high && mark.low == RequestReadDeadline.writeBufferWaterMark.low)
        // Above one 1,000-service answer (234,622 bytes in the bench) with room to spare.
        #expect(mark.high >= 4 * 234_622)
        #expect(mark.low < mark.high)
        _ = try channel.finish()
    }
}

/// A plain TCP client for what HTTP clients will not do: stop halfway.
struct RawSocket {
    let fd: Int32

    struct Failure: Error {}

    init(port: Int) throws {
        fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { Glibc.close(fd); throw Failure() }
        // Writing to a socket the server closed must fail, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw Failure() }
    }

    /// True if the peer has closed (a read returns end of file or an error) right now.
    func isClosed() -> Bool {
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&probe, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK)) <= 0
    }

    /// Waits until the peer closes the connection, up to `limit`; true if it did.
    func waitForClose(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&probe, 1, 100) > 0 else { continue }
            if recv(fd, &buffer, buffer.count, 0) <= 0 { return true }
        }
        return false
    }

    func close() { Glibc.close(fd) }
}
