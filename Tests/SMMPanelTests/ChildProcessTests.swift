import Foundation
import Testing

/// Child processes of the suite start through `ChildProcess` (posix_spawn): Foundation's
/// `Process.run()` crashed about one full run in 30 (see `ChildProcess`).
@Suite struct ChildProcessTests {
    @Test func noTestStartsAChildWithFoundationProcess() throws {
        let folder = CLITests.packageRoot.appendingPathComponent("Tests/SMMPanelTests")
        let files = try #require(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        // Written in two parts so that this file does not match itself.
        let construction = try Regex("(^|[^A-Za-z0-9_.])(Foundation\\.)?" + "Process\\(\\)")
        for file in files {
            let text = try String(contentsOfFile: folder.appendingPathComponent(file).path, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") && line.contains(construction) {
                Issue.record("\(file):\(number + 1) starts a child with Foundation's Process; use ChildProcess: \(line)")
            }
        }
    }

    @Test func runToEndGivesTheStatusAndAllOutput() async throws {
        let result = try await runToEnd(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(result.output == "out\nerr\n")
    }
}
