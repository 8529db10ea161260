import NIOCore
import SMMDomain

/// A JSON value with objects in a fixed key order, so responses come out exactly in the shape
/// (and order) the contract shows, with numbers and strings exactly where clients expect them.
public enum JSONValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// JSON already written by `write(to:)` (a cached answer), sent as it is: the buffer is
    /// shared by every answer, not copied (a copy would be a 250 KB allocation and `memmove`
    /// per call; BENCHMARKS.md).
    /// `gzipped`, when there is one, is the same JSON gzip-compressed, for clients that accept it.
    case encoded(ByteBuffer, gzipped: ByteBuffer? = nil)

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    public static func error(_ message: String) -> JSONValue { .object([("error", .string(message))]) }

    /// True if this is exactly the answer `{"error": message of error}`.
    public func isError(_ error: PanelError) -> Bool {
        guard case .object(let members) = self, members.count == 1, members[0].0 == "error",
              case .string(let message) = members[0].1 else { return false }
        return message == error.message
    }

    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    public func serialized() -> String {
        String(decoding: serializedBytes(), as: UTF8.self)
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .string(let s): JSONString.write(s, to: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .encoded(let buffer, _): out.append(contentsOf: buffer.readableBytesView)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.write(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
