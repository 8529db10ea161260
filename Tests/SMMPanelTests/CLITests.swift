import Foundation
import SMMDatabase
import SMMDomain
import SMMStorage
import Testing

/// The operator's commands, run as the real `smmpanel` executable against a real database.
@Suite struct CLITests {
    /// The `smmpanel` built with these tests (the test target depends on it): next to the test
    /// binary, so a build under `--scratch-path` runs its own; else `.build/debug/smmpanel`.
    static let executable: URL = {
        if let tests = Bundle.main.executableURL {
            let sibling = tests.deletingLastPathComponent().appendingPathComponent("smmpanel")
            if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        }
        return packageRoot.appendingPathComponent(".build/debug/smmpanel")
    }()

    /// The directory of this package's Package.swift.
    static let packageRoot: URL = {
        var root = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        return root
    }()

    struct Run {
        let status: Int32
        let output: String
        var lastLine: String { output.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// Runs `smmpanel ARGS` with the database in the environment (as an operator's shell has it).
    static func smmpanel(_ arguments: [String], database: DatabaseLocation, environment extra: [String: String] = [:],
                         input: String? = nil) async throws -> Run {
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        switch database {
        case .sqliteFile(let path): environment["SMMPANEL_DATABASE"] = path
        case .postgres(let url): environment["SMMPANEL_DATABASE"] = url
        }
        let (status, output) = try await ChildProcess.run(executable, arguments, environment: environment, input: input.map { Data($0.utf8) })
        return Run(status: status, output: output)
    }

    @Test(arguments: TestEngine.available)
    func operatorRunsAPanelByHand(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            func run(_ arguments: String...) async throws -> Run {
                let result = try await Self.smmpanel(arguments, database: database)
                #expect(result.status == 0, "smmpanel \(arguments.joined(separator: " ")): \(result.output)")
                return result
            }
            let key = try await run("user", "create", "alice", "--password", "s3cret").lastLine
            #expect(key.count == 32 && key.allSatisfy(\.isHexDigit))
            let admin = try await run("user", "create", "root", "--admin").lastLine
            #expect(admin != key)
            #expect(try await run("funds", "add", "alice", "10.5", "--memo", "bank transfer").lastLine == "alice: balance 10.50000")
            #expect(try await run("funds", "deduct", "alice", "0.5").lastLine == "alice: balance 10.00000")
            let refusal = try await Self.smmpanel(["funds", "deduct", "alice", "11"], database: database)
            #expect(refusal.status != 0)
            #expect(refusal.output.contains("Not enough funds on balance"))

            #expect(try await run("category", "create", "Instagram").lastLine == "1")
            let serviceID = try await run("service", "create", "--name", "IG Followers", "--category", "Instagram", "--type", "default",
                                    "--rate", "0.9", "--min", "50", "--max", "10000", "--refill", "--cancel").lastLine
            #expect(serviceID == "1")
            let commentsID = try await run("service", "create", "--name", "IG Comments", "--category", "Comments", "--type", "Custom Comments",
                                     "--rate", "8", "--min", "1", "--max", "100").lastLine
            #expect(commentsID == "2")
            #expect(try await run("service", "update", "2", "--rate", "9.5", "--dripfeed").output.contains("rate 9.50"))
            #expect(try await run("service", "disable", "2").lastLine == "service 2 disabled")
            let list = try await run("service", "list").output
            #expect(list.contains("IG Followers") && list.contains("DISABLED"))
            #expect(try await Self.smmpanel(["service", "create", "--name", "x", "--category", "c", "--type", "Nope", "--rate", "1",
                                       "--min", "1", "--max", "2"], database: database).status != 0)

            // A customer orders through the API; the operator fulfils it by hand.
            let store = try await database.open(logger: quietLogger)
            let panel = PanelStore(backend: store)
            let alice = try await panel.user(apiKey: key)!
            let order = try await panel.placeOrder(user: alice, service: try await panel.service(id: 1)!,
                                                   fields: ["link": "https://instagram.com/p/x", "quantity": "1000"])
            try await store.shutdown()
            #expect(try await run("order", "list", "--user", "alice").output.contains("\(order.id)\tuser \(alice.id)\tservice 1\tPending"))
            _ = try await run("order", "update", "\(order.id)", "--status", "in progress", "--start-count", "3572")
            let partial = try await run("order", "update", "\(order.id)", "--status", "Partial", "--remains", "250").output
            #expect(partial.contains("Partial") && partial.contains("charge 0.67500"))
            #expect(try await run("order", "list", "--status", "Partial").output.contains("remains 250"))
            #expect(try await Self.smmpanel(["order", "update", "\(order.id)", "--status", "Canceled"], database: database).status != 0)
            #expect(try await run("ledger", "check").lastLine == "ledger clean")

            // A refill on the finished order, moved along by the operator.
            let refillBackend = try await database.open(logger: quietLogger)
            try await refillBackend.transaction { try await $0.raw("UPDATE services SET refill = TRUE WHERE id = 1").run() }
            let refill = try await PanelStore(backend: refillBackend).createRefill(orderID: order.id, userID: alice.id)
            try await refillBackend.shutdown()
            #expect(try await run("refill", "list").output.contains("\(refill.id)\torder \(order.id)\tuser \(alice.id)\tPending"))
            #expect(try await run("refill", "update", "\(refill.id)", "--status", "in_progress").lastLine == "refill \(refill.id)\torder \(order.id)\tIn progress")
            #expect(try await run("refill", "update", "\(refill.id)", "--status", "Completed").lastLine.hasSuffix("Completed"))
            #expect(try await Self.smmpanel(["refill", "update", "\(refill.id)", "--status", "Pending"], database: database).status != 0)

            #expect(try await run("service", "enable", "2").lastLine == "service 2 enabled")
            #expect(try await run("user", "disable", "alice").lastLine == "user alice disabled")
            let check = try await database.open(logger: quietLogger)
            #expect(try await PanelStore(backend: check).user(apiKey: key) == nil)
            try await check.shutdown()
            #expect(try await run("user", "enable", "alice").lastLine == "user alice enabled")

            let rotated = try await run("user", "rotate-key", "alice").lastLine
            #expect(rotated != key && rotated.count == 32)
            let after = try await database.open(logger: quietLogger)
            #expect(try await PanelStore(backend: after).user(apiKey: key) == nil)
            #expect(try await PanelStore(backend: after).user(apiKey: rotated)?.username == "alice")
            try await after.shutdown()
        }
    }

    @Test(arguments: TestEngine.available)
    func ledgerCheckFailsOnBrokenBooks(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            #expect(try await Self.smmpanel(["user", "create", "bob"], database: database).status == 0)
            #expect(try await Self.smmpanel(["funds", "add", "bob", "3"], database: database).status == 0)
            #expect(try await Self.smmpanel(["ledger", "check"], database: database).status == 0)
            let backend = try await database.open(logger: quietLogger)
            try await backend.transaction { try await $0.raw("UPDATE users SET balance = 7 WHERE username = 'bob'").run() }
            try await backend.shutdown()
            let check = try await Self.smmpanel(["ledger", "check"], database: database)
            #expect(check.status == 1)
            #expect(check.output.contains("user bob: balance 0.00007 but ledger rows add up to 3.00000"))
        }
    }
}
