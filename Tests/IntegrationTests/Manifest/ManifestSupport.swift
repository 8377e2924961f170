import BackupTestSupport
import Foundation
import Logging
import SigV4
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

extension TestDestination {
    /// A fresh bucket reached through `port` on loopback (a proxy in front of the S3 server).
    static func make(throughPort port: Int) async throws -> TestDestination {
        let s3 = try TestS3.environment()
        let bucket = try await s3.makeBucket("mf").settings.bucket
        let provider = S3StoreProvider(logger: Logger(label: "it.s3"))
        let endpoint = URL(string: "http://127.0.0.1:\(port)")!
        let json: [String: Any] = [
            "name": "test", "endpoint": endpoint.absoluteString, "region": s3.region, "bucket": bucket,
            "accessKeyId": s3.accessKey, "secretAccessKey": s3.secretKey, "pathStyle": true, "partSizeMiB": 5,
        ]
        var destination = s3.destination(bucket: bucket)
        destination.endpoint = endpoint
        return TestDestination(provider: provider, store: try provider.store(for: destination), json: json)
    }

    /// The bucket's name.
    var bucket: String { json["bucket"] as! String }
}

extension Pipeline {
    /// Takes a backup as if started at `startedAt`.
    func backup(startedAt: Date) async -> RunOutcome {
        await BackupRunner(stores: destination.provider, launcher: launcher, clock: SystemWallClock(), environment: environment)
            .execute(job: job, config: config, startedAt: startedAt, cancellation: RunCancellation(), progress: { _ in }, logger: Logger(label: "it"))
    }

    /// Verifies (and records into `history`, when given) the way `backupd verify` does.
    func verify(_ selection: VerifyRunner.Selection = .latest, restoreTo: String? = nil, history: HistoryStore? = nil) async throws -> [VerifyReport] {
        try await VerifyRunner(stores: destination.provider, launcher: launcher, environment: environment, clock: SystemWallClock(), history: history)
            .run(job: job, config: config, selection: selection, restoreTo: restoreTo, trigger: .verify, logger: Logger(label: "it"))
    }

    /// The job's catalog.
    var catalog: BackupCatalog { BackupCatalog(store: destination.store, job: job) }
}

extension TestS3 {
    /// The SHA-256 of the object at `key` as the AWS CLI (a second client) downloads it.
    func cliDigest(bucket: String, key: String) throws -> String {
        SHA256.hex(SHA256.hash(try cliBytes(bucket: bucket, key: key)))
    }

    /// The digest of the unsegmented object `object` as the AWS CLI downloads it, computed the way
    /// its manifest records it: the whole stream's SHA-256, or over its parts (format 2).
    func cliDigest(bucket: String, as object: BackupManifest.Object) throws -> String {
        let bytes = try cliBytes(bucket: bucket, key: object.key)
        guard object.isDigestedByParts else { return SHA256.hex(SHA256.hash(bytes)) }
        return ExpectedDigest.byParts(bytes, sizes: (object.parts ?? []).map(\.size))
    }

    /// The bytes of the object at `key` as the AWS CLI downloads it.
    func cliBytes(bucket: String, key: String) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bd-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let get = try aws(["s3", "cp", "s3://\(bucket)/\(key)", file])
        guard get.status == 0 else { throw TestServerError.toolFailed(tool: "aws", arguments: ["s3", "cp"], status: get.status, stderr: get.error) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    /// The manifest at `key` as the AWS CLI downloads it.
    func cliManifest(bucket: String, key: String) throws -> BackupManifest {
        try BackupManifest.parse(try cliBytes(bucket: bucket, key: key), key: key)
    }

    /// Replaces the object at `key` with `transform` of its bytes, through the AWS CLI.
    func rewrite(bucket: String, key: String, _ transform: (inout [UInt8]) -> Void) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bd-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        guard try aws(["s3", "cp", "s3://\(bucket)/\(key)", file]).status == 0 else { throw TestServerError.toolMissing(tool: "aws s3 cp") }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        transform(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let put = try aws(["s3", "cp", file, "s3://\(bucket)/\(key)"])
        guard put.status == 0 else { throw TestServerError.toolFailed(tool: "aws", arguments: ["s3", "cp"], status: put.status, stderr: put.error) }
    }
}

/// A 0600 config file beside `state` (the history's directory) holding `pipeline`'s job, with
/// `connection` and `extra` keys, and destination, for the real `backupd` binary.
struct CommandLineJob {
    let path: String

    init(state: String, destination: TestDestination, pipeline: Pipeline, connection: [String: Any], extra: [String: Any] = [:]) throws {
        var job: [String: Any] = [
            "name": pipeline.job.name, "engine": pipeline.job.engine.rawValue, "schedule": "0 3 * * *", "destination": "test",
            "prefix": pipeline.job.prefix, "connection": connection,
        ]
        job.merge(extra) { $1 }
        path = state + ".json"
        try JSONSerialization.data(withJSONObject: ["stateDirectory": state, "destinations": [destination.json], "jobs": [job]])
            .write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// Runs `backupd ARGUMENTS --config PATH` with the test servers' client tools on PATH.
    func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", path], environment: Pipeline.defaultEnvironment, timeout: 120)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A temporary directory for a test's history.
func temporaryStateDirectory() -> String {
    FileManager.default.temporaryDirectory.path + "/backupd-mf-\(UUID().uuidString)"
}
