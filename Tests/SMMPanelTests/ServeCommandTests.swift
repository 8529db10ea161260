import Foundation
import HummingbirdTesting
import NIOCore
import SMMStorage
import Synchronization
import Testing

/// README's first command: `smmpanel serve --demo` starts a usable panel, and stops cleanly.
@Suite struct ServeCommandTests {
    /// Collects a child process's output as it arrives.
    final class OutputCollector: Sendable {
        private let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        var value: String { text.withLock { $0 } }
    }

    @Test(arguments: TestEngine.available)
    func demoPanelServesTheAPIAndShutsDownGracefully(engine: TestEngine) async throws {
        try await TestDatabase.with(engine) { database in
            let process = Process()
            process.executableURL = CLITests.executable
            let location: String = switch database {
            case .sqliteFile(let path): path
            case .postgres(let url): url
            }
            process.arguments = ["serve", "--demo", "--port", "0", "--database", location]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            let output = OutputCollector()
            pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            // The demo key is printed after "Demo API key:"; the server then logs its real port.
            var port: Int?
            var key: String?
            for _ in 0..<300 where port == nil {
                try await Task.sleep(for: .milliseconds(50))
                let lines = output.value.split(separator: "\n").map(String.init)
                if let index = lines.firstIndex(of: "Demo API key:"), index + 1 < lines.count { key = lines[index + 1] }
                if let listening = lines.first(where: { $0.contains("listening on 127.0.0.1:") }) {
                    port = Int(listening.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
                }
            }
            let livePort = try #require(port, "no port in: \(output.value)")
            let demoKey = try #require(key)
            #expect(output.value.contains("-d key=\(demoKey) -d action=services"))
            let balance = try await withExtraClient(port: livePort) { client in
                try await client.postForm([("key", demoKey), ("action", "balance")])
            }
            #expect(balance == #"{"balance":"100.00000","currency":"USD"}"#)
            let services = try await withExtraClient(port: livePort) { client in
                try await client.postForm([("key", demoKey), ("action", "services")])
            }
            let catalog = try #require(try JSONSerialization.jsonObject(with: Data(services.utf8)) as? [[String: Any]])
            #expect(Set(catalog.compactMap { $0["type"] as? String }).count == 17)

            process.terminate() // SIGTERM: graceful shutdown
            for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!process.isRunning)
            #expect(process.terminationStatus == 0, "output: \(output.value)")
        }
    }
}
