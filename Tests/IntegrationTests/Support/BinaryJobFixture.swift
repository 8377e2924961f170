import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// One job in a config file of its own, in a fresh bucket and state directory, for tests that
/// drive the built `backupd` binary and then read the bucket with other tools.
struct BinaryJobFixture {
    let destination: TestDestination
    let s3: TestS3
    let state: String
    let configPath: String
    let prefix: String
    var environment: [String: String]

    /// A config with `job` (its name is "job", under a unique prefix) and the destination's keys
    /// over `destinationKeys`.
    static func make(job: [String: Any], destinationKeys: [String: Any] = [:], environment extra: [String: String] = [:]) async throws -> BinaryJobFixture {
        let destination = try await TestDestination.make()
        let state = FileManager.default.temporaryDirectory.path + "/backupd-bin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let prefix = "manual/\(TestServers.uniqueName("p"))"
        var entry: [String: Any] = ["name": "job", "schedule": "0 3 * * *", "destination": "test", "prefix": prefix]
        for (key, value) in job { entry[key] = value }
        var target = destination.json
        for (key, value) in destinationKeys { target[key] = value }
        let root: [String: Any] = ["stateDirectory": state + "/state", "destinations": [target], "jobs": [entry]]
        let configPath = state + "/config.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        var environment = Pipeline.defaultEnvironment
        for (key, value) in extra { environment[key] = value }
        return BinaryJobFixture(
            destination: destination, s3: try TestS3.environment(), state: state, configPath: configPath, prefix: prefix, environment: environment)
    }

    var bucket: String { destination.json["bucket"] as! String }

    /// Runs `backupd ARGUMENTS --config CONFIG` (bounded by 300 s).
    func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", configPath], environment: environment, timeout: 300)
    }

    /// The manifest of the job's only backup, as stored.
    func onlyManifest() async throws -> BackupManifest {
        let keys = try await destination.store.list(prefix: prefix + "/").map(\.key).filter { $0.hasSuffix(ObjectName.manifestSuffix) }
        guard keys.count == 1 else { throw TestSetupError("expected one manifest under \(prefix), found \(keys)") }
        return try BackupManifest.parse(try await destination.store.read(key: keys[0]), key: keys[0])
    }

    /// The AWS CLI's variables for the bucket (credentials by environment, no config files).
    var awsEnvironment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": s3.accessKey, "AWS_SECRET_ACCESS_KEY": s3.secretKey, "AWS_DEFAULT_REGION": s3.region,
            "AWS_ENDPOINT_URL": s3.endpoint.absoluteString, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ]
    }

    func remove() { try? FileManager.default.removeItem(atPath: state) }
}
