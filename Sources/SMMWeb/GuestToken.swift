import Crypto
import Foundation
import Synchronization
import SMMDomain
import SMMStorage

/// The CSRF token of the login and sign-up forms for a visitor without a session, carried in a
/// cookie signed with the panel's key (HMAC-SHA256) rather than in a session row, so that an
/// anonymous visit writes nothing to the database.
///
/// The cookie is `v1.<token>.<issued>.<mac>`: a 32-hex-digit random token, the Unix second it
/// was issued, and the HMAC of both. It is good for `guestTokenLifetime` seconds on any node
/// (they share the key through the database). Anyone may get one; what it proves is only that
/// a form was posted by the browser that loaded the form.
enum GuestToken {
    static let cookie = "smm_guest"
    /// Longest cookie value even looked at; a real one is 120 characters or so.
    static let maxLength = 160
    /// Clocks of different nodes may differ a little.
    static let allowedSkew: Int64 = 300

    static func issue(key: SymmetricKey, now: Int64) -> (cookie: String, token: String) {
        let token = APIKeys.generate()
        let body = "v1.\(token).\(now)"
        return (body + "." + mac(body, key: key), token)
    }

    /// The token of a genuine, unexpired cookie; nil for anything else.
    static func verify(_ value: String, key: SymmetricKey, now: Int64, lifetime: Int64) -> String? {
        guard value.utf8.count <= maxLength else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "v1", parts[1].utf8.count == 32, parts[1].utf8.allSatisfy(isHexDigit),
              (1...12).contains(parts[2].utf8.count), parts[2].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let issued = Int64(parts[2]), issued <= now + allowedSkew, now - issued <= lifetime else { return nil }
        let body = parts[0...2].joined(separator: ".")
        guard WebApp.constantTimeEqual(parts[3], mac(body, key: key)) else { return nil }
        return parts[1]
    }

    private static func mac(_ body: String, key: SymmetricKey) -> String {
        APIKeys.hex(HMAC<SHA256>.authenticationCode(for: Array(("smmpanel guest|" + body).utf8), using: key), count: SHA256.byteCount)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) }
}

/// The signing key, read from the database once per process (it never changes while nodes run).
final class GuestKeyCache: Sendable {
    private let key = Mutex<[UInt8]?>(nil)

    func get(_ store: any WebSessions) async throws -> SymmetricKey {
        if let known = key.withLock({ $0 }) { return SymmetricKey(data: known) }
        let loaded = Array(try await store.webSigningKey().utf8)
        key.withLock { $0 = loaded }
        return SymmetricKey(data: loaded)
    }
}

/// The address a limit is kept for. An IPv6 client usually holds a whole /64, so its limits
/// count per /64, not per address; anything that is not an IP address (a forwarded header's
/// text) is cut to a bounded length.
enum LimitAddress {
    static func key(_ address: String) -> String {
        var v6 = in6_addr()
        if address.contains(":"), inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            // ::ffff:a.b.c.d is an IPv4 client.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            return stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":") + "::/64"
        }
        return String(address.prefix(64))
    }
}
