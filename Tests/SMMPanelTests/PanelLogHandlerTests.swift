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
}
