import Foundation
import HummingbirdTesting
import NIOCore
import SMMAPI
@testable import SMMApp
import SMMDomain
import SMMStorage
import Testing

/// Rate limits per key and per address, and the slowdown of key guessing: HTTP 429 with
/// `{"error":"Too many requests"}` and `Retry-After`, driven by the panel's clock.
@Suite struct RateLimitTests {
    @Test func bucketsRefillWithTheClockAndStayBounded() {
        let clock = ManualClock()
        let buckets = TokenBuckets(limit: RateLimit(burst: 3, perSecond: 0.5), maxTracked: 16, clock: clock)
        #expect((0..<3).map { _ in buckets.take("a") } == [nil, nil, nil])
        #expect(buckets.take("a") == 2)
        #expect(buckets.take("b") == nil)
        clock.advance(seconds: 1)
        #expect(buckets.take("a") == 1)
        clock.advance(seconds: 1)
        #expect(buckets.take("a") == nil)
        #expect(buckets.take("a") == 2)
        // Thousands of distinct clients never hold more than the bound.
        for index in 0..<5_000 { _ = buckets.take("client \(index)") }
        #expect(buckets.trackedCount <= 16)
        // A client that recently spent its tokens survives eviction of idle full buckets.
        clock.advance(seconds: 100)
        _ = (0..<3).map { _ in buckets.take("busy") }
        for index in 0..<15 { _ = buckets.check("idle \(index)") }
        #expect(buckets.take("busy") != nil)
    }

    /// However long a client stays away, its bucket refills to its burst and no further: after
    /// an hour idle it gets exactly `burst` requests at once, then waits.
    @Test func aBucketRefillsToItsBurstAndNoFurtherAfterAnIdleSpell() {
        let clock = ManualClock()
        let buckets = TokenBuckets(limit: RateLimit(burst: 3, perSecond: 1), clock: clock)
        #expect(buckets.take("a") == nil)
        clock.advance(seconds: 3_600)
        #expect(buckets.check("a") == nil)
        #expect((0..<3).map { _ in buckets.take("a") } == [nil, nil, nil])
        #expect(buckets.take("a") == 1)
        #expect(buckets.check("a") == 1)
    }

    @Test(arguments: TestEngine.available)
    func aKeyOverItsRateGets429UntilTheClockMoves(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, key) = try await panel.customer("alice", balance: "10")
            let (_, other) = try await panel.customer("bob", balance: "10")
            let service = try await panel.service(.default, rate: "1", min: 10, max: 10_000)
            try await panel.live({ $0.throttle = APIThrottleConfiguration(perAddress: nil, perKey: RateLimit(burst: 5, perSecond: 1)) }) { api in
                for _ in 0..<5 { #expect(try await api.post([("key", key), ("action", "balance")]).status == 200) }
                let before = try await panel.footprint(of: alice.id)
                let refused = try await api.client.execute(uri: "/api/v2", method: .post,
                                                           headers: [.contentType: "application/x-www-form-urlencoded"],
                                                           body: ByteBuffer(string: LiveAPI.formEncode([
                                                               ("key", key), ("action", "add"), ("service", "\(service.id)"),
                                                               ("link", "https://a.test/x"), ("quantity", "100")]))) { response in
                    (response.status.code, response.headers[.retryAfter], response.headers[.contentType], String(buffer: response.body))
                }
                #expect(refused.0 == 429 && refused.1 == "1" && refused.2 == "application/json")
                #expect(refused.3 == #"{"error":"Too many requests"}"#)
                #expect(try await panel.footprint(of: alice.id) == before, "a refused call wrote something")
                // Another key on the same address is unaffected.
                #expect(try await api.post([("key", other), ("action", "balance")]).status == 200)
                panel.clock.advance(seconds: 2)
                #expect(try await api.post([("key", key), ("action", "balance")]).status == 200)
                #expect(try await api.post([("key", key), ("action", "balance")]).status == 200)
                #expect(try await api.post([("key", key), ("action", "balance")]).status == 429)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func anAddressOverItsRateGets429(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice")
            try await panel.live({ $0.throttle = APIThrottleConfiguration(perAddress: RateLimit(burst: 4, perSecond: 2), perKey: nil) }) { api in
                for _ in 0..<4 { #expect(try await api.get("key=\(key)&action=balance").status == 200) }
                let refused = try await api.get("key=\(key)&action=balance")
                #expect(refused.status == 429 && refused.body == #"{"error":"Too many requests"}"#)
                // Even malformed or oversized requests count: the address is checked first.
                #expect(try await api.postJSON("{broken").status == 429)
                panel.clock.advance(seconds: 1)
                #expect(try await api.get("key=\(key)&action=balance").status == 200)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func guessingKeysGetsAnAddressRefusedEvenWithAGoodKey(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (_, key) = try await panel.customer("alice")
            let limits = APIThrottleConfiguration(perAddress: nil, perKey: nil, invalidKeys: RateLimit(burst: 3, perSecond: 0.1))
            try await panel.live({ $0.throttle = limits }) { api async throws in
                for guess in 0..<3 {
                    #expect(try await api.call([("key", "guess\(guess)"), ("action", "balance")]) == #"{"error":"Invalid API key"}"#)
                }
                // Valid keys never count as guesses, but once the allowance is spent the whole
                // address waits.
                let locked = try await api.post([("key", key), ("action", "balance")])
                #expect(locked.status == 429 && locked.body == #"{"error":"Too many requests"}"#)
                #expect(try await api.post([("key", "guess9"), ("action", "balance")]).status == 429)
                panel.clock.advance(seconds: 10)
                #expect(try await api.post([("key", key), ("action", "balance")]).status == 200)
                #expect(try await api.call([("key", "guess10"), ("action", "balance")]) == #"{"error":"Invalid API key"}"#)
                #expect(try await api.post([("key", key), ("action", "balance")]).status == 429)
            }
        }
    }

    @Test func theDefaultsLetAnHonestBurstThrough() {
        // 50 racing adds from one client (OrderMoneyTests) and a few mistyped keys must pass.
        let defaults = APIThrottleConfiguration()
        #expect((defaults.perKey?.burst ?? .max) >= 100 && (defaults.perAddress?.burst ?? .max) >= 100)
        #expect((defaults.invalidKeys?.burst ?? .max) >= 10)
    }
}

/// The limits as an operator sets them: `serve` flags, and addresses behind a proxy.
@Suite struct RateLimitConfigurationTests {
    @Test func serveFlagsSetTheLimits() async throws {
        try await TestDatabase.with(.sqlite) { location in
            let (_, key, _) = try await seedServerPanel(location, username: "flags")
            let server = try await ServerProcess.start(database: location, ["--no-workers", "--key-burst", "2", "--key-rate", "0.01",
                                                                            "--bad-key-burst", "0"])
            let answers = try await withExtraClient(port: server.port) { client in
                var answers: [String] = []
                for _ in 0..<3 { answers.append(try await client.postForm([("key", key), ("action", "balance")])) }
                // With --bad-key-burst 0, guessing is never locked out (only the key limit applies).
                for guess in 0..<30 { answers.append(try await client.postForm([("key", "guess\(guess)"), ("action", "balance")])) }
                return answers
            }
            #expect(try await server.stopGracefully())
            #expect(answers[0].contains("balance") && answers[1].contains("balance"))
            #expect(answers[2] == #"{"error":"Too many requests"}"#)
            #expect(answers.dropFirst(3).allSatisfy { $0 == #"{"error":"Invalid API key"}"# })
        }
    }

    /// One switch for every limit keyed on the client's address: the API's and the web login's.
    @Test func trustForwardedForSetsTheAPIAndTheWebLimits() throws {
        for arguments in [["--trust-forwarded-for"], []] {
            var configuration = PanelConfiguration()
            try LimitOptions.parse(arguments).apply(to: &configuration)
            #expect(configuration.throttle.trustForwardedFor == !arguments.isEmpty)
            #expect(configuration.web.trustForwardedFor == !arguments.isEmpty)
        }
    }

    @Test func behindATrustedProxyEachForwardedAddressHasItsOwnBucket() async throws {
        try await TestPanel.with(.sqlite) { panel in
            let (_, key) = try await panel.customer("alice")
            @Sendable func ask(_ api: LiveAPI, from address: String) async throws -> Int {
                try await api.client.execute(uri: "/api/v2?key=\(key)&action=balance", method: .get,
                                             headers: [.init("X-Forwarded-For")!: "6.6.6.6, \(address)"]) { Int($0.status.code) }
            }
            var limits = APIThrottleConfiguration(perAddress: RateLimit(burst: 1, perSecond: 0.01), perKey: nil)
            limits.trustForwardedFor = true
            try await panel.live({ $0.throttle = limits }) { api async throws in
                #expect(try await ask(api, from: "10.0.0.1") == 200)
                #expect(try await ask(api, from: "10.0.0.1") == 429)
                // The proxy appended another client's address: a bucket of its own. The
                // client-written first entry (6.6.6.6) is ignored.
                #expect(try await ask(api, from: "10.0.0.2") == 200)
            }
            limits.trustForwardedFor = false
            try await panel.live({ $0.throttle = limits }) { api async throws in
                // Untrusted: the header is ignored and every request is the peer's.
                #expect(try await ask(api, from: "10.0.0.3") == 200)
                #expect(try await ask(api, from: "10.0.0.4") == 429)
            }
        }
    }
}
