import Foundation
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A bucket with three real backups of job `app` (made by `backupd run-now` straight to radosgw)
/// and two configs over one state directory: `direct` (radosgw, nothing pruned) and `tampered`
/// (through a `TamperingS3Proxy`, keepLast 2, a 2-second retry budget). The dump extension
/// `.dump` sorts a backup's data object before its manifest, as pg_dump's does.
struct TamperedBucket {
    let s3: TestS3
    let bucket: String
    let proxy: TamperingS3Proxy
    let directory: String
    let direct: String
    let tampered: String
    /// The backups' keys, oldest first, each its data object and its manifest.
    let backups: [[String]]

    static let environment = Pipeline.defaultEnvironment

    /// Makes the bucket, the proxy, the configs and the backups.
    static func make(grace: String = "30s", schedule: String = "0 3 * * *", keepLast: Int = 2) async throws -> TamperedBucket {
        let s3 = try TestS3.environment()
        let bucket = try await s3.makeBucket("tamper").settings.bucket
        let proxy = try TamperingS3Proxy(upstream: s3.endpoint)
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-tamper-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func config(_ name: String, endpoint: URL, retention: [String: Any], extra: [String: Any]) throws -> String {
            var root: [String: Any] = [
                "stateDirectory": directory + "/state", "timeZone": "UTC",
                "destinations": [[
                    "name": "test", "endpoint": endpoint.absoluteString, "region": s3.region, "bucket": bucket, "pathStyle": true,
                    "accessKeyId": s3.accessKey, "secretAccessKey": s3.secretKey, "retryFor": "2s",
                ] as [String: Any]],
                "jobs": [[
                    "name": "app", "engine": "command", "schedule": schedule, "destination": "test", "prefix": "cli",
                    "catchUp": "none", "retention": retention, "connection": ["argv": ["printf", "hello"], "extension": ".dump"],
                ] as [String: Any]],
            ]
            for (key, value) in extra { root[key] = value }
            let path = directory + "/\(name).json"
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
            return path
        }
        let direct = try config("direct", endpoint: s3.endpoint, retention: ["keepLast": 10], extra: [:])
        let tampered = try config("tampered", endpoint: proxy.endpoint, retention: ["keepLast": keepLast], extra: ["shutdownGracePeriod": grace])
        var backups: [[String]] = []
        for _ in 0..<3 {
            let before = Set(try PastBackups.awsKeys(s3, bucket: bucket))
            let run = try runBackupd(["run-now", "app", "--config", direct], environment: environment, timeout: 60)
            guard run.status == 0 else { throw TestSetupError("seeding run-now failed: \(run.stderr)") }
            backups.append(try PastBackups.awsKeys(s3, bucket: bucket).filter { !before.contains($0) }.sorted())
            try? await Task.sleep(for: .seconds(1.1))  // one backup a second: distinct stamps
        }
        guard backups.allSatisfy({ $0.count == 2 && $0[0].hasSuffix(".dump.zst") && $0[1].hasSuffix(".manifest.json") }) else {
            throw TestSetupError("unexpected backups: \(backups)")
        }
        return TamperedBucket(s3: s3, bucket: bucket, proxy: proxy, directory: directory, direct: direct, tampered: tampered, backups: backups)
    }

    /// Every key in the bucket, read with the AWS CLI.
    func keys() throws -> [String] { try PastBackups.awsKeys(s3, bucket: bucket) }

    /// Restores the newest backup straight from radosgw and returns what it holds.
    func restoreNewest(config: String? = nil) throws -> (status: Int32, content: String?, stderr: String) {
        let target = directory + "/restored-\(UUID().uuidString).dump"
        let run = try runBackupd(["restore", "app", "--to", target, "--config", config ?? direct], environment: Self.environment, timeout: 60)
        return (run.status, try? String(contentsOfFile: target, encoding: .utf8), run.stderr)
    }

    /// No DeleteObjects request through the proxy carried a key twice or more than 1,000 keys.
    var deleteRequestsAreClean: Bool {
        proxy.deleteBatches.allSatisfy { Set($0).count == $0.count && $0.count <= 1000 }
    }

    func cleanUp() {
        proxy.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
