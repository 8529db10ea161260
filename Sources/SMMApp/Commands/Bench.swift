import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `smmpanel bench`: runs `smmpanel-bench`, built beside this executable, with the same
/// arguments, in this process's place; the benchmark's code is not part of the panel.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the API against a no-database baseline (runs smmpanel-bench; see `smmpanel-bench --help`).")

    @Argument(parsing: .captureForPassthrough, help: "Options for smmpanel-bench.")
    var arguments: [String] = []

    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "no smmpanel-bench at \(path): build it beside smmpanel (`swift build -c release --product smmpanel-bench`)"
        }
    }

    struct ExecFailed: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        var description: String { "could not run \(path): \(String(cString: strerror(code)))" }
    }

    func run() throws {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("smmpanel-bench").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        // Only reached when the exec failed.
        let code = errno
        argv.forEach { free($0) }
        throw ExecFailed(path: path, code: code)
    }
}
