// swift-tools-version: 6.2
// The module list reads like the architecture (docs/architecture.md): C bindings, a thin safe
// Swift layer per C library, the maths (Policy, Learning), Checkpoints, Robots, Adaptation,
// Wire, History, the Daemon, and the two command lines. Each target declares exactly what it
// imports, and the command lines only their one module: ttad uses Daemon, ttactl uses Wire.
// SwiftPM still lets a target import its dependencies' dependencies, so scripts/module-graph.sh
// checks the imports (it exits 1 when ttactl or ttad reaches past its module).
//
// Linux only: ttad is a systemd service (libsystemd, journald), finds itself through /proc and
// builds against Debian's C libraries, so no `platforms:` line promises macOS, and `import Glibc`
// needs no `#if canImport` guard.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// Release builds of the maths are what run on the robot; keep them fast in debug test runs too.
let mathSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "ttad",
    products: [
        .executable(name: "ttad", targets: ["ttad"]),
        .executable(name: "ttactl", targets: ["ttactl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The /metrics endpoint (docs/metrics.md): the registry and text format, and the HTTP listener.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: C libraries from Debian (see README: Dependencies)
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMuJoCo", providers: [.apt(["libmujoco-dev"])]),

        // MARK: Thin safe Swift layers, one per C library
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: swiftSettings),
        .target(name: "Systemd", dependencies: ["CSystemd"], swiftSettings: swiftSettings),
        .target(name: "BLAS", dependencies: ["COpenBLAS"], swiftSettings: mathSettings),
        .target(name: "MuJoCo", dependencies: ["CMuJoCo"], swiftSettings: swiftSettings),

        // MARK: The maths: pure, no robots, sockets, files or systemd
        .target(name: "Policy", dependencies: ["BLAS"], swiftSettings: mathSettings),
        .target(name: "Learning", dependencies: ["Policy", "BLAS"], swiftSettings: mathSettings),
        .target(
            name: "Checkpoints",
            dependencies: ["Policy", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),

        // MARK: Robots: the environment interface, MuJoCo and bridge backends, the safety envelope
        .target(
            name: "Robots",
            dependencies: ["MuJoCo", "ZeroMQ", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        // The scripted demonstrators (pure functions of an observation): cloned by ttad-lab, and
        // played as the person of demonstration attempts by ttad-controller.
        .target(name: "Demonstrators", swiftSettings: swiftSettings),
        .executableTarget(
            name: "ttad-controller",
            dependencies: ["Robots", "ZeroMQ", "Demonstrators", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),

        // MARK: Adaptation: N attempts, scoring, the update, the gate and rollback
        .target(
            name: "Adaptation",
            dependencies: ["Policy", "Learning", "Checkpoints", "Robots"],
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "ttad-lab",
            dependencies: [
                "Adaptation", "Policy", "Learning", "Robots", "Checkpoints", "BLAS", "Demonstrators",
                // LabController starts a real ttad-controller the way the tests do.
                "TTADTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: History: the SQLite record of tasks, attempts, updates, checkpoints
        .target(
            name: "History",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),

        // MARK: The daemon and its clients
        .target(
            name: "Wire",
            dependencies: ["ZeroMQ"],
            swiftSettings: swiftSettings),
        .target(
            name: "Daemon",
            dependencies: [
                "ZeroMQ", "Systemd", "BLAS", "Wire", "History", "Adaptation", "Checkpoints", "Learning",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "ttad",
            dependencies: [
                "Daemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "ttactl",
            dependencies: [
                "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Benchmarks (bench/README.md): ratios against the alternative a user would pick
        .executableTarget(
            name: "ttad-bench",
            dependencies: [
                "BLAS", "Policy", "Learning", "Robots", "MuJoCo", "ZeroMQ", "Wire", "TTADTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: mathSettings),

        // MARK: Tests: each talks to the real library or the real daemon
        // TTADTesting starts the real processes (ttad, ttad-controller, ttactl) for the test targets
        // (and seeds histories for them and ttad-bench); it is in no product.
        .target(name: "TTADTesting", dependencies: ["Wire", "History"], swiftSettings: swiftSettings),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"]),
        .testTarget(name: "BLASTests", dependencies: ["BLAS"]),
        .testTarget(name: "MuJoCoTests", dependencies: ["MuJoCo"], resources: [.copy("Models")]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "BLAS"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Policy"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Policy", "Learning"]),
        .testTarget(name: "RobotsTests", dependencies: ["Robots", "MuJoCo", "ZeroMQ", "TTADTesting", "Demonstrators"]),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "HistoryTests", dependencies: ["History"]),
        .testTarget(name: "AdaptationTests", dependencies: ["Adaptation", "Policy", "Learning", "Robots", "Checkpoints", "TTADTesting"]),
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Adaptation", "Robots", "Wire", "ZeroMQ", "History", "TTADTesting"]),
    ]
)
