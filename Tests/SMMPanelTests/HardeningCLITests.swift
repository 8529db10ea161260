import Foundation
import SMMDomain
import SMMStorage
import Testing

/// The operator's key and audit commands, through the real executable.
@Suite struct HardeningCLITests {
    @Test(arguments: TestEngine.available)
    func keysAreCreatedListedAndRevokedAndEveryChangeIsAudited(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            func run(_ arguments: String...) async throws -> CLITests.Run {
                let result = try await CLITests.smmpanel(arguments, database: database)
                #expect(result.status == 0, "smmpanel \(arguments.joined(separator: " ")): \(result.output)")
                return result
            }
            let first = try await run("user", "create", "alice").lastLine
            let bot = try await run("key", "create", "alice", "--name", "bot").lastLine
            #expect(bot.count == 32 && bot != first)
            let list = try await run("key", "list", "alice").output.split(separator: "\n").map(String.init)
            #expect(list.count == 2)
            #expect(list[1].hasPrefix("2\tbot\t…\(bot.suffix(4))\tcreated ") && list[1].hasSuffix("\tlive"))
            // Lists never show a key or its hash.
            #expect(!list.joined().contains(bot) && !list.joined().contains(APIKeys.hash(bot)))
            #expect(try await run("key", "revoke", "alice", "2").lastLine == "key 2 \"bot\" of alice revoked")
            #expect(try await run("key", "list", "alice").output.contains("\tbot\t…\(bot.suffix(4))\tcreated ") )
            #expect(try await run("key", "list", "alice").output.split(separator: "\n")[1].contains("revoked "))
            let again = try await CLITests.smmpanel(["key", "revoke", "alice", "2"], database: database)
            #expect(again.status != 0 && again.output.contains("no live key 2"))
            let rotated = try await run("user", "rotate-key", "alice").lastLine
            #expect(rotated.count == 32)
            _ = try await run("funds", "add", "alice", "5")
            _ = try await run("user", "disable", "alice")

            let audit = try await run("audit").output
            for expected in ["\tcli\tuser.create\tuser:1\t", "\tcli\tkey.create\tkey:2\t", "\tcli\tkey.revoke\tkey:2\t",
                             "\tcli\tuser.rotate-key\tuser:1\t", "\tcli\tbalance.deposit\tuser:1\tbefore 0\tafter 500000",
                             "\tcli\tuser.disable\tuser:1\t"] {
                #expect(audit.contains(expected), "audit lacks \(expected):\n\(audit)")
            }
            let disabled = try #require(audit.split(separator: "\n").first { $0.contains("user.disable") })
            #expect(disabled.contains(#""disabled":false"#) && disabled.contains(#""disabled":true"#))
            #expect(try await run("audit", "--target", "key:2").output.split(separator: "\n").count == 2)
        }
    }
}
