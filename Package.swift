// swift-tools-version:6.0
import PackageDescription

/// The JSON Schemas of the events (`schemas/`, which links to `Sources/Daemon/Schemas`), served at `/v1/schemas/`.
let eventSchemas = ["config.schema.json", "envelope.json", "vicidial.agent.call_changed.json", "vicidial.agent.heartbeat.json", "vicidial.agent.logged_in.json", "vicidial.agent.logged_out.json", "vicidial.agent.status_changed.json", "vicidial.agent.threshold_exceeded.json", "vicidial.agent.updated.json", "vicidial.queue.changed.json", "vicidial.queue.threshold_cleared.json", "vicidial.queue.threshold_exceeded.json", "vicidial.source.down.json", "vicidial.source.up.json", "webhooks.schema.json"]

let package = Package(
    name: "vicinotify",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vicinotify", targets: ["vicinotify"]),
        // The benchmarks: built and run beside vicinotify, never shipped in it.
        .executable(name: "vicinotify-bench", targets: ["vicinotify-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The simulator and the metrics listener are HTTP servers: NIOHTTP1 costs ~22 s per clean build.
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // C libraries: module map + shim only.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"]), .brew(["mariadb-connector-c"])]),
        .systemLibrary(name: "CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"]), .brew(["cnats"])]),

        // Model, differ, events, JSON encoding, sink interface. Depends on nothing.
        .target(name: "VicinotifyCore"),
        // Threads of their own for blocking calls, with a shutdown: the one way blocking work runs.
        .target(name: "WorkerThreads"),
        // Marks along an event's way, off unless `vicinotify-bench handovers` counts the hand-overs. Depends on nothing.
        .target(name: "HandOverTrace"),
        // Reading JSON configuration: every problem with its JSON path. Each sink kind reads its block with it.
        .target(name: "ConfigValidation", dependencies: ["VicinotifyCore"]),
        // Async HTTP over libcurl's multi interface, on its own thread.
        .target(name: "CurlHTTP", dependencies: ["CCurl", "HandOverTrace"]),
        // PostgreSQL over libpq: a blocking connection, and an actor that owns one on its own queue.
        .target(name: "Postgres", dependencies: ["CLibPQ", "WorkerThreads"]),
        // MariaDB over Connector/C: a blocking connection, and an actor that owns one on a worker thread of its own.
        .target(name: "MariaDB", dependencies: ["CMariaDB", "WorkerThreads"]),
        // NATS JetStream over libnats: a connection, asynchronous publishing with awaited acks, streams, consumers.
        .target(name: "NATS", dependencies: ["CNats", "WorkerThreads"]),
        // VICIdial non-agent API: request building, response parsing and classification, client.
        .target(name: "VICIdial", dependencies: ["VicinotifyCore", "CurlHTTP", "HandOverTrace"]),
        // VICIdial's database as a source: one statement per poll on a read-only replica.
        .target(name: "VICIdialDatabase", dependencies: ["VicinotifyCore", "VICIdial", "MariaDB"]),
        // The durable journal (SQLite): events, snapshots, cursors, retries, dead letters.
        .target(name: "Journal", dependencies: ["VicinotifyCore", "CSQLite", "WorkerThreads", "HandOverTrace",
                                                 .product(name: "Logging", package: "swift-log")]),
        // Per-sink delivery: a pure state machine of decisions, and the queue that runs it over the journal.
        .target(name: "Delivery", dependencies: ["VicinotifyCore", "Journal", "HandOverTrace",
                                                  .product(name: "Logging", package: "swift-log")]),
        // One file per sink.
        .target(name: "Sinks", dependencies: ["VicinotifyCore", "ConfigValidation", "CurlHTTP", "CCrypto", "Postgres", "NATS", "WorkerThreads",
                                               .product(name: "Logging", package: "swift-log")]),
        // `vicinotify tail`: following an event stream from outside the daemon (PostgreSQL table + LISTEN) and its lines.
        .target(name: "Tail", dependencies: ["VicinotifyCore", "Postgres", "NATS"]),
        // A VICIdial-compatible non_agent_api.php with a scriptable floor.
        .target(name: "Simulator", dependencies: [
            "VicinotifyCore", "MariaDB",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Configuration and the running daemon: sources -> differ -> sinks.
        .target(name: "Daemon", dependencies: ["VicinotifyCore", "ConfigValidation", "VICIdial", "VICIdialDatabase", "Journal", "Delivery", "Sinks",
                                                "CurlHTTP", "HandOverTrace",
                                                .product(name: "Logging", package: "swift-log"),
                                                .product(name: "NIOCore", package: "swift-nio"),
                                                .product(name: "NIOPosix", package: "swift-nio"),
                                                .product(name: "NIOHTTP1", package: "swift-nio")],
                resources: [.embedInCode("Wallboard/wallboard.html"), .embedInCode("Wallboard/wallboard.js"),
                            .embedInCode("Wallboard/queues.js"), .embedInCode("Wallboard/shift.js")]
                    + eventSchemas.map { .embedInCode("Schemas/\($0)") }),
        // The `bench` subcommands and what only they need (libcurl alone, the synthetic floor): not in the product's libraries.
        .target(name: "Benchmarks", dependencies: [
            "CCurl", "CNats", "CurlHTTP", "Daemon", "Delivery", "HandOverTrace", "Journal", "MariaDB", "VICIdialDatabase", "NATS", "Postgres", "Simulator", "Sinks", "VICIdial", "VicinotifyCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "vicinotify-bench", dependencies: ["Benchmarks"]),
        .executableTarget(name: "vicinotify", dependencies: [
            "Tail",
            "CurlHTTP", "Daemon", "Journal", "Simulator", "VICIdial", "VicinotifyCore", "Sinks", "Postgres", "NATS", "MariaDB",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Helpers shared by the test targets: a running simulator with its control interface, log capture.
        .target(name: "TestSupport", dependencies: ["Simulator", "CurlHTTP", "VicinotifyCore", "Postgres", "MariaDB",
                                                     .product(name: "Logging", package: "swift-log"),
                                                     .product(name: "InMemoryLogging", package: "swift-log")],
                path: "Tests/TestSupport", exclude: ["webhook_receiver.py"]),
        .testTarget(name: "VicinotifyCoreTests", dependencies: ["VicinotifyCore"]),
        .testTarget(name: "HandOverTraceTests", dependencies: ["HandOverTrace"]),
        .testTarget(name: "CurlHTTPTests", dependencies: ["CurlHTTP", "TestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "CurlHTTP", "Simulator"]),
        .testTarget(name: "VICIdialTests", dependencies: ["VICIdial", "TestSupport", "CurlHTTP", "VicinotifyCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "JournalTests", dependencies: ["Journal", "TestSupport", "VicinotifyCore", "WorkerThreads"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "Journal", "TestSupport", "VicinotifyCore",
                                                          .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "VICIdialDatabaseTests", dependencies: ["VICIdialDatabase", "VICIdial", "MariaDB", "TestSupport", "VicinotifyCore"]),
        .testTarget(name: "SinksTests", dependencies: ["Sinks", "Journal", "Delivery", "TestSupport", "VicinotifyCore", "Postgres", "CurlHTTP", "NATS",
                                                       .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "TestSupport", "CurlHTTP"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "TestSupport", "VICIdial", "VicinotifyCore", "Sinks", "Postgres", "Journal", "NATS",
                                                        "CurlHTTP",
                                                        .product(name: "NIOCore", package: "swift-nio"),
                                                        .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "vicinotifyTests", dependencies: ["vicinotify", "TestSupport", "Journal", "VicinotifyCore", "Postgres",
                                                            "Tail", "CurlHTTP", "Sinks", "Benchmarks", "NATS",
                                                            .product(name: "Logging", package: "swift-log")]),
    ],
    swiftLanguageModes: [.v6]
)
