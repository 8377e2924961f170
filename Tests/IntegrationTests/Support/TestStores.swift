import Foundation
import Logging
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Where the round trips store their backups, and the config of that destination: a fresh bucket
/// on the radosgw test server, written through the live `S3StoreProvider`.
struct TestDestination {
    let provider: any ObjectStoreProvider
    let store: any BackupObjectStore
    let json: [String: Any]

    /// A fresh, empty bucket for one test.
    static func make() async throws -> TestDestination {
        let s3 = try TestS3.environment()
        let bucket = try await s3.makeBucket("eng").settings.bucket
        let provider = S3StoreProvider(logger: Logger(label: "it.s3"))
        let json: [String: Any] = [
            "name": "test", "endpoint": s3.endpoint.absoluteString, "region": s3.region, "bucket": bucket,
            "accessKeyId": s3.accessKey, "secretAccessKey": s3.secretKey, "pathStyle": true, "partSizeMiB": 5,
        ]
        return TestDestination(provider: provider, store: try provider.store(for: s3.destination(bucket: bucket)), json: json)
    }

    /// Nothing stored under `prefix` and no multipart upload left open there.
    func isEmpty(prefix: String) async throws -> Bool {
        let objects = try await store.list(prefix: prefix)
        let uploads = try await store.openUploads(prefix: prefix)
        return objects.isEmpty && uploads.isEmpty
    }
}

/// Builds validated configs for integration tests.
enum IntegrationConfig {
    /// One destination and one job named `name`, with `job`'s keys over the defaults.
    static func make(destination: TestDestination, name: String, job: [String: Any]) throws -> BackupConfig {
        var entry: [String: Any] = ["name": name, "schedule": "0 3 * * *", "destination": "test", "prefix": "it/\(name)"]
        for (key, value) in job { entry[key] = value }
        let root: [String: Any] = ["stateDirectory": "/tmp/backupd-it", "destinations": [destination.json], "jobs": [entry]]
        let data = try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        let sources = ConfigSources(
            environment: [:], readFile: { _ in [] }, permissions: { _ in 0o600 }, isReadable: { _ in true })
        return try BackupConfig.parse(Array(data), file: "/test/config.json", sources: sources).config
    }
}

/// Runs backups and restores the way `backupd run-now` and `backupd restore` do.
struct Pipeline {
    let destination: TestDestination
    let config: BackupConfig
    let job: JobConfig
    var launcher: any ProcessLauncher = PosixProcessLauncher()
    /// backupd's environment (the tools get a minimal one derived from it).
    var environment = Pipeline.defaultEnvironment

    init(destination: TestDestination, name: String, job: [String: Any], launcher: any ProcessLauncher = PosixProcessLauncher()) throws {
        self.destination = destination
        config = try IntegrationConfig.make(destination: destination, name: name, job: job)
        self.job = config.jobs[0]
        self.launcher = launcher
    }

    static var defaultEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        // Debian keeps the newest client tools here too; the PATH ones come first.
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":" + PostgresTestServer.serverBinDirectories.joined(separator: ":")
        return environment
    }

    /// Takes a backup now.
    func backup() async -> RunOutcome {
        await BackupRunner(stores: destination.provider, launcher: launcher, clock: SystemWallClock(), environment: environment)
            .execute(job: job, config: config, startedAt: Date(), progress: { _ in }, logger: Logger(label: "it"))
    }

    /// Restores the newest backup (or `key`).
    func restore(key: String? = nil, options: RestoreOptions) async throws -> Restorer.Result {
        try await Restorer(stores: destination.provider, launcher: launcher, environment: environment)
            .restore(job: job, config: config, key: key, options: options, logger: Logger(label: "it"))
    }
}

/// `count` random bytes from /dev/urandom (fast, unlike drawing them one by one).
func randomData(_ count: Int) -> Data {
    FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: count)
}
