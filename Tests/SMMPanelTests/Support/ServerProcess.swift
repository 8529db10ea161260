import Foundation
import SMMDatabase
import SMMDomain
import SMMStorage
import Synchronization

/// A real `smmpanel serve` child process on a port the OS picked, with its output.
struct ServerProcess {
    /// Collects a child process's output as it arrives.
    final class Output: Sendable {
        private let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        var value: String { text.withLock { $0 } }
        var lines: [String] { value.split(separator: "\n").map(String.init) }
    }

    struct NeverListened: Error, CustomStringConvertible {
        let output: String
        var description: String { "smmpanel serve never logged its port; output: \(output)" }
    }

    let process: ChildProcess
    let port: Int
    let output: Output

    /// Starts `smmpanel serve --port 0 --database DB EXTRA…` and waits for the port it logs.
    static func start(database: DatabaseLocation, _ extra: [String] = [], environment: [String: String] = [:]) async throws -> ServerProcess {
        let location: String = switch database {
        case .sqliteFile(let path): path
        case .postgres(let url): url
        }
        let output = Output()
        let process = try ChildProcess(CLITests.executable, ["serve", "--port", "0", "--database", location] + extra,
                                       environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }) { chunk in
            if let chunk { output.append(chunk) }
        }
        for _ in 0..<600 {
            if let line = output.lines.first(where: { $0.contains("listening on 127.0.0.1:") }),
               let port = Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) {
                return ServerProcess(process: process, port: port, output: output)
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        process.signal(SIGKILL)
        process.waitUntilExit()
        throw NeverListened(output: output.value)
    }

    /// SIGTERM, then waits up to 10 s; true if it exited by itself.
    func stopGracefully() async throws -> Bool {
        process.signal(SIGTERM)
        for _ in 0..<200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    func kill() {
        process.signal(SIGKILL)
        process.waitUntilExit()
    }
}

/// Runs a program to its end; its exit status and its output (stdout and stderr together).
/// Through `ChildProcess` (posix_spawn), never Foundation's `Process`: its `run()` was seen to
/// crash the whole test process now and then (see `ChildProcess`).
func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
    let (status, output) = try await ChildProcess.run(executable, arguments, environment: environment)
    return (status, output)
}
