import Hummingbird
import NIOCore

/// Who sent a request, for the limits keyed on it (the API's rate limits, the web's login
/// limit): the peer's IP address, or behind one trusted reverse proxy (`trustForwardedFor`) the
/// last `X-Forwarded-For` entry — the one the proxy appended; earlier entries are whatever the
/// client wrote. Never trust it when clients connect directly: they could pick their address.
public enum ClientAddress {
    public static func of(_ request: Request, peer: SocketAddress?, trustForwardedFor: Bool) -> String {
        if trustForwardedFor, let forwarded = request.headers[.init("X-Forwarded-For")!],
           let last = forwarded.split(separator: ",").last.map({ String($0).trimmingSpaces() }), !last.isEmpty {
            return last
        }
        return peer?.ipAddress ?? "unknown"
    }
}
