#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The panel's log lines: exactly those of swift-log's `StreamLogHandler`
/// (`<time> <level> <label>: <metadata> [<source>] <message>`, on standard error), with the
/// metadata put into words only when a line is written, and control characters in any part of
/// a line escaped so that one event is always one line.
///
/// Why not `StreamLogHandler` itself: it formats its whole metadata again each time one entry
/// is set, and Hummingbird sets a request id on every request's logger — a cost on every
/// request (`Logger.subscript.setter` → `prettify`; BENCHMARKS.md), for lines that at `info`
/// are almost never written.
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
        let words = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\(Self.escaped($0))=\(Self.escaped("\($1)"))" }.joined(separator: " ")
        output("\(Self.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(Self.escaped(label)):\(words) [\(Self.escaped(event.source))] \(Self.escaped("\(event.message)"))\n")
    }

    /// `text` with every character that could end or rewrite a line shown as an escape (`\n`,
    /// `\r`, `\t`, `\u{1B}`…): values come from customers and providers, and must not forge lines.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isLineBreaking) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isLineBreaking(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    private static func isLineBreaking(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
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
