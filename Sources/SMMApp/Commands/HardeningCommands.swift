import ArgumentParser
import Foundation
import Logging
import SMMDomain
import SMMProviders
import SMMServices
import SMMStorage

/// `smmpanel key …`: a customer's named API keys.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "A user's named API keys.",
                                                    subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a named key; prints it (shown once, stored as a hash) last.")
        @Argument var user: String
        @Option(help: "What the key is for, e.g. the bot or server using it.") var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let (info, key) = try await db.run { panel in
                try await panel.services.accounts.createKey(userID: try await requireUser(panel.store, user).id, name: name)
            }
            print("key \(info.id) \"\(info.name)\" for \(user); API key:")
            print(key)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's keys: id, name, last 4 characters, created, revoked.")
        @Argument var user: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let keys = try await db.run { panel in try await panel.store.keys(userID: try await requireUser(panel.store, user).id) }
            for key in keys {
                let hint = key.hint.isEmpty ? "…" : "…\(key.hint)"
                let state = key.revokedAt.map { "revoked \(formatTime($0))" } ?? "live"
                print("\(key.id)\t\(key.name)\t\(hint)\tcreated \(formatTime(key.createdAt))\t\(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke one key; it answers \"Invalid API key\" from now on.")
        @Argument var user: String
        @Argument(help: "The key's id, as `key list` shows it.") var keyID: Int64
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(keyID, OptionRange.id, "KEY_ID") }
        func run() async throws {
            let info = try await db.run { panel in try await panel.services.accounts.revokeKey(userID: try await requireUser(panel.store, user).id, keyID: APIKeyID(keyID)) }
            print("key \(info.id) \"\(info.name)\" of \(user) revoked")
        }
    }
}

/// `smmpanel audit`: who changed what.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit log, newest first (balances in 0.00001 units).")
    @Option(help: "Only this target, e.g. user:3, service:7, order:12, key:4.") var target: String?
    @Option(help: "At most this many rows.") var limit: Int = 50
    @OptionGroup var db: DatabaseOptions
    func validate() throws { try check(limit, OptionRange.listLimit, "--limit") }
    func run() async throws {
        for entry in try await db.run({ try await $0.store.auditLog(target: target, limit: limit) }) {
            print("\(entry.id)\t\(formatTime(entry.createdAt))\t\(entry.actor)\t\(entry.action)\t\(entry.target)\t"
                  + "before \(entry.before ?? "-")\tafter \(entry.after ?? "(unknown)")")
        }
    }
}

/// `smmpanel backup FILE`: a consistent copy of a live SQLite panel.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite panel, even while it serves, to a new file and check the copy. PostgreSQL: use pg_dump (docs/operations.md).")
    @Argument(help: "The new file to write; must not exist.") var file: String
    @OptionGroup var db: DatabaseOptions
    func run() async throws {
        var logger = Logger(label: "smmpanel")
        logger.logLevel = .warning
        let summary: Backup.Summary
        do {
            summary = try await Backup.copy(db.location, to: file, logger: logger)
        } catch let failure as Backup.Failure {
            throw OperatorError(description: failure.description)
        }
        print("copied to \(file): schema \(summary.schemaVersion), \(summary.users) users, \(summary.orders) orders, \(summary.bytes) bytes")
        guard summary.ledgerProblems.isEmpty else {
            for problem in summary.ledgerProblems { print(problem) }
            throw OperatorError(description: "the copy's ledger check found \(summary.ledgerProblems.count) problem(s)")
        }
        print("copy checked: integrity ok, ledger clean")
    }
}

/// Unix seconds as an ISO 8601 UTC time, for operator listings.
func formatTime(_ seconds: Int64) -> String {
    ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}
