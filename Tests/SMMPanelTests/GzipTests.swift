import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import SMMAPI
@testable import SMMHTTP
import SMMDomain
import SMMStorage
import Testing

/// The `services` answer is gzip-compressed once per catalog build and sent compressed to
/// clients that accept gzip; everyone else gets the same bytes as before.
@Suite struct GzipTests {
    @Test func compressedBuffersComeBackExactly() throws {
        var large: [UInt8] = []
        var state: UInt64 = 42
        for index in 0..<300_000 {
            // Half repetitive JSON-like text, half noise: both paths of the compressor.
            state = state &* 6364136223846793005 &+ 1442695040888963407
            large.append(index % 2 == 0 ? UInt8(ascii: "a") + UInt8(index % 26) : UInt8(truncatingIfNeeded: state >> 33))
        }
        for sample in [[], Array("{\"a\":1}".utf8), large] {
            let compressed = try #require(Gzip.compress(ByteBuffer(bytes: sample)))
            #expect(compressed.getBytes(at: 0, length: 2) == [0x1f, 0x8b])
            let back = try #require(Gzip.decompress(compressed))
            #expect(Array(back.readableBytesView) == sample)
        }
        let json = ByteBuffer(bytes: Array(String(repeating: #"{"service":1,"name":"Bench service","rate":"0.50"},"#, count: 1_000).utf8))
        #expect(try #require(Gzip.compress(json)).readableBytes < json.readableBytes / 10)
    }

    @Test func brokenGzipIsRefused() throws {
        let good = try #require(Gzip.compress(ByteBuffer(string: String(repeating: "status ", count: 1_000))))
        #expect(Gzip.decompress(ByteBuffer(string: "not gzip at all")) == nil)
        #expect(Gzip.decompress(good.getSlice(at: 0, length: good.readableBytes - 4)!) == nil)
        var trailing = good
        trailing.writeString("x")
        #expect(Gzip.decompress(trailing) == nil)
        #expect(Gzip.decompress(good, limit: 100) == nil)
    }

    @Test(arguments: [
        (nil, false), ("", false), ("gzip", true), ("GZIP", true), ("x-gzip", true), ("deflate, gzip;q=1.0, br", true),
        ("gzip;q=0", false), ("gzip; q=0.000", false), ("gzip ; q=0.5", true), ("gzip;q=abc", false), ("deflate, br", false),
        ("identity", false), ("*", true), ("*;q=0", false), ("gzip;q=0, *", false), ("br;q=1, *;q=0.1", true),
    ] as [(String?, Bool)])
    func acceptEncodingIsRead(header: String?, accepted: Bool) {
        #expect(Gzip.isAccepted(by: header) == accepted)
    }

    static func services(_ api: LiveAPI, key: String, acceptEncoding: String?) async throws -> (headers: HTTPFields, body: ByteBuffer) {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let acceptEncoding { headers[.acceptEncoding] = acceptEncoding }
        return try await api.client.execute(uri: "/api/v2", method: .post, headers: headers,
                                            body: ByteBuffer(string: "key=\(key)&action=services")) { response in
            #expect(response.status == .ok)
            return (response.headers, response.body)
        }
    }

    @Test(arguments: TestEngine.available)
    func servicesAreGzippedForClientsThatAcceptIt(engine: TestEngine) async throws {
        try await TestPanel.with(engine) { panel in
            let (alice, aliceKey) = try await panel.customer("alice")
            let (_, bobKey) = try await panel.customer("bob")
            for index in 0..<50 {
                try await panel.service(.default, rate: "0.\(index + 10)", name: "Followers \(index)", category: "Instagram")
            }
            try await panel.live { api in
                let plain = try await Self.services(api, key: aliceKey, acceptEncoding: nil)
                #expect(plain.headers[.contentEncoding] == nil)
                #expect(plain.headers[.vary] == "Accept-Encoding")
                #expect(String(buffer: plain.body).hasPrefix(#"[{"service":1,"name":"Followers 0""#))

                let gzipped = try await Self.services(api, key: aliceKey, acceptEncoding: "gzip, deflate")
                #expect(gzipped.headers[.contentEncoding] == "gzip")
                #expect(gzipped.headers[.vary] == "Accept-Encoding")
                #expect(gzipped.body.readableBytes < plain.body.readableBytes / 3)
                #expect(try #require(Gzip.decompress(gzipped.body)) == plain.body)

                #expect(try await Self.services(api, key: aliceKey, acceptEncoding: "gzip;q=0").headers[.contentEncoding] == nil)

                // A customer with rates of their own gets their own answer, built for them, as is.
                try await panel.store.setCustomRate(userID: alice.id, serviceID: 1, rate: Money(parsing: "0.01")!)
                let own = try await Self.services(api, key: aliceKey, acceptEncoding: "gzip")
                #expect(own.headers[.contentEncoding] == nil)
                #expect(String(buffer: own.body).contains(#""rate":"0.01""#))
                #expect(try #require(Gzip.decompress(try await Self.services(api, key: bobKey, acceptEncoding: "gzip").body)) == plain.body)

                // Error answers are never compressed.
                let refused = try await Self.services(api, key: "wrong", acceptEncoding: "gzip")
                #expect(refused.headers[.contentEncoding] == nil)
                #expect(String(buffer: refused.body) == #"{"error":"Invalid API key"}"#)
            }
        }
    }
}
