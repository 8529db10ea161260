import Foundation
import NIOSSL
@testable import SMMDatabase
@testable import SMMStorage
import Testing

/// `sslmode` in a `postgres://` URL means what it means to libpq.
@Suite struct PostgresSettingsTests {
    @Test func eachSSLModeGivesItsTLSConfiguration() throws {
        let base = "postgres://panel:p%40ss@db.internal:6432/smm"
        let plain = try PostgresSettings(url: base + "?sslmode=disable")
        #expect(plain.tlsMode == .disable && plain.tls == nil)
        // No sslmode: plain, as before `sslmode` was read (TLS is asked for, never assumed).
        let unsaid = try PostgresSettings(url: base)
        #expect(unsaid.tlsMode == .disable && unsaid.tls == nil)
        #expect(plain.host == "db.internal" && plain.port == 6432 && plain.username == "panel" && plain.password == "p@ss" && plain.database == "smm")

        for (query, mode) in [("?sslmode=prefer", PostgresSettings.TLSMode.prefer), ("?sslmode=allow", .allow),
                              ("?sslmode=require", .require)] {
            let settings = try PostgresSettings(url: base + query)
            #expect(settings.tlsMode == mode)
            // Encrypted, the certificate not checked (libpq checks it only from verify-ca on).
            #expect(settings.tls?.certificateVerification == CertificateVerification.none, "\(query)")
        }
        let ca = try PostgresSettings(url: base + "?sslmode=verify-ca")
        #expect(ca.tls?.certificateVerification == .noHostnameVerification)
        let full = try PostgresSettings(url: base + "?sslmode=verify-full")
        #expect(full.tls?.certificateVerification == .fullVerification)
        #expect(full.tls?.trustRoots == .default, "the system's roots")

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(UUID().uuidString).pem").path
        _ = FileManager.default.createFile(atPath: root, contents: Data("not read until a connection is made".utf8))
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pinned = try PostgresSettings(url: base + "?sslmode=verify-full&sslrootcert=\(root)")
        #expect(pinned.tls?.certificateVerification == .fullVerification)
        #expect(pinned.tls?.trustRoots == .file(root))

        #expect(throws: DatabaseError.self) { try PostgresSettings(url: base + "?sslmode=verify-full&sslrootcert=/nonexistent/root.pem") }
        #expect(throws: DatabaseError.self) { try PostgresSettings(url: base + "?sslmode=sometimes") }
        #expect(throws: DatabaseError.self) { try PostgresSettings(url: "postgres:///nohost") }
    }

    /// Against the test server, which offers no TLS: `disable` and `prefer` connect (prefer
    /// falling back to plain), `require` refuses to go on unencrypted.
    @Test(.enabled(if: ScaleOutTests.enabled)) func requireRefusesAServerWithoutTLSAndPreferFallsBack() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["DATABASE_URL"])
        for mode in ["disable", "prefer"] {
            let backend = try await DatabaseLocation(url + "?sslmode=\(mode)").open(poolSize: 1, logger: quietLogger)
            #expect(try await backend.read { try await $0.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int.self) } == 1)
            try await backend.shutdown()
        }
        await #expect(throws: DatabaseError.self) {
            let backend = try await DatabaseLocation(url + "?sslmode=require").open(poolSize: 1, logger: quietLogger)
            try await backend.shutdown()
        }
    }
}
