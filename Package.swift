// swift-tools-version:6.1
import PackageDescription

// Every package comes from the machine's mirror; versions are the ones it carries.
let package = Package(
    name: "SMMPanel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smmpanel", targets: ["smmpanel"]),
        .executable(name: "smmpanel-bench", targets: ["SMMBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Pure domain: money, pricing, service types, validation, state machines. No I/O.
        .target(name: "SMMDomain"),
        // The two database back ends: the SQLite writer and its group commit, kept statements,
        // the PostgreSQL pool. Knows SQL, nothing of what the tables hold.
        .target(
            name: "SMMDatabase",
            dependencies: [
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Migrations and repositories over `SMMDatabase`.
        .target(
            name: "SMMStorage",
            dependencies: [
                "SMMDomain", "SMMDatabase",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Use cases: validate with the domain, record through a repository protocol.
        .target(name: "SMMServices", dependencies: ["SMMDomain", "SMMStorage"]),
        // HTTP helpers the API and the web share: request fields, client address, gzip, read deadline.
        .target(
            name: "SMMHTTP",
            dependencies: [
                "SMMDomain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // For its zlib (`CNIOExtrasZlib`), which `Gzip` uses; AsyncHTTPClient builds it anyway.
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // API v2: decode → domain call → exact response shape.
        .target(
            name: "SMMAPI",
            dependencies: [
                "SMMDomain", "SMMStorage", "SMMServices", "SMMHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Upstream providers: API v2 client, dispatcher, status sync, catalog sync.
        .target(
            name: "SMMProviders",
            dependencies: [
                // SMMDatabase for `withDeadline`, the one deadline helper.
                "SMMDomain", "SMMDatabase", "SMMStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Customer site and admin console: server-rendered Mustache pages.
        .target(
            name: "SMMWeb",
            dependencies: [
                // SMMHTTP for its form reader: the web reads fields exactly as the API does.
                // SMMProviders for the providers pages: the same engine operations as the CLI.
                "SMMDomain", "SMMStorage", "SMMServices", "SMMHTTP", "SMMProviders",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                // HMAC for the guests' signed cookies.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources")]
        ),
        // Wiring: configuration, router, ServiceGroup, operator commands.
        .target(
            name: "SMMApp",
            dependencies: [
                "SMMDomain", "SMMDatabase", "SMMStorage", "SMMServices", "SMMHTTP", "SMMAPI", "SMMProviders", "SMMWeb",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "smmpanel", dependencies: ["SMMApp"]),
        // The benchmark, a product of its own: seeds databases through storage's import, starts
        // `smmpanel serve` and drives it (`smmpanel bench` runs it).
        .executableTarget(
            name: "SMMBench",
            dependencies: [
                "SMMDomain", "SMMStorage", "SMMAPI", "SMMProviders", "SMMApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "SMMDomainTests", dependencies: ["SMMDomain"]),
        .testTarget(
            name: "SMMPanelTests",
            dependencies: [
                "SMMDomain", "SMMDatabase", "SMMStorage", "SMMServices", "SMMHTTP", "SMMAPI", "SMMApp", "SMMProviders", "SMMWeb",
                // The CLI tests run the real executables, so they must be built first.
                "smmpanel", "SMMBench",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "SQLKit", package: "sql-kit"),
                // The fake upstream provider and the engine tests.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                // A channel without sockets, for one connection handler's own checks.
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ]
)
