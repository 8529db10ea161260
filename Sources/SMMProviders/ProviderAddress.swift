import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address as resolved for a provider's host: 4 bytes (IPv4) or 16 (IPv6).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a literal (`10.0.0.1`, `::1`, `[fe80::1]`); nil for anything else, names included.
    public init?(_ text: String) {
        var literal = text
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, literal, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The literal to connect to (no brackets).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = bytes
        let family = isIPv4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &copy, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Why a provider call may not go to this address unless the operator allows private
    /// addresses for the provider; nil for an ordinary public address.
    public var nonPublicReason: String? {
        isIPv4 ? Self.ipv4Reason(bytes) : ipv6Reason
    }

    /// IPv4 ranges that are not the public Internet (RFC 6890 and friends).
    private static func ipv4Reason(_ b: [UInt8]) -> String? {
        let ranges: [(UInt32, Int, String)] = [
            (0x0000_0000, 8, "unspecified (0.0.0.0/8)"),
            (0x0A00_0000, 8, "private (10.0.0.0/8)"),
            (0x6440_0000, 10, "carrier-grade NAT (100.64.0.0/10)"),
            (0x7F00_0000, 8, "loopback (127.0.0.0/8)"),
            (0xA9FE_0000, 16, "link-local or cloud metadata (169.254.0.0/16)"),
            (0xAC10_0000, 12, "private (172.16.0.0/12)"),
            (0xC000_0000, 24, "IETF protocol assignments (192.0.0.0/24)"),
            (0xC000_0200, 24, "documentation (192.0.2.0/24)"),
            (0xC058_6300, 24, "6to4 relay (192.88.99.0/24)"),
            (0xC0A8_0000, 16, "private (192.168.0.0/16)"),
            (0xC612_0000, 15, "benchmarking (198.18.0.0/15)"),
            (0xC633_6400, 24, "documentation (198.51.100.0/24)"),
            (0xCB00_7100, 24, "documentation (203.0.113.0/24)"),
            (0xE000_0000, 4, "multicast (224.0.0.0/4)"),
            (0xF000_0000, 4, "reserved or broadcast (240.0.0.0/4)"),
        ]
        let value = b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        for (base, bits, reason) in ranges where value >> (32 - bits) == base >> (32 - bits) { return reason }
        return nil
    }

    private var ipv6Reason: String? {
        let b = bytes
        let embedded = { (from: Int) in IPAddress(bytes: Array(b[from..<from + 4]))! }
        if b.allSatisfy({ $0 == 0 }) { return "unspecified (::)" }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback (::1)" }
        // Forms that carry an IPv4 address: judged by it, so ::ffff:127.0.0.1 is loopback.
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF {
            return embedded(12).nonPublicReason.map { "IPv4-mapped \($0)" }
        }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return "IPv4-compatible (::/96)" }
        if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {
            return embedded(12).nonPublicReason.map { "NAT64 of \($0)" }
        }
        if b[0] == 0x20, b[1] == 0x02 { return embedded(2).nonPublicReason.map { "6to4 of \($0)" } }
        if b[0..<4] == [0x20, 0x01, 0x00, 0x00] { return "Teredo (2001::/32)" }
        if b[0..<4] == [0x20, 0x01, 0x0D, 0xB8] { return "documentation (2001:db8::/32)" }
        if b[0..<8] == [0x01, 0, 0, 0, 0, 0, 0, 0] { return "discard (100::/64)" }
        if b[0] & 0xFE == 0xFC { return "unique local (fc00::/7)" }
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return "link-local (fe80::/10)" }
        if b[0] == 0xFE, b[1] & 0xC0 == 0xC0 { return "site-local (fec0::/10)" }
        if b[0] == 0xFF { return "multicast (ff00::/8)" }
        return nil
    }
}

/// Resolves a host name to its addresses. Injectable, so tests can play a DNS answer that
/// changes after the provider was added.
public struct AddressResolver: Sendable {
    public let resolve: @Sendable (_ host: String) async throws -> [IPAddress]

    public init(_ resolve: @escaping @Sendable (_ host: String) async throws -> [IPAddress]) {
        self.resolve = resolve
    }

    /// The system's resolver (getaddrinfo), off the event loops. A literal needs no lookup.
    public static let system = AddressResolver { host in
        if let literal = IPAddress(host) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive { try getaddrinfoAddresses(host) }
    }

    private static func getaddrinfoAddresses(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else { throw UpstreamCallError.unreachable("cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            if entry.ai_family == AF_INET, let raw = entry.ai_addr {
                let address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                addresses.append(IPAddress(bytes: withUnsafeBytes(of: address) { Array($0) })!)
            } else if entry.ai_family == AF_INET6, let raw = entry.ai_addr {
                let address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                addresses.append(IPAddress(bytes: withUnsafeBytes(of: address) { Array($0) })!)
            }
            cursor = entry.ai_next
        }
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}

/// Where one call to a provider goes: its URL's host (kept for `Host` and TLS SNI and
/// certificate checks) and the checked address the connection is made to.
public struct ProviderTarget: Sendable, Hashable {
    public let host: String
    public let address: IPAddress
}

/// The outbound rules for provider URLs (issue 19): https only unless the operator allows http
/// for the provider; every address the host resolves to must be public unless the operator
/// allows private addresses for it. Checked when a provider is added and at every call, and the
/// call connects to the address that was checked, so a DNS answer that changes between the
/// check and the connection (rebinding) cannot redirect it.
public enum ProviderAddressPolicy {
    /// The URL's scheme and host, or why it cannot be used.
    public static func parse(_ url: String, allowHTTP: Bool) throws -> (host: String, https: Bool) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty else {
            throw UpstreamCallError.addressRefused("\(url) is not a URL this panel can call")
        }
        guard parsed.user == nil, parsed.password == nil else {
            throw UpstreamCallError.addressRefused("a provider URL may not carry a user or password")
        }
        switch scheme {
        case "https": return (host, true)
        case "http" where allowHTTP: return (host, false)
        case "http": throw UpstreamCallError.addressRefused("http is refused (the key would travel in clear); use https, or allow http for this provider")
        default: throw UpstreamCallError.addressRefused("scheme \(scheme) is refused; use https")
        }
    }

    /// Resolves the provider's host and checks every address it resolves to (one bad address
    /// refuses the host: a name that also points inside is not trusted). Returns the address
    /// to connect to.
    public static func check(url: String, allowHTTP: Bool, allowPrivateAddress: Bool,
                             resolver: AddressResolver) async throws -> ProviderTarget {
        let (host, _) = try parse(url, allowHTTP: allowHTTP)
        let addresses: [IPAddress]
        if let literal = IPAddress(host) { addresses = [literal] } else { addresses = try await resolver.resolve(host) }
        guard let first = addresses.first else { throw UpstreamCallError.unreachable("\(host) resolves to no address") }
        if !allowPrivateAddress {
            for address in addresses {
                if let reason = address.nonPublicReason {
                    let what = IPAddress(host) == nil ? "\(host) resolves to \(address)," : "\(host) is"
                    throw UpstreamCallError.addressRefused("\(what) \(reason); allow private addresses for this provider to call it")
                }
            }
        }
        return ProviderTarget(host: host, address: first)
    }
}
