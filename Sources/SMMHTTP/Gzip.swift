import CNIOExtrasZlib
import NIOCore
import SMMDomain

/// gzip (RFC 1952) of whole buffers, for answers that are built once and sent many times.
///
/// Why: the `services` answer of a 1,000-service catalog is ~210 KB of JSON and bots fetch it
/// constantly; sending it is bound by copying those bytes through the socket
/// (BENCHMARKS.md). Compressed once per catalog build, it is ~10 times smaller on the wire.
/// The zlib is the one swift-nio-extras carries (with prefixed symbols), already built for
/// AsyncHTTPClient: no system zlib headers needed.
public enum Gzip {
    /// The buffer gzip-compressed, or nil if zlib refuses (it does not for valid input).
    public static func compress(_ input: ByteBuffer) -> ByteBuffer? {
        var stream = cnioextras_z_stream()
        // Level 6 (zlib's default); windowBits 15 + 16: the gzip wrapper instead of the zlib one.
        guard CNIOExtrasZlib_deflateInit2(&stream, 6, CNIOEXTRAS_Z_DEFLATED, 15 + 16, 8, CNIOEXTRAS_Z_DEFAULT_STRATEGY) == CNIOEXTRAS_Z_OK else { return nil }
        defer { cnioextras_z_deflateEnd(&stream) }
        let bound = Int(cnioextras_z_deflateBound(&stream, UInt(input.readableBytes)))
        var output = ByteBufferAllocator().buffer(capacity: bound)
        var finished = false
        _ = input.withUnsafeReadableBytes { source in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: UInt8.self).baseAddress)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.bindMemory(to: UInt8.self).baseAddress
                stream.avail_out = UInt32(target.count)
                // One call: the output has room for the worst case (`deflateBound`).
                finished = cnioextras_z_deflate(&stream, CNIOEXTRAS_Z_FINISH) == CNIOEXTRAS_Z_STREAM_END
                return finished ? target.count - Int(stream.avail_out) : 0
            }
        }
        return finished ? output : nil
    }

    /// Whether an `Accept-Encoding` header (RFC 9110 §12.5.3) accepts gzip: listed as `gzip`
    /// (or the old `x-gzip`) with a weight above zero, or not listed while `*` is.
    public static func isAccepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var wildcard: Bool?
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let coding = parts.first.map({ String($0).trimmingSpaces().lowercased() }) else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
                guard pair.count == 2, pair[0].lowercased() == "q" else { continue }
                // A weight that is not a number accepts nothing: the client meant something else.
                weight = Double(pair[1]).flatMap { $0.isFinite ? $0 : nil } ?? 0
            }
            if coding == "gzip" || coding == "x-gzip" { return weight > 0 }
            if coding == "*" { wildcard = weight > 0 }
        }
        return wildcard ?? false
    }
}
