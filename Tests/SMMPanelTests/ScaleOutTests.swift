import Foundation
import SMMDatabase
import SMMDomain
import SMMStorage
import Synchronization
import Testing

/// Many processes on one PostgreSQL: three API nodes and two workers of panel A, reselling an
/// upstream SMMPanel B. Fifty customers place 2,000 orders at once across the nodes, some
/// racing for the same balance; meanwhile one worker is killed with SIGKILL and PostgreSQL is
/// restarted. Runs on its own PostgreSQL server (restarting the shared one would break the
/// other suites), so only where PostgreSQL is available (`DATABASE_URL` set, as in CI).
@Suite struct ScaleOutTests {
    static var enabled: Bool { !(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty }

    /// A PostgreSQL server of this test alone, through `scripts/test-postgres.sh`.
    struct PrivatePostgres {
        let port: Int
        let url: String

        /// Runs the script with `posix_spawn` and reaps it with `waitpid` itself: Foundation's
        /// `Process` was seen to miss the exit of this script (a zombie it never reaped), which
        /// hung the test.
        static func script(_ command: String, port: Int) async throws -> String {
            try await onOwnThread { try scriptBlocking(command, port: port) }
        }

        private static func scriptBlocking(_ command: String, port: Int) throws -> String {
            let root = CLITests.packageRoot
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(port)-\(UUID().uuidString).out").path
            defer { try? FileManager.default.removeItem(atPath: output); try? FileManager.default.removeItem(atPath: output + ".err") }
            let line = "PGPORT_TEST=\(port) bash '\(root.appendingPathComponent("scripts/test-postgres.sh").path)' \(command) >'\(output)' 2>'\(output).err' </dev/null"
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(line), nil]
            defer { argv.forEach { free($0) } }
            guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { throw ScriptFailed(command: command, log: "posix_spawn failed") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            guard status == 0 else {
                let log = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
                throw ScriptFailed(command: command, log: String(log.suffix(2_000)))
            }
            return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        }

        struct ScriptFailed: Error { let command: String; let log: String }

        /// Runs `body` with a server started on `port`, stopped afterwards whatever happens.
        static func with<T: Sendable>(port: Int, _ body: (PrivatePostgres) async throws -> T) async throws -> T {
            let pg = try await start(port: port)
            let result: Result<T, any Error>
            do { result = .success(try await body(pg)) } catch { result = .failure(error) }
            await pg.stop()
            return try result.get()
        }

        private static func start(port: Int) async throws -> PrivatePostgres {
            let line = try await script("start", port: port).split(separator: "\n").last.map(String.init) ?? ""
            return PrivatePostgres(port: port, url: String(line.dropFirst("DATABASE_URL=".count)))
        }

        func restart() async throws { _ = try await Self.script("restart", port: port) }
        func stop() async { _ = try? await Self.script("stop", port: port) }

        /// A fresh database on this server.
        func database(_ name: String) async throws -> DatabaseLocation {
            let admin = try await DatabaseLocation(url).open(poolSize: 1, logger: quietLogger)
            try await admin.read { try await $0.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            try await admin.shutdown()
            var components = URLComponents(string: url)!
            components.path = "/" + name
            return DatabaseLocation(components.string!)
        }
    }

    /// What the customers saw.
    final class Outcomes: Sendable {
        private let state = Mutex<(orders: [Int64: Int64], refused: Int, failures: [String])>(([:], 0, []))
        func placed(_ order: Int64, by customer: Int64) { state.withLock { $0.orders[order] = customer } }
        func refused() { state.withLock { $0.refused += 1 } }
        func failed(_ why: String) { state.withLock { $0.failures.append(why) } }
        var orders: [Int64: Int64] { state.withLock { $0.orders } }
        var refusedCount: Int { state.withLock { $0.refused } }
        var failures: [String] { state.withLock { $0.failures } }
    }

    static func location(_ database: DatabaseLocation) -> String {
        switch database {
        case .sqliteFile(let path): path
        case .postgres(let url): url
        }
    }

    @Test(.enabled(if: enabled), .timeLimit(.minutes(5)))
    func threeNodesTwoWorkersTwoThousandOrders() async throws {
        try await PrivatePostgres.with(port: 25_440) { pg in
            let panelA = try await pg.database("scale_a")
            let panelB = try await pg.database("scale_b")

            // B: the provider, with one service and an account for A.
            let storeB = PanelStore(backend: try await panelB.open(poolSize: 4, logger: quietLogger))
            try await storeB.migrate()
            _ = try await storeB.createService(ServiceDraft(name: "Followers", categoryName: "Instagram", type: .default,
                                                             rate: Money(parsing: "1")!, min: 10, max: 100_000))
            let (reseller, resellerKey) = try await storeB.createUser(username: "reseller")
            _ = try await storeB.addFunds(userID: reseller.id, amount: Money(parsing: "10000")!, memo: "prepaid")
            let serverB = try await ServerProcess.start(database: panelB, ["--no-workers"])
            defer { serverB.kill() }

            // A: three API nodes start together on an empty database: the migration runs once.
            let nodes = try await withThrowingTaskGroup(of: ServerProcess.self) { group in
                for _ in 0..<3 { group.addTask { try await ServerProcess.start(database: panelA, ["--no-workers", "--pool-size", "8"]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            defer { nodes.forEach { $0.kill() } }
            print("scale-out: three nodes up on ports \(nodes.map(\.port))")
            let storeA = PanelStore(backend: try await panelA.open(poolSize: 8, logger: quietLogger))
            try await ResellerEndToEndTests.cli(panelA, "provider", "add", "upstream", "--url", "http://127.0.0.1:\(serverB.port)/api/v2",
                                                "--key", resellerKey, "--honors-request-id", "--allow-http", "--allow-private-address")
            try await ResellerEndToEndTests.cli(panelA, "provider", "import", "upstream", "--markup", "25")
            // 1.25 per 1000: an order of 100 costs 0.125. Forty customers can pay all their 40
            // orders; ten can pay only 30, and their 40 race for that balance.
            var accounts: [(User, String, Int)] = []
            for index in 0..<50 {
                let (user, key) = try await storeA.createUser(username: "customer\(index)")
                let affordable = index < 10 ? 30 : 40
                _ = try await storeA.addFunds(userID: user.id, amount: Money(minorUnits: Int64(affordable) * 12_500), memo: "funds")
                accounts.append((user, key, affordable))
            }
            let customers = accounts

            let workers = [try await WorkerProcess.start(database: panelA, interval: 1, extra: ["--pool-size", "5", "--provider-timeout", "2"]),
                           try await WorkerProcess.start(database: panelA, interval: 1, extra: ["--pool-size", "5", "--provider-timeout", "2"])]
            defer { workers.forEach { $0.kill() } }

            // Each customer orders through two connections at once, on different nodes; an add
            // that gets no answer (PostgreSQL restarting) is retried with the same request_id.
            let outcomes = Outcomes()
            let clients = Task {
                await withTaskGroup(of: Void.self) { group in
                    for (index, (user, key, _)) in customers.enumerated() {
                        for half in 0..<2 {
                            let node = nodes[(index + half) % nodes.count]
                            group.addTask {
                                for number in 0..<20 {
                                    let requestID = "c\(user.id)-\(half)-\(number)"
                                    let fields = [("key", key), ("action", "add"), ("service", "1"),
                                                  ("link", "https://ig.test/\(user.id)/\(half)/\(number)"), ("quantity", "100"),
                                                  ("request_id", requestID)]
                                    var settled = false
                                    for _ in 0..<300 where !settled {
                                        let answer = try? await withExtraClient(port: node.port) { try await $0.postForm(fields) }
                                        let object = answer.flatMap { ResellerEndToEndTests.json($0) as [String: Any]? } ?? [:]
                                        if let order = object["order"] as? Int {
                                            outcomes.placed(Int64(order), by: user.id.rawValue)
                                            settled = true
                                        } else if object["error"] as? String == "Not enough funds on balance" {
                                            outcomes.refused()
                                            settled = true
                                        } else {
                                            try? await Task.sleep(for: .milliseconds(200))
                                        }
                                    }
                                    if !settled { outcomes.failed(requestID) }
                                }
                            }
                        }
                    }
                }
            }
            print("scale-out: customers ordering")
            // Mid-run: one worker dies; then PostgreSQL restarts under everyone.
            try await Task.sleep(for: .milliseconds(800))
            workers[0].kill()
            try await Task.sleep(for: .milliseconds(700))
            try await pg.restart()
            print("scale-out: postgres restarted mid-run")
            await clients.value
            print("scale-out: customers done: \(outcomes.orders.count) placed, \(outcomes.refusedCount) refused")

            #expect(outcomes.failures.isEmpty, "adds that never got an answer: \(outcomes.failures.prefix(5))")
            let acknowledged = outcomes.orders
            #expect(acknowledged.count + outcomes.refusedCount == 2_000)
            #expect(outcomes.refusedCount == 100, "ten customers could pay 30 of their 40 orders")

            // Every order is sent upstream once; the dead worker's claims are taken over after their lease.
            let done = try await ResellerEndToEndTests.eventually(120) {
                let counts = try await storeA.upstreamCounts()
                return counts[.queued, default: 0] == 0 && counts[.sending, default: 0] == 0
                    && counts[.sent, default: 0] == Int64(acknowledged.count)
            }
            let counts = try await storeA.upstreamCounts()
            #expect(done, "upstream states: \(counts)")

            let ordersA = try await storeA.listOrders(.init(limit: 100_000))
            #expect(Set(ordersA.map(\.id.rawValue)) == Set(acknowledged.keys), "orders stored on A are exactly the acknowledged ones")
            let upstream = try await storeA.upstreamInfo(orderIDs: ordersA.map(\.id))
            let remoteIDs = upstream.values.compactMap(\.upstreamOrderID)
            #expect(remoteIDs.count == ordersA.count && Set(remoteIDs).count == remoteIDs.count)
            let ordersB = try await storeB.listOrders(.init(userID: reseller.id, limit: 100_000))
            #expect(ordersB.count == ordersA.count, "B received \(ordersB.count) orders for A's \(ordersA.count)")
            #expect(Set(ordersB.map(\.link)).count == ordersB.count, "an order reached B twice")
            #expect(Set(ordersB.map(\.link)) == Set(ordersA.map(\.link)))

            // Balances exact, books clean on both panels, nothing waiting for the operator.
            for (user, _, affordable) in customers {
                let placed = acknowledged.values.filter { $0 == user.id.rawValue }.count
                #expect(placed == min(40, affordable))
                #expect(try await storeA.user(id: user.id)!.balance == Money(minorUnits: Int64(affordable - placed) * 12_500))
            }
            #expect(try await storeA.ledgerProblems().isEmpty)
            #expect(try await storeB.ledgerProblems().isEmpty)
            #expect(try await storeA.attentionItems().isEmpty)
            // Every node came back from the restart by itself.
            for node in nodes {
                #expect(node.process.isRunning)
                let answer = try await withExtraClient(port: node.port) { try await $0.postForm([("key", customers[0].1), ("action", "balance")]) }
                #expect(ResellerEndToEndTests.json(answer)["balance"] as? String == "0.00000")
            }
            #expect(workers[1].process.isRunning)
            try await storeA.backend.shutdown()
            try await storeB.backend.shutdown()
        }
    }
}
