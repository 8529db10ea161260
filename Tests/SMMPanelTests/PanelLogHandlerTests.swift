import Logging
@testable import SMMApp
import Synchronization
import Testing

/// The panel's log handler writes exactly the lines swift-log's `StreamLogHandler` writes
/// (operators' log parsers read them), only formatting the metadata when a line is written.
@Suite struct PanelLogHandlerTests {
    /// What a handler wrote, line by line.
    final class Captured: TextOutputStream, Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        var lines: [String] { text.withLock { $0.split(separator: "\n").map(String.init) } }
        var raw: String { text.withLock { $0 } }
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String { "refused: no funds" }
    }

    @Test func writesTheLinesOfStreamLogHandler() throws {
        let ours = Captured(), theirs = Captured()
        let provider = Logger.MetadataProvider { ["trace": "t-1", "order": "provided"] }
        var handlers: [any LogHandler] = [
            PanelLogHandler(label: "smmpanel.api", metadataProvider: provider, output: { ours.write($0) }),
            StreamLogHandler(label: "smmpanel.api", stream: theirs, metadataProvider: provider),
        ]
        for index in handlers.indices {
            handlers[index][metadataKey: "hb.request.id"] = "5f2a"
            handlers[index][metadataKey: "order"] = "12"
            handlers[index].log(event: LogEvent(level: .notice, message: "order sent", metadata: nil, source: "SMMProviders",
                                                file: #fileID, function: #function, line: #line))
            handlers[index].log(event: LogEvent(level: .error, message: "add refused", error: Refused(),
                                                metadata: ["provider": "up \"one\"", "order": "13"], source: "SMMProviders",
                                                file: #fileID, function: #function, line: #line))
            handlers[index].metadata = [:]
            handlers[index].metadataProvider = nil
            handlers[index].log(event: LogEvent(level: .info, message: "listening", metadata: nil, source: "SMMApp",
                                                file: #fileID, function: #function, line: #line))
        }
        // The time stamp (the first word) may differ by a second between the two.
        let withoutTime = { (lines: [String]) in lines.map { $0.drop { $0 != " " } } }
        #expect(ours.lines.count == 3)
        #expect(withoutTime(ours.lines) == withoutTime(theirs.lines))
        #expect(ours.lines[0].hasSuffix(" notice smmpanel.api: hb.request.id=5f2a order=provided trace=t-1 [SMMProviders] order sent"))
        #expect(ours.lines[2].hasSuffix(" info smmpanel.api: [SMMApp] listening"))
        #expect(ours.lines[0].split(separator: " ")[0].count == PanelLogHandler.timestamp().count)
    }

    @Test func keepsItsLevelAndMetadataLikeAnyHandler() {
        var logger = Logger(label: "x") { PanelLogHandler(label: $0, metadataProvider: nil, output: { _ in }) }
        logger.logLevel = .debug
        logger[metadataKey: "hb.request.id"] = "1"
        #expect(logger.logLevel == .debug)
        #expect(logger[metadataKey: "hb.request.id"] == "1")
        #expect(logger.handler.metadata == ["hb.request.id": "1"])
    }

    /// Text from customers and providers (an upstream's error message, a link) cannot forge a
    /// log line: every control character, in a value, a key, the message or an error, is escaped.
    @Test func controlCharactersCannotForgeALine() throws {
        let captured = Captured()
        var handler = PanelLogHandler(label: "smmpanel", metadataProvider: nil, output: { captured.write($0) })
        handler[metadataKey: "link"] = "https://x.test/\r\n2026-01-01T00:00:00+0000 critical smmpanel: [SMMApp] forged"
        handler.log(event: LogEvent(level: .error, message: "upstream said \u{1B}[2Jok\u{85}\u{2028}done\tx\u{7F}",
                                    error: Refused(), metadata: ["reason\nkey": "a\u{0}b"], source: "SMMProviders",
                                    file: #fileID, function: #function, line: #line))
        #expect(captured.raw.unicodeScalars.filter { $0 == "\n" }.count == 1, "\(captured.raw)")
        let line = try #require(captured.lines.first)
        #expect(line.hasSuffix(#" error smmpanel: error.message=refused: no funds error.type=SMMPanelTests.PanelLogHandlerTests.Refused "#
                               + #"link=https://x.test/\r\n2026-01-01T00:00:00+0000 critical smmpanel: [SMMApp] forged reason\nkey=a\u{0}b "#
                               + #"[SMMProviders] upstream said \u{1B}[2Jok\u{85}\u{2028}done\tx\u{7F}"#), "\(line)")
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 })
        // Ordinary text is written as it is.
        #expect(PanelLogHandler.escaped("order 12 → \"Completed\" ✓") == "order 12 → \"Completed\" ✓")
    }
}
