#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The panel's log lines: exactly those of swift-log's `StreamLogHandler`
/// (`<time> <level> <label>: <metadata> [<source>] <message>`, on standard error), with the
/// metadata put into words only when a line is written.
///
/// Why not `StreamLogHandler` itself: it formats its whole metadata again each time one entry
/// is set, and Hummingbird sets a request id on every request's logger — 1.5–2 % of every
/// request's CPU (`Logger.subscript.setter` → `prettify`, profiled under `balance` and `add`;
/// BENCHMARKS.md), for lines that at `info` are almost never written.
public struct PanelLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.init(label: label, metadataProvider: metadataProvider, output: Self.standardError)
    }

    /// A handler writing each line through `output` (tests).
    init(label: String, metadataProvider: Logger.MetadataProvider?, output: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { all.merge(provided) { _, provided in provided } }
        if let explicit = event.metadata, !explicit.isEmpty { all.merge(explicit) { _, explicit in explicit } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let words = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        output("\(Self.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(label):\(words) [\(event.source)] \(event.message)\n")
    }

    /// Local time as `StreamLogHandler` writes it (`2026-11-27T05:44:35+0000`).
    static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let length = strftime(buffer.baseAddress!, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: length), as: UTF8.self)
        }
    }

    /// One `write` per line (as long as the descriptor takes it whole), so lines from different
    /// threads do not interleave.
    private static let standardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

extension PanelLogHandler {
    /// Makes every `Logger` of the process use this handler (once, at start: the executable).
    public static func bootstrap() {
        LoggingSystem.bootstrap { label in PanelLogHandler(label: label) }
    }
}
