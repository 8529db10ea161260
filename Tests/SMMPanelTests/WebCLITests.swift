import Foundation
import HummingbirdTesting
import SMMDomain
import SMMStorage
import Testing

/// The operator's way into the web panel: `user create --admin --password` and
/// `user set-password`, run as the real executable.
@Suite("Web logins from the command line")
struct WebCLITests {
    @Test(arguments: TestEngine.available)
    func passwordsSetOnTheCommandLineOpenTheWebPanel(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            #expect(try await CLITests.smmpanel(["user", "create", "root", "--admin", "--password", "root-password-1"], database: database).status == 0)
            // (Few launches: each child process started risks Foundation's Process.run() crash on Linux.)
            let setup = try await database.open(logger: quietLogger)
            let store = PanelStore(backend: setup)
            try await store.migrate()
            _ = try await store.createUser(username: "carol")
            try await setup.shutdown()
            let short = try await CLITests.smmpanel(["user", "set-password", "carol", "--password", "short"], database: database)
            #expect(short.status != 0 && short.output.contains("8 to 72 characters"))
            let set = try await CLITests.smmpanel(["user", "set-password", "carol", "--password", "carol-password-1"], database: database)
            #expect(set.status == 0 && set.lastLine == "password of carol set")

            let server = try await ServerProcess.start(database: database, ["--no-workers"])
            defer { if server.process.isRunning { server.kill() } }
            try await withExtraClient(port: server.port) { (connection: TestClient) async throws -> Void in
                let root = WebClient(connection: connection)
                #expect(try await root.login("root", "root-password-1").location == "/admin")
                #expect(try await root.get("/admin/users").body.contains(">carol</a>"))
                let carol = WebClient(connection: connection)
                #expect(try await carol.login("carol", "carol-password-1").location == "/dashboard")
                #expect(try await carol.get("/admin").status == 404)
            }
            // set-password --admin: only the new password works, and it opens the console.
            #expect(try await CLITests.smmpanel(["user", "set-password", "carol", "--password", "carol-password-2", "--admin"], database: database).status == 0)
            try await withExtraClient(port: server.port) { (connection: TestClient) async throws -> Void in
                let carol = WebClient(connection: connection)
                #expect(try await carol.login("carol", "carol-password-1").status == 200)
                #expect(try await carol.login("carol", "carol-password-2").location == "/admin")
            }
            #expect(try await server.stopGracefully())
        }
    }
}
