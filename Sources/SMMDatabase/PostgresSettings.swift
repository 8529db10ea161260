import Foundation
import NIOCore
import NIOSSL
import PostgresNIO

/// What a `postgres://user:password@host:port/database?sslmode=…&sslrootcert=…` URL says, with
/// libpq's meaning of `sslmode`:
///
/// - `disable` (the default: TLS is asked for, never assumed; every TLS connection builds its
///   context, a measurable cost when a loaded machine opens many at once): plain TCP.
/// - `allow`, `prefer`: TLS if the server offers it, else plain;
///   the certificate is not checked.
/// - `require`: TLS or no connection; the certificate is not checked (encrypted, not
///   authenticated: libpq's `require` without a root certificate).
/// - `verify-ca`: TLS, the certificate chain checked against `sslrootcert` (a PEM file) or the
///   system's roots; any host name.
/// - `verify-full`: as `verify-ca`, and the certificate must name the host.
public struct PostgresSettings: Sendable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    public var tlsMode: TLSMode
    /// The TLS settings of every connection; nil with `disable`.
    public var tls: TLSConfiguration?

    public init(url text: String) throws {
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw DatabaseError.badConfiguration("cannot read the PostgreSQL URL (postgres://user:pass@host:port/db)")
        }
        func parameter(_ name: String) -> String? { url.queryItems?.last(where: { $0.name == name })?.value }
        let modeText = parameter("sslmode") ?? TLSMode.disable.rawValue
        guard let mode = TLSMode(rawValue: modeText) else {
            throw DatabaseError.badConfiguration("unknown sslmode \(modeText); one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.host = host
        port = url.port ?? 5432
        // URLComponents has already percent-decoded these.
        username = url.user ?? "postgres"
        password = url.password
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = path.isEmpty ? nil : path
        tlsMode = mode
        switch mode {
        case .disable:
            tls = nil
        case .allow, .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = configuration
        case .verifyCA, .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = mode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let path = parameter("sslrootcert") {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw DatabaseError.badConfiguration("sslrootcert \(path) cannot be read")
                }
                configuration.trustRoots = .file(path)
            }
            tls = configuration
        }
    }

    /// The pool's configuration (without its size and timeouts).
    public var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS = switch (tlsMode, tls) {
        case (.allow, let tls?), (.prefer, let tls?): .prefer(tls)
        case (_, let tls?): .require(tls)
        case (_, nil): .disable
        }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: mode)
    }
}
