import ArgumentParser
import HummingbirdBcrypt
import NIOPosix
import SMMDomain
import SMMProviders
import SMMServices
import SMMStorage

/// Turns a domain error into a one-line failure for the operator.
struct OperatorError: Error, CustomStringConvertible {
    let description: String
}

func requireUser(_ store: any AccountQueries, _ name: String) async throws -> User {
    guard let user = try await store.user(named: name) else { throw OperatorError(description: "no user named \(name)") }
    return user
}

/// bcrypt is deliberately slow: keep it off the event loops.
func hashPassword(_ password: String) async throws -> String {
    try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: 12) }
}

func parseAmount(_ text: String) throws -> Money {
    guard let amount = Money(parsing: text), amount > .zero else {
        throw OperatorError(description: "amount must be a positive number with at most 5 decimals, got \(text)")
    }
    return amount
}

/// Where `user create` and `user set-password` read a password: standard input, the
/// environment, or (visible to anyone running `ps`) the command line.
struct PasswordOptions: ParsableArguments {
    @Option(help: "The password (visible in `ps` and shell history: prefer --password-stdin or SMMPANEL_PASSWORD).")
    var password: String?
    @Flag(help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    static let variable = "SMMPANEL_PASSWORD"

    func validate() throws {
        if passwordStdin, password != nil { throw ValidationError("give --password or --password-stdin, not both") }
    }

    /// The password from --password-stdin, --password or SMMPANEL_PASSWORD, in that order; nil if none.
    func resolve() throws -> String? {
        if passwordStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw OperatorError(description: "--password-stdin: no password on standard input")
            }
            return line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
        return password ?? Environment.value(Self.variable)
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Customers and admins.",
                                                    subcommands: [Create.self, RotateKey.self, SetPassword.self, Disable.self, Enable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user; prints its API key (shown once) last.")
        @Argument var name: String
        @OptionGroup(title: "Web password (optional; also env SMMPANEL_PASSWORD)") var password: PasswordOptions
        @Flag(help: "Make the user an administrator.") var admin = false
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            // bcrypt is deliberately slow: keep it off the event loops.
            let hash: String? = if let password = try password.resolve() { try await hashPassword(password) } else { nil }
            let (user, key) = try await db.run { panel in
                try await panel.store.audited("user.create", target: nil, created: { AuditTarget(.users, $0.0.id) }) {
                    try await panel.services.accounts.createUser(username: name, passwordHash: hash, isAdmin: admin)
                }
            }
            print("created \(user.isAdmin ? "admin" : "user") \(user.username) (id \(user.id)); API key:")
            print(key)
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-password",
                                                        abstract: "Set a user's web password (and signs them out of the web panel).")
        @Argument var name: String
        @OptionGroup(title: "The new password, 8 to 72 bytes (or env SMMPANEL_PASSWORD)") var passwordSource: PasswordOptions
        @Flag(help: "Also make the user an administrator.") var admin = false
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            guard let password = try passwordSource.resolve() else {
                throw OperatorError(description: "no password: give --password-stdin, SMMPANEL_PASSWORD or --password")
            }
            guard password.count >= 8, password.utf8.count <= 72 else {
                throw OperatorError(description: "a password needs 8 to 72 characters (bcrypt reads 72 bytes)")
            }
            let hash = try await hashPassword(password)
            try await db.run { panel in
                let user = try await requireUser(panel.store, name)
                try await panel.services.accounts.setPassword(userID: user.id, hash: hash)
                if admin { try await panel.services.accounts.setAdmin(userID: user.id, true) }
            }
            print("password of \(name) set\(admin ? "; \(name) is an admin" : "")")
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rotate-key", abstract: "Revoke the user's keys and print a new one.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let key = try await db.run { panel in
                let id = try await requireUser(panel.store, name).id
                return try await panel.store.audited("user.rotate-key", target: AuditTarget(.users, id)) { try await panel.services.accounts.rotateKey(userID: id) }
            }
            print("new API key for \(name) (the old ones stop working now):")
            print(key)
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user: its keys stop working.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            try await db.run { panel in
                let id = try await requireUser(panel.store, name).id
                try await panel.store.audited("user.disable", target: AuditTarget(.users, id)) { try await panel.services.accounts.setDisabled(userID: id, true) }
            }
            print("user \(name) disabled")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @Argument var name: String
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            try await db.run { panel in
                let id = try await requireUser(panel.store, name).id
                try await panel.store.audited("user.enable", target: AuditTarget(.users, id)) { try await panel.services.accounts.setDisabled(userID: id, false) }
            }
            print("user \(name) enabled")
        }
    }
}

struct FundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "funds", abstract: "Change a balance (with a ledger row).",
                                                    subcommands: [Add.self, Deduct.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add money to a user's balance.")
        @Argument var name: String
        @Argument var amount: String
        @Option var memo: String = "manual deposit"
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let value = try parseAmount(amount)
            let balance = try await db.run { panel in
                try await panel.services.ledger.addFunds(userID: try await requireUser(panel.store, name).id, amount: value, memo: memo)
            }
            print("\(name): balance \(balance.apiString)")
        }
    }

    struct Deduct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take money from a user's balance (never below zero).")
        @Argument var name: String
        @Argument var amount: String
        @Option var memo: String = "manual deduction"
        @OptionGroup var db: DatabaseOptions

        func run() async throws {
            let value = try parseAmount(amount)
            let balance = try await db.run { panel in
                try await panel.services.ledger.deductFunds(userID: try await requireUser(panel.store, name).id, amount: value, memo: memo)
            }
            print("\(name): balance \(balance.apiString)")
        }
    }
}

struct CategoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "category", abstract: "Service categories.",
                                                    subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a category; prints its id last.")
        @Argument var name: String
        @Option var sort: Int64 = 0
        @OptionGroup var db: DatabaseOptions
        func validate() throws { try check(sort, OptionRange.sort, "--sort") }
        func run() async throws {
            let category = try await db.run { panel in
                try await panel.store.audited("category.create", target: nil, created: { AuditTarget(.categories, $0.id) }) {
                    try await panel.services.catalog.createCategory(name: name, sort: sort)
                }
            }
            print("created category \(category.name); id:")
            print(category.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List categories.")
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            for category in try await db.run({ try await $0.store.categories() }) {
                print("\(category.id)\t\(category.name)")
            }
        }
    }
}

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "The books.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 only if every balance equals its ledger, every order's charge its ledger rows, and no refund happened twice.")
        @OptionGroup var db: DatabaseOptions
        func run() async throws {
            let problems = try await db.run { try await $0.store.ledgerProblems() }
            if problems.isEmpty {
                print("ledger clean")
                return
            }
            for problem in problems { print(problem) }
            print("\(problems.count) problem(s)")
            throw ExitCode(1)
        }
    }
}
