import Cron
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd prune, list and run-now with retention", .ownThreads)
struct PruneCommandTests {
    /// A config file for job `app` (a command backup under prefix `cli`, keepLast 2, Berlin time)
    /// and its state directory; `credentials` replaces the destination's keys.
    static func writeConfig(_ destination: TestDestination, credentials: (String, String)? = nil) throws -> (path: String, state: String) {
        let state = FileManager.default.temporaryDirectory.path + "/backupd-prune-\(UUID().uuidString)"
        var json = destination.json
        if let (key, secret) = credentials {
            json["accessKeyId"] = key
            json["secretAccessKey"] = secret
        }
        let root: [String: Any] = [
            "stateDirectory": state, "timeZone": "Europe/Berlin", "destinations": [json],
            "retention": ["keepLast": 2],
            "jobs": [["name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "cli",
                      "connection": ["argv": ["printf", "hello"], "extension": ".txt"]]],
        ]
        let path = state + ".json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        return (path, state)
    }

    /// Three legacy backups (written by earlier versions, token-less names) on past days, a
    /// neighbour job's backup and a stranger's object.
    static func seed(_ client: S3Client) async throws -> (backups: [String], bystanders: [String]) {
        let backups = ["cli/app-20261110T020000Z.txt.zst", "cli/app-20261111T020000Z.txt.zst", "cli/app-20261112T020000Z.txt.zst"]
        let bystanders = ["cli/app-old-20261101T020000Z.txt.zst", "cli/app.txt"]
        try await PastBackups.write(backups + bystanders, with: client)
        return (backups, bystanders)
    }

    /// `prune --dry-run` prints every backup with keep or delete and the rule, and deletes
    /// nothing; `list` shows the same decision per object; `prune` then deletes the oldest and
    /// records it; the neighbour's and the stranger's objects stay.
    @Test func dryRunListAndPrune() async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let bucket = destination.json["bucket"] as! String
        let client = s3.client(s3.settings(bucket: bucket))
        let (backups, bystanders) = try await Self.seed(client)
        let (config, state) = try Self.writeConfig(destination)
        defer {
            try? FileManager.default.removeItem(atPath: config)
            try? FileManager.default.removeItem(atPath: state)
        }
        let environment = ProcessInfo.processInfo.environment

        let dry = try runBackupd(["prune", "app", "--dry-run", "--config", config], environment: environment)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("app (dry run, nothing is deleted): keeps the newest 2 (the newest backup always)"))
        #expect(dry.stdout.contains("app-20261112T020000Z  2026-11-12T03:00:00+01:00  keep (last)"))
        #expect(dry.stdout.contains("app-20261111T020000Z  2026-11-11T03:00:00+01:00  keep (last)"))
        #expect(dry.stdout.contains("app-20261110T020000Z  2026-11-10T03:00:00+01:00  delete"))
        #expect(dry.stdout.contains("2 kept, 1 would be deleted"))
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (backups + bystanders).sorted())
        #expect(!FileManager.default.fileExists(atPath: state))  // a dry run does not even create the history

        let list = try runBackupd(["list", "app", "--config", config], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("RETENTION"))
        #expect(list.stdout.range(of: #"keep \(last\)\s+app-20261112T020000Z \(legacy\)"#, options: .regularExpression) != nil)
        #expect(list.stdout.range(of: #"delete\s+app-20261110T020000Z \(legacy\)"#, options: .regularExpression) != nil)

        let prune = try runBackupd(["prune", "--config", config], environment: environment)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("2 kept, 1 deleted (1 objects), 0 objects refused"))
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (Array(backups.dropFirst()) + bystanders).sorted())
        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        #expect(try history.deletions(job: "app").map(\.objectKey) == [backups[0]])
    }

    /// After a successful `run-now` the job is pruned to its policy (the new backup and the
    /// newest old one); a failed run-now deletes nothing.
    @Test func runNowPrunesAfterSuccessOnly() async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let bucket = destination.json["bucket"] as! String
        let client = s3.client(s3.settings(bucket: bucket))
        let (backups, bystanders) = try await Self.seed(client)
        let (config, state) = try Self.writeConfig(destination)
        defer {
            try? FileManager.default.removeItem(atPath: config)
            try? FileManager.default.removeItem(atPath: state)
        }
        var broken = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as! [String: Any]
        var jobs = broken["jobs"] as! [[String: Any]]
        jobs[0]["connection"] = ["argv": ["false"], "extension": ".txt"]
        broken["jobs"] = jobs
        let brokenPath = config + ".broken.json"
        try JSONSerialization.data(withJSONObject: broken).write(to: URL(fileURLWithPath: brokenPath))
        chmod(brokenPath, 0o600)
        defer { try? FileManager.default.removeItem(atPath: brokenPath) }
        let environment = Pipeline.defaultEnvironment

        let failed = try runBackupd(["run-now", "app", "--config", brokenPath], environment: environment)
        #expect(failed.status == 1)
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (backups + bystanders).sorted())

        let run = try runBackupd(["run-now", "app", "--config", config], environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        let keys = try PastBackups.awsKeys(s3, bucket: bucket)
        let newBackup = keys.filter { $0.hasPrefix("cli/app-2") && !backups.contains($0) }
        #expect(newBackup.count == 2 && newBackup.contains { $0.hasSuffix(".manifest.json") })  // its object and its manifest
        #expect(keys == (newBackup + [backups[2]] + bystanders).sorted())
        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        #expect(try history.deletions(job: "app").map(\.objectKey).sorted() == [backups[0], backups[1]])
    }

    /// With a key that may not list the bucket, prune exits 1 naming the failed listing and
    /// deletes nothing.
    @Test func listingDeniedDeletesNothing() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let key = env["BACKUPD_TEST_S3_RESTRICTED_ACCESS_KEY"], let secret = env["BACKUPD_TEST_S3_RESTRICTED_SECRET_KEY"] else {
            throw TestS3.Missing(variable: "BACKUPD_TEST_S3_RESTRICTED_ACCESS_KEY")
        }
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let bucket = destination.json["bucket"] as! String
        let (backups, bystanders) = try await Self.seed(s3.client(s3.settings(bucket: bucket)))
        let (config, state) = try Self.writeConfig(destination, credentials: (key, secret))
        defer {
            try? FileManager.default.removeItem(atPath: config)
            try? FileManager.default.removeItem(atPath: state)
        }
        let prune = try runBackupd(["prune", "app", "--config", config], environment: env)
        #expect(prune.status == 1)
        #expect(prune.stderr.contains("app at test: cannot list the backups of app under cli/app- (access denied for ListObjectsV2"), "\(prune.stderr)")
        #expect(prune.stderr.contains("nothing was deleted"))
        #expect(!prune.stderr.contains(secret))
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (backups + bystanders).sorted())
    }
}
