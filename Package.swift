// swift-tools-version: 6.1
import PackageDescription

// Module layout and dependency direction: docs/architecture.md (and shared design.md section 1).
// Lower layers first; a module imports only modules listed before it.
let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TesseraCore", targets: ["TesseraCore"]),
        .library(name: "TesseraStorage", targets: ["TesseraStorage"]),
        .library(name: "TesseraClient", targets: ["TesseraClient"]),
        .library(name: "Linearizability", targets: ["Linearizability"]),
        .executable(name: "tessera", targets: ["tessera"]),
        .executable(name: "tessera-jepsen", targets: ["tessera-jepsen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // ops (issue 11): config file, metrics, admin HTTP.
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // tls (issue 11): TLS for client and peer traffic; only TesseraTLS links it (TesseraNode, TesseraClient use that).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Vocabulary: keys, versions, cells, consistency levels, limits, error codes. Stdlib only.
        .target(name: "TesseraCore"),
        // Partitioner, virtual nodes, token allocation, preference lists.
        .target(name: "TesseraRing", dependencies: ["TesseraCore"]),
        // The per-node LSM engine. No networking.
        .target(name: "TesseraStorage", dependencies: ["TesseraCore", "CLZ4"]),
        // Pure protocol state machines (coordinator, read repair, HLC). No NIO, no clocks, no I/O.
        .target(name: "TesseraCluster", dependencies: ["TesseraCore", "TesseraRing"]),
        // Frames, messages, codec.
        .target(
            name: "TesseraWire",
            dependencies: [
                "TesseraCore", .product(name: "NIOCore", package: "swift-nio"),
                // WireConnection.connect (ClientBootstrap); the codec itself uses NIOCore only.
                .product(name: "NIOPosix", package: "swift-nio"),
                // TLSUserEvent only (the handshake watcher); swift-nio-ssl stays out of this module.
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // TLS material and contexts (docs/security.md): the one module that links swift-nio-ssl (BoringSSL);
        // used by TesseraNode and TesseraClient only.
        .target(
            name: "TesseraTLS",
            dependencies: [
                "TesseraCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The node process: listeners, peer transport, replica service, node metadata (SQLite).
        .target(
            name: "TesseraNode",
            dependencies: [
                "TesseraCore", "TesseraRing", "TesseraStorage", "TesseraCluster", "TesseraWire", "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // ops: admin HTTP server, metrics registry per node, config file.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                "TesseraTLS",
            ]
        ),
        // Test support: manual clock, seeded simulated network, cluster simulator on the real coordinators.
        .target(name: "TesseraTestSupport", dependencies: ["TesseraCore", "TesseraRing", "TesseraCluster"]),
        // The library users import.
        .target(
            name: "TesseraClient",
            dependencies: [
                "TesseraCore", "TesseraRing", "TesseraWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "TesseraTLS",
            ],
            // Async client calls run on the caller's executor (SE-0461) instead of hopping to the global one at
            // every nested call: each hop looked up the task's preferred executor under a lock, 9% of the load
            // generator's CPU (docs/benchmarks.md, "Session 7").
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        // Histories, models, the checker, parsers, reports. Depends on nothing of the database.
        .target(name: "Linearizability"),
        // Benchmark workloads and reports (storage db_bench-style workload, cluster load).
        .target(
            name: "TesseraBench",
            dependencies: [
                "TesseraCore", "TesseraStorage", "TesseraClient", "TesseraRing", "TesseraWire",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                // The memory benchmark and the wire fuzzer speak raw frames.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Starting, stopping, killing and pausing local `tessera server` processes (demo, bench, harness, tests).
        .target(name: "TesseraLocalCluster", dependencies: ["TesseraCore", "TesseraClient", "TesseraTLS"]),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraCore", "TesseraRing", "TesseraStorage", "TesseraNode", "TesseraClient",
                "Linearizability", "TesseraBench", "TesseraLocalCluster", "TesseraWire", "TesseraCluster", "TesseraTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // ops: SIGTERM/SIGINT graceful shutdown of `tessera server`.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "TesseraCoreTests", dependencies: ["TesseraCore"]),
        .testTarget(name: "TesseraRingTests", dependencies: ["TesseraRing"]),
        // A tiny writer process that the storage SIGKILL test kills at random moments.
        .executableTarget(name: "tessera-storage-writer", dependencies: ["TesseraStorage", "TesseraCore"], path: "Tests/StorageWriter"),
        .testTarget(name: "TesseraStorageTests", dependencies: ["TesseraStorage", "tessera-storage-writer"]),
        .testTarget(name: "TesseraBenchTests", dependencies: ["TesseraBench", "TesseraStorage", "TesseraCore", "TesseraRing"]),
        .testTarget(name: "TesseraClusterTests", dependencies: ["TesseraCluster", "TesseraTestSupport"]),
        // The simulator's histories are judged by the checker (a test-only dependency).
        .testTarget(
            name: "TesseraTestSupportTests",
            dependencies: ["TesseraTestSupport", "TesseraCluster", "TesseraCore", "TesseraRing", "Linearizability"]
        ),
        .testTarget(
            name: "TesseraWireTests",
            dependencies: [
                "TesseraWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TesseraNodeTests",
            dependencies: [
                "TesseraNode", "TesseraClient", "TesseraRing", "TesseraWire", "TesseraStorage", "TesseraCluster",
                // Only for ClusterLauncher.freePorts: the one port picker that stays out of the ephemeral range.
                "TesseraLocalCluster",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // TesseraCore only for the shared seeded generator (SplitMix64); the checker itself depends on nothing.
        .testTarget(name: "LinearizabilityTests", dependencies: ["Linearizability", "TesseraCore"]),
        .testTarget(
            name: "TesseraClientTests",
            dependencies: [
                "TesseraClient", "TesseraBench", "TesseraLocalCluster", "TesseraCore", "TesseraRing", "TesseraWire",
                "TesseraCluster", "TesseraNode", "TesseraTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),

        // The Jepsen-like harness (docs/fault-injection.md): nemeses, workloads, recording, reports.
        .target(
            name: "TesseraJepsen",
            dependencies: [
                "TesseraCore", "TesseraClient", "Linearizability", "TesseraLocalCluster", "TesseraTestSupport",
            ],
            path: "Jepsen-like/Sources/TesseraJepsen"
        ),
        .executableTarget(
            name: "tessera-jepsen",
            dependencies: ["TesseraJepsen", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Jepsen-like/Sources/tessera-jepsen"
        ),
        .testTarget(
            name: "TesseraJepsenTests",
            dependencies: ["TesseraJepsen", "Linearizability", "tessera-jepsen", "tessera"],
            path: "Jepsen-like/Tests/TesseraJepsenTests"
        ),
    ]
)
