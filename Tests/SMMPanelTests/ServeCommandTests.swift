import Foundation
import HummingbirdTesting
import NIOCore
import SMMDomain
import SMMStorage
import Synchronization
import Testing

/// README's first command: `smmpanel serve --demo` starts a usable panel, and stops cleanly.
@Suite struct ServeCommandTests {
    @Test(arguments: TestEngine.available)
    func demoPanelServesTheAPIAndShutsDownGracefully(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            let server = try await ServerProcess.start(database: database, ["--demo"])
            defer { if server.process.isRunning { server.kill() } }
            // The demo key is printed on the line after "Demo API key:", before the server starts.
            let lines = server.output.lines
            let keyLine = try #require(lines.firstIndex(of: "Demo API key:"), "output: \(server.output.value)") + 1
            let demoKey = try #require(keyLine < lines.count ? lines[keyLine] : nil)
            #expect(server.output.value.contains("-d key=\(demoKey) -d action=services"))
            let balance = try await withExtraClient(port: server.port) { client in
                try await client.postForm([("key", demoKey), ("action", "balance")])
            }
            #expect(balance == #"{"balance":"100.00000","currency":"USD"}"#)
            let services = try await withExtraClient(port: server.port) { client in
                try await client.postForm([("key", demoKey), ("action", "services")])
            }
            let catalog = try #require(try JSONSerialization.jsonObject(with: Data(services.utf8)) as? [[String: Any]])
            #expect(Set(catalog.compactMap { $0["type"] as? String }).count == 17)

            // SIGTERM: graceful shutdown, exit status 0.
            #expect(try await server.stopGracefully())
            #expect(server.process.terminationStatus == 0, "output: \(server.output.value)")
        }
    }
}
