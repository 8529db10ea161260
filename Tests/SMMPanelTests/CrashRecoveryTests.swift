import Foundation
import HummingbirdTesting
import NIOCore
import SMMDomain
import SMMStorage
import Synchronization
import Testing

/// A panel killed with SIGKILL ten times, at random moments, in the middle of concurrent orders
/// loses nothing: every order a client saw acknowledged exists after a restart, no order exists
/// without its charge (nor a charge without its audit row), and the books balance.
@Suite struct CrashRecoveryTests {
    /// Order ids the clients saw acknowledged.
    final class Acknowledged: Sendable {
        private let store = Mutex<[Int64]>([])
        func add(_ id: Int64) { store.withLock { $0.append(id) } }
        var ids: [Int64] { store.withLock { $0 } }
    }

    static let kills = 10

    @Test(arguments: TestEngine.available)
    func killedMidOrdersLosesNothing(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { location in
            let (user, key, service) = try await seedServerPanel(location, username: "crash")

            // Kill moments come from a seed, printed so a failing run can be replayed.
            let seed = ProcessInfo.processInfo.environment["SMMPANEL_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
            var random = SeededGenerator(state: seed)
            print("CrashRecoveryTests[\(engine)]: seed \(seed) (replay with SMMPANEL_CRASH_SEED=\(seed))")
            let acknowledged = Acknowledged()
            for round in 0..<Self.kills {
                // No rate limits: the clients hammer on purpose.
                let server = try await ServerProcess.start(database: location, ["--no-workers", "--ip-rate", "0", "--key-rate", "0"])
                // Eight clients keep ordering until the server dies under them.
                let clients = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for client in 0..<8 {
                            group.addTask {
                                _ = try? await withExtraClient(port: server.port) { connection in
                                    for index in 0..<10_000 {
                                        let answer = try await connection.postForm([
                                            ("key", key), ("action", "add"), ("service", "\(service.id)"),
                                            ("link", "https://crash.test/\(round)/\(client)/\(index)"), ("quantity", "10")])
                                        if let data = answer.data(using: .utf8),
                                           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                                           let id = object["order"] as? Int {
                                            acknowledged.add(Int64(id))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                // Kill mid-load: once this round's clients have had an order acknowledged (a
                // loaded machine may take a while to connect them), at a random moment after.
                let ackedBefore = acknowledged.ids.count
                for _ in 0..<300 where acknowledged.ids.count == ackedBefore { try await Task.sleep(for: .milliseconds(50)) }
                #expect(acknowledged.ids.count > ackedBefore, "round \(round): no order acknowledged before the kill")
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...500, using: &random)))
                server.kill()
                await clients.value
            }

            let check = try await location.open(logger: quietLogger)
            let after = PanelStore(backend: check)
            let seen = acknowledged.ids
            #expect(!seen.isEmpty)
            print("CrashRecoveryTests[\(engine)]: \(Self.kills) kills, \(seen.count) orders acknowledged")
            let stored = try await after.listOrders(.init(userID: user.id, limit: 1_000_000))
            let storedIDs = Set(stored.map(\.id.rawValue))
            #expect(seen.allSatisfy(storedIDs.contains), "acknowledged orders missing after the crash")
            // Each order cost 0.01; the balance is exactly what the stored orders left.
            let balance = try await after.user(id: user.id)!.balance
            #expect(balance == Money(parsing: "1000")! - Money(minorUnits: Int64(stored.count) * 1_000))
            #expect(try await after.ledgerProblems().isEmpty)
            try await check.shutdown()
        }
    }
}
