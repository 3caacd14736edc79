// swift-tools-version: 6.2
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // A release build reaches its generic types' metadata through accessor functions rather than
    // by mangled names. The runtime resolves a mangled name by checking each generic requirement
    // against every protocol conformance in the (static) binary, about 0.7 M instructions a scan:
    // a one-step run took 116 M instructions with them and 86 M without (15 % less wall time;
    // `validate` and `history` start 5 % sooner; docs/benchmarks.md). The flag changes how
    // metadata is reached, not what it is; dependencies are built without it.
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
]

let package = Package(
    name: "Lifeboat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lifeboat", targets: ["lifeboat"]),
        .library(name: "LifeboatCore", targets: ["LifeboatCore"]),
        // For the fuzz package (Fuzz/), which builds the DNS decoder alone with -sanitize=fuzzer.
        .library(name: "LifeboatDNS", targets: ["LifeboatDNS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already resolved through async-http-client; named so LifeboatActions can import NIO types.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // `lifeboat serve`'s HTTP server (shares swift-nio with async-http-client).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Resolved through hummingbird; named so LifeboatWeb can name header fields and quiet its log.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Documents, validation, DAG analysis, the pure run state machine, the scheduler,
        // measurement, and the protocols for the store and actions. No I/O to real systems.
        .target(
            name: "LifeboatCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // Renderers of runs and histories: HTML (with its SVG timeline), Markdown, JSON, JUnit,
        // Prometheus text; one HTML escaper. Pure: text in, text out.
        .target(
            name: "LifeboatReports",
            dependencies: ["LifeboatCore"],
            swiftSettings: strictSettings
        ),
        // SQLite store (GRDB): migrations, event log with hash chain, projections, lease.
        .target(
            name: "LifeboatStore",
            dependencies: [
                "LifeboatCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The team store: the state store on a PostgreSQL server (schema `lifeboat`), with the
        // SQLite store's contract and its chain, canonical JSON and lease rules.
        .target(
            name: "LifeboatTeamStore",
            dependencies: ["LifeboatCore", "LifeboatStore", "LifeboatPostgres"],
            swiftSettings: strictSettings
        ),
        // libpq's declarations (header from package libpq-dev) and the functions Lifeboat calls,
        // defined here: they load libpq on first use, so the commands that never talk to
        // PostgreSQL do not load it and its dependencies at every start. Not linked against libpq.
        .target(name: "CLibPQ"),
        // The libpq layer: connections (blocking calls off the cooperative pool, cancellation,
        // timeouts), results, errors with SQLSTATE, conninfo parsing and masking. Used by the
        // postgres.* actions and the team store.
        .target(
            name: "LifeboatPostgres",
            dependencies: ["LifeboatCore", "CLibPQ"],
            swiftSettings: strictSettings
        ),
        // One posix_spawn with the command action's settings (new process group, signals reset,
        // other descriptors closed, working directory): C, because those are GNU extensions.
        .target(name: "CSpawn"),
        // DNS wire codec (RFC 1035 / 2136 / 8945): pure, no I/O, so the decoder can be fuzzed alone.
        .target(
            name: "LifeboatDNS",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // Real actions: command, http.check, wait, approval, postgres.*, dns.*, kubernetes.scale.
        .target(
            name: "LifeboatActions",
            dependencies: [
                "LifeboatCore",
                "LifeboatDNS",
                "LifeboatPostgres",
                "CSpawn",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // `lifeboat serve`: the read-only war-room pages and their live event streams over HTTP
        // (Hummingbird), reading any store through `WarRoomStore`.
        .target(
            name: "LifeboatWeb",
            dependencies: [
                "LifeboatCore",
                "LifeboatReports",
                "LifeboatStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The CLI: argument parsing, wiring, output and exit codes only.
        .executableTarget(
            name: "lifeboat",
            dependencies: [
                "LifeboatCore",
                "LifeboatReports",
                "LifeboatStore",
                "LifeboatTeamStore",
                "LifeboatPostgres",
                "LifeboatActions",
                "LifeboatWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // scripts/bench-evidence: seeds a large store by cloning real runs through the store's own
        // code (createRun + append), so the hash chain and projections are Lifeboat's.
        .executableTarget(
            name: "lifeboat-bench-seed",
            dependencies: ["LifeboatCore", "LifeboatStore"],
            swiftSettings: strictSettings
        ),
        // Test doubles shared by the test targets: in-memory store, scripted actions, manual clock.
        .target(
            name: "LifeboatTestSupport",
            dependencies: ["LifeboatCore"],
            path: "Tests/LifeboatTestSupport",
            swiftSettings: strictSettings
        ),
        // The PostgreSQL servers the tests start (a primary, a streaming replica, team-store
        // databases), shared by the PostgreSQL integration tests and the CLI tests on the team store.
        .target(
            name: "LifeboatPostgresHarness",
            dependencies: ["LifeboatPostgres", .product(name: "Subprocess", package: "swift-subprocess")],
            path: "Tests/LifeboatPostgresHarness",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LifeboatCoreTests",
            dependencies: ["LifeboatCore", "LifeboatTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        // The report renderers on real event logs (the real engine, scripted actions), checked
        // with the real tools (xmllint, junitparser, promtool, chromium).
        .testTarget(
            name: "LifeboatReportsTests",
            dependencies: ["LifeboatCore", "LifeboatReports", "LifeboatTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LifeboatStoreTests",
            dependencies: ["LifeboatCore", "LifeboatStore", "LifeboatTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LifeboatActionsTests",
            dependencies: ["LifeboatCore", "LifeboatActions", "LifeboatTestSupport",
                           .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strictSettings
        ),
        // Integration tests against a real PostgreSQL 15 primary + streaming replica that the
        // harness starts on 127.0.0.1 in a temp dir.
        .testTarget(
            name: "LifeboatPostgresTests",
            dependencies: ["LifeboatCore", "LifeboatActions", "LifeboatPostgres", "LifeboatPostgresHarness", "LifeboatStore",
                           "LifeboatTeamStore", "LifeboatTestSupport", .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strictSettings
        ),
        // DNS codec tests, and integration tests against a real BIND the harness starts on 127.0.0.1.
        .testTarget(
            name: "LifeboatDNSTests",
            dependencies: ["LifeboatDNS", "LifeboatCore", "LifeboatActions", "LifeboatTestSupport",
                           .product(name: "Subprocess", package: "swift-subprocess")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LifeboatCLITests",
            dependencies: ["LifeboatCore", "LifeboatPostgresHarness", "LifeboatTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
    ]
)
