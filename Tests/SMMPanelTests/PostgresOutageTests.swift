import Foundation
import HummingbirdTesting
import NIOCore
import SMMDomain
import SMMStorage
import Testing

/// PostgreSQL stopped under a running API node and a worker, then started again: meanwhile
/// every request gets the JSON 503 at once (not after a 30 s wait); the first request after the
/// server is back is served; the worker that lived through it stops promptly on SIGTERM. On a
/// PostgreSQL server of this test alone (stopping the shared one would break other suites).
@Suite struct PostgresOutageTests {
    @Test(.enabled(if: ScaleOutTests.enabled), .timeLimit(.minutes(3)))
    func answers503FastWhileDownAndServesTheFirstRequestAfter() async throws {
        try await ScaleOutTests.PrivatePostgres.with(port: 25_434) { pg in
            let database = try await pg.database("outage")
            let (_, key, service) = try await seedServerPanel(database, username: "alice")
            let server = try await ServerProcess.start(database: database, ["--no-workers", "--ip-rate", "0", "--key-rate", "0", "--pool-size", "4"])
            defer { server.kill() }
            let workerOutput = ServerProcess.Output()
            let worker = try ChildProcess(CLITests.executable, ["worker", "--database", ScaleOutTests.location(database), "--worker-interval", "1",
                                                                "--status-recheck", "1", "--provider-timeout", "1", "--pool-size", "3"]) { chunk in
                if let chunk { workerOutput.append(chunk) }
            }
            defer { if worker.isRunning { worker.signal(SIGKILL); worker.waitUntilExit() } }
            for _ in 0..<400 where !workerOutput.value.contains("worker running") { try await Task.sleep(for: .milliseconds(25)) }

            @Sendable func call(_ fields: [(String, String)]) async throws -> (status: UInt, body: String, seconds: Double) {
                let started = ContinuousClock.now
                let (status, body) = try await withExtraClient(port: server.port) { client in
                    let response = try await client.post("/api/v2", headers: [.contentType: "application/x-www-form-urlencoded"],
                                                         body: ByteBuffer(string: LiveAPI.formEncode(fields)))
                    return (UInt(response.status.code), response.body.map { String(buffer: $0) } ?? "")
                }
                let elapsed = ContinuousClock.now - started
                return (status, body, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            let balance = [("key", key), ("action", "balance")]
            #expect(try await call(balance).body == #"{"balance":"1000.00000","currency":"USD"}"#)

            try await pg.down()
            // Reads and writes alike, one after another and several at once.
            for fields in [balance, balance, [("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://down.test/1"),
                                              ("quantity", "100")]] {
                let answer = try await call(fields)
                #expect(answer.status == 503 && answer.body == #"{"error":"Temporary failure, please retry"}"#, "\(answer)")
                #expect(answer.seconds < 5, "the 503 took \(answer.seconds) s")
            }
            let parallel = try await withThrowingTaskGroup(of: (status: UInt, body: String, seconds: Double).self) { group in
                for _ in 0..<6 { group.addTask { try await call(balance) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(parallel.allSatisfy { $0.status == 503 && $0.seconds < 5 }, "\(parallel)")
            // Long enough for the pool's own reconnect backoff to grow past a request's patience.
            try await Task.sleep(for: .seconds(6))
            #expect(try await call(balance).status == 503)

            try await pg.up()
            let first = try await call(balance)
            #expect(first.status == 200 && first.body == #"{"balance":"1000.00000","currency":"USD"}"#, "\(first): \(server.output.lines.suffix(12).joined(separator: "\n"))")
            let order = try await call([("key", key), ("action", "add"), ("service", "\(service.id)"), ("link", "https://up.test/1"),
                                        ("quantity", "100")])
            #expect(order.body == #"{"order":1}"#, "\(order)")
            // Nothing of the refused add was written.
            #expect(try await call(balance).body == #"{"balance":"999.90000","currency":"USD"}"#)

            // The worker lived through it and still stops on SIGTERM within 10 s.
            #expect(worker.isRunning)
            let stopping = ContinuousClock.now
            worker.signal(SIGTERM)
            while worker.isRunning, ContinuousClock.now - stopping < .seconds(15) { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!worker.isRunning, "the worker did not stop within 15 s of SIGTERM: \(workerOutput.lines.filter { !$0.contains("round failed") }.suffix(40).joined(separator: "\n"))")
            #expect(ContinuousClock.now - stopping < .seconds(10), "the worker took \(ContinuousClock.now - stopping) to stop")
            #expect(try await server.stopGracefully())
        }
    }
}

extension ScaleOutTests.PrivatePostgres {
    /// Stops the server, keeping its data.
    func down() async throws { _ = try await Self.script("down", port: port) }
    /// Starts it again.
    func up() async throws { _ = try await Self.script("up", port: port) }
}
