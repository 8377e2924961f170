// swift-tools-version:6.0
import PackageDescription

// The commit `backupd --version` names: from git when the sources are a checkout, else "unknown"
// (a build from a tarball works the same). Only hex digits and "-dirty" reach the C define.
let buildCommit: String = {
    guard let git = Context.gitInformation else { return "unknown" }
    let commit = String(git.currentCommit.prefix(12)).filter { $0.isHexDigit }
    return commit.isEmpty ? "unknown" : commit + (git.hasUncommittedChanges ? "-dirty" : "")
}()

let package = Package(
    name: "backupd",
    products: [
        .executable(name: "backupd", targets: ["backupd"]),
        .library(name: "BackupKit", targets: ["BackupKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries. Variadic C functions (curl_easy_setopt, ...) are wrapped in typed
        // static inline functions in each shim header, since Swift cannot call C variadics.
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // Linux headers Glibc's module leaves out (timerfd); no library to link.
        .systemLibrary(name: "CLinux"),

        // The git commit of the build, for `backupd --version`.
        .target(name: "CBuildInfo", cSettings: [.define("BACKUPD_GIT_COMMIT", to: "\"\(buildCommit)\"")]),

        // Pure leaf targets: no I/O of their own.
        .target(name: "Cron"),
        .target(name: "SigV4", dependencies: ["CCrypto"]),
        // SHA-256 on the x86 SHA extensions, two digests per pass (a part's and the stream's).
        .target(name: "CSHA256Pair", cSettings: [.unsafeFlags(["-O2"])]),

        // The core: byte sources, the storage seam, clocks, process launching, secrets' memory
        // files, the one bridge to blocking calls, small value types. Depends on no other layer.
        .target(
            name: "BackupCore",
            dependencies: ["CLinux", .product(name: "Logging", package: "swift-log")]),
        // HTTP over libcurl and the S3 client, built from `S3Settings` (never from config types).
        .target(
            name: "S3Kit",
            dependencies: [
                "BackupCore", "SigV4", "CCurl", "CCrypto", "CSHA256Pair",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The configuration: the JSON model, strict reader and validation (S3's provider profiles).
        .target(name: "ConfigKit", dependencies: ["BackupCore", "S3Kit", "Cron", "SigV4"]),
        // The SQLite history with its own record types.
        .target(name: "BackupHistory", dependencies: ["BackupCore", "CSQLite", "Cron"]),
        // One dump/restore runner per engine (argv, environment, checks).
        .target(
            name: "BackupEngines",
            dependencies: ["BackupCore", "ConfigKit"]),

        // The domain and the daemon's composition root.
        .target(
            name: "BackupKit",
            dependencies: [
                "BackupCore", "S3Kit", "ConfigKit", "BackupHistory", "BackupEngines",
                "Cron", "SigV4", "CLinux", "CZstd", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),

        // Test doubles and fixtures shared by the test targets; no product links it.
        .target(
            name: "BackupTestSupport",
            dependencies: [
                "BackupCore", "ConfigKit", "BackupKit", "SigV4",
            ]),

        // The thin executable.
        .executableTarget(
            name: "backupd",
            dependencies: [
                "BackupKit", "BackupCore", "S3Kit", "ConfigKit", "BackupHistory", "BackupEngines", "Cron", "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Benchmarks (bench/*.sh run them in release mode).
        .executableTarget(name: "history-bench", dependencies: ["BackupKit", "BackupHistory", "CSQLite"]),
        .executableTarget(name: "scheduler-bench", dependencies: ["BackupKit"]),
        .executableTarget(name: "cron-bench", dependencies: ["Cron"]),
        // A fresh process for MallocPolicyProcessTests (a test process's heap is already fragmented).
        .executableTarget(name: "malloc-probe", dependencies: ["BackupKit", "BackupCore", "CLinux"]),
        .executableTarget(
            name: "s3-bench",
            dependencies: [
                "BackupKit", "BackupCore", "S3Kit", "SigV4", .product(name: "Logging", package: "swift-log"),
            ]),

        // Test bodies run on threads of their own, off the cooperative pool (OwnThreads.swift).
        .target(name: "TestThreads", path: "Tests/TestThreads"),
        .testTarget(name: "CronTests", dependencies: ["Cron"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"]),
        .testTarget(
            name: "BackupKitTests",
            dependencies: [
                "BackupKit", "BackupCore", "S3Kit", "ConfigKit", "BackupHistory", "BackupEngines", "BackupTestSupport",
                "Cron", "SigV4", "CSQLite", "TestThreads",
            ]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "BackupKit", "BackupCore", "S3Kit", "ConfigKit", "BackupHistory", "BackupEngines", "BackupTestSupport",
                "Cron", "SigV4", "TestThreads",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
