import CNIOExtrasZlib
import NIOCore
@testable import SMMHTTP

// Only the tests read gzip: the panel sends it, never receives it.
extension Gzip {
    /// The buffer gzip-decompressed; nil if it is not valid gzip or would exceed `limit` bytes.
    static func decompress(_ input: ByteBuffer, limit: Int = 64 << 20) -> ByteBuffer? {
        var stream = cnioextras_z_stream()
        guard CNIOExtrasZlib_inflateInit2(&stream, 15 + 16) == CNIOEXTRAS_Z_OK else { return nil }
        defer { cnioextras_z_inflateEnd(&stream) }
        var output = ByteBufferAllocator().buffer(capacity: max(1024, input.readableBytes * 4))
        var result = CNIOEXTRAS_Z_OK
        input.withUnsafeReadableBytes { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: UInt8.self).baseAddress)
            stream.avail_in = UInt32(source.count)
            while result == CNIOEXTRAS_Z_OK && output.readableBytes <= limit {
                _ = output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 * 1024) { target in
                    stream.next_out = target.bindMemory(to: UInt8.self).baseAddress
                    stream.avail_out = UInt32(target.count)
                    result = cnioextras_z_inflate(&stream, CNIOEXTRAS_Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
            }
        }
        // Trailing bytes after the gzip member are refused too.
        guard result == CNIOEXTRAS_Z_STREAM_END, stream.avail_in == 0, output.readableBytes <= limit else { return nil }
        return output
    }
}
