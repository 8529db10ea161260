import Foundation
import HummingbirdTesting
import SMMDatabase
import SMMDomain
import SMMStorage
import Synchronization
import Testing

/// `smmpanel backup FILE` copies a live SQLite panel consistently, and the copy restores.
@Suite struct BackupTests {
    final class Counter: Sendable {
        private let ids = Mutex<[Int64]>([])
        func add(_ id: Int64) { ids.withLock { $0.append(id) } }
        var all: [Int64] { ids.withLock { $0 } }
    }

    final class Flag: Sendable {
        private let raised = Atomic(false)
        func raise() { raised.store(true, ordering: .relaxed) }
        var isRaised: Bool { raised.load(ordering: .relaxed) }
    }

    @Test func aBackupTakenDuringOrdersIsConsistentAndRestores() async throws {
        try await TestDatabase.with(.sqlite) { location in
            guard case .sqliteFile(let path) = location else { return }
            let (user, key, service) = try await seedServerPanel(location, username: "live")

            let server = try await ServerProcess.start(database: location, ["--no-workers", "--ip-rate", "0", "--key-rate", "0"])
            let acknowledged = Counter()
            let stop = Flag()
            let clients = Task {
                await withTaskGroup(of: Void.self) { group in
                    for client in 0..<4 {
                        group.addTask {
                            _ = try? await withExtraClient(port: server.port) { connection in
                                var index = 0
                                while !stop.isRaised {
                                    index += 1
                                    let answer = try await connection.postForm([
                                        ("key", key), ("action", "add"), ("service", "\(service.id)"),
                                        ("link", "https://backup.test/\(client)/\(index)"), ("quantity", "10")])
                                    if let id = (parseJSON(answer) as? [String: Any])?["order"] as? Int { acknowledged.add(Int64(id)) }
                                }
                            }
                        }
                    }
                }
            }
            // Orders must be flowing when the backup starts (a loaded machine takes a while).
            for _ in 0..<600 where acknowledged.all.count < 20 { try await Task.sleep(for: .milliseconds(50)) }
            let copy = path + ".backup"
            let atStart = acknowledged.all
            let run = try await CLITests.smmpanel(["backup", copy], database: location)
            try await Task.sleep(for: .milliseconds(200))
            stop.raise()
            await clients.value
            #expect(try await server.stopGracefully())
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("ledger clean"))
            #expect(atStart.count > 10, "no orders were flowing when the backup ran")

            // The copy: every order acknowledged before the backup started, books balanced.
            let copied = try await DatabaseLocation.sqliteFile(copy).open(logger: quietLogger)
            let restored = PanelStore(backend: copied)
            let orders = try await restored.listOrders(.init(userID: user.id, limit: 1_000_000))
            let ids = Set(orders.map(\.id.rawValue))
            #expect(atStart.allSatisfy(ids.contains))
            #expect(orders.count >= atStart.count)
            #expect(try await restored.ledgerProblems().isEmpty)
            let balance = try await restored.user(id: user.id)!.balance
            #expect(balance == Money(parsing: "1000")! - Money(minorUnits: Int64(orders.count) * 1_000))
            try await copied.shutdown()

            // Restore as documented: the copy is a panel file; serve it.
            let again = try await ServerProcess.start(database: .sqliteFile(copy), ["--no-workers"])
            let answer = try await withExtraClient(port: again.port) { try await $0.postForm([("key", key), ("action", "balance")]) }
            #expect(answer == #"{"balance":"\#(balance.apiString)","currency":"USD"}"#)
            #expect(try await again.stopGracefully())

            // A second backup never overwrites a file.
            let refused = try await CLITests.smmpanel(["backup", copy], database: location)
            #expect(refused.status != 0 && refused.output.contains("exists already"))
        }
    }

    @Test func backupPointsPostgreSQLAtPgDump() async throws {
        let run = try await CLITests.smmpanel(["backup", "/tmp/never-written.sqlite"], database: .postgres(url: "postgres://nobody@127.0.0.1:1/none"))
        #expect(run.status != 0)
        #expect(run.output.contains("pg_dump"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.sqlite"))
    }
}
