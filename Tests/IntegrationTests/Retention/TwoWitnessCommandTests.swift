import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The two-witness rule and exact names through the real `backupd` binary against radosgw: the
/// AWS CLI plants strangers and removes manifests behind backupd's back.
@Suite("backupd prune, list, restore and verify with strangers and missing manifests", .ownThreads)
struct TwoWitnessCommandTests {
    /// A bucket, a config for job `app` (a `command` job under `cli` writing a fresh UUID, `.out`)
    /// and its state directory; `retention` at the top level when given.
    struct Setup {
        let s3: TestS3
        let bucket: String
        let state: String
        let environment = Pipeline.defaultEnvironment

        init() async throws {
            s3 = try TestS3.environment()
            let destination = try await TestDestination.make()
            bucket = destination.json["bucket"] as! String
            state = FileManager.default.temporaryDirectory.path + "/backupd-witness-\(UUID().uuidString)"
            for (name, retention) in [("keep-all", nil), ("keep-last-1", ["keepLast": 1])] as [(String, [String: Int]?)] {
                var root: [String: Any] = [
                    "stateDirectory": state, "timeZone": "UTC", "destinations": [destination.json],
                    "jobs": [["name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "cli",
                              "connection": ["argv": ["cat", "/proc/sys/kernel/random/uuid"], "extension": ".out"]]],
                ]
                if let retention { root["retention"] = retention }
                let path = state + "-\(name).json"
                try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
                chmod(path, 0o600)
            }
        }

        func config(_ name: String) -> String { state + "-\(name).json" }

        func remove() {
            for name in ["keep-all", "keep-last-1"] { try? FileManager.default.removeItem(atPath: config(name)) }
            try? FileManager.default.removeItem(atPath: state)
        }

        func backupd(_ arguments: [String], config name: String = "keep-all") throws -> (status: Int32, stdout: String, stderr: String) {
            try runBackupd(arguments + ["--config", config(name)], environment: environment)
        }

        /// Takes `count` backups with `run-now`, a second apart (distinct name stamps); their ids, oldest first.
        func backups(_ count: Int, config name: String = "keep-all") throws -> [String] {
            var ids: [String] = []
            for index in 0..<count {
                if index > 0 { Thread.sleep(forTimeInterval: 1.1) }
                let before = Set(try PastBackups.awsKeys(s3, bucket: bucket))
                let run = try backupd(["run-now", "app"], config: name)
                guard run.status == 0 else { throw TestSetupError("run-now failed: \(run.stderr)") }
                let manifest = try PastBackups.awsKeys(s3, bucket: bucket).filter { !before.contains($0) && $0.hasSuffix(".manifest.json") }
                guard manifest.count == 1 else { throw TestSetupError("run-now wrote \(manifest) as manifests") }
                ids.append(String(manifest[0].dropFirst("cli/".count).dropLast(".manifest.json".count)))
            }
            return ids
        }

        /// `restore app ID --to FILE` writes the backup's UUID and says which object it restored.
        func restores(_ id: String) throws -> Bool {
            let file = state + "-restore-\(id)"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let restore = try backupd(["restore", "app", id, "--to", file])
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return restore.status == 0 && restore.stdout.contains("restored cli/\(id).out.zst") && UUID(uuidString: text.trimmingCharacters(in: .newlines)) != nil
        }

        func put(_ key: String) throws {
            let body = state + "-body"
            try Data("operator's file\n".utf8).write(to: URL(fileURLWithPath: body))
            defer { try? FileManager.default.removeItem(atPath: body) }
            let result = try s3.aws(["s3api", "put-object", "--bucket", bucket, "--key", key, "--body", body])
            guard result.status == 0 else { throw TestSetupError("aws put-object \(key) failed: \(result.error)") }
        }

        func delete(_ key: String) throws {
            let result = try s3.aws(["s3api", "delete-object", "--bucket", bucket, "--key", key])
            guard result.status == 0 else { throw TestSetupError("aws delete-object \(key) failed: \(result.error)") }
        }
    }

    static let strangers = [
        "cli/app-20200101T000000Z.dump.zst.bak", "cli/app-20200101T000000Z-0a1b2c3d.manifest.json.bak",
        "cli/app-20200101T000000Z.txt", "cli/app-20200101T000000Z.tar.gz",
    ]

    /// Strangers planted with the AWS CLI under the job's prefix survive the after-backup prune
    /// and `backupd prune` (which name them), and `list --all` shows them apart (table and
    /// JSON); the backup retention keeps still restores.
    @Test func strangersSurvivePruneAndAreListed() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        for key in Self.strangers { try setup.put(key) }
        let ids = try setup.backups(2, config: "keep-last-1")  // the second run's prune deletes the first backup
        let prune = try setup.backupd(["prune", "app"], config: "keep-last-1")
        #expect(prune.status == 0, "\(prune.stdout)\(prune.stderr)")
        for key in Self.strangers { #expect(prune.stdout.contains("\(key)  stranger (not a backup name), never deleted")) }
        let keys = try PastBackups.awsKeys(setup.s3, bucket: setup.bucket)
        #expect(keys == (Self.strangers + ["cli/\(ids[1]).manifest.json", "cli/\(ids[1]).out.zst"]).sorted())

        let list = try setup.backupd(["list", "app", "--all"], config: "keep-last-1")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("strangers (not backup names; prune never deletes them):"))
        for key in Self.strangers { #expect(list.stdout.contains("  \(key)  ")) }
        #expect(!(try setup.backupd(["list", "app"], config: "keep-last-1")).stdout.contains("strangers"))
        let json = try setup.backupd(["list", "app", "--all", "--json"], config: "keep-last-1")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(Set(rows.filter { $0["state"] as? String == "stranger" }.compactMap { $0["id"] as? String }) == Set(Self.strangers))
        #expect(rows.filter { $0["state"] as? String == "complete" }.compactMap { $0["id"] as? String } == [ids[1]])
        #expect(try setup.restores(ids[1]))
    }

    /// The AWS CLI deletes the newest backup's manifest (the history records it as stored):
    /// `restore app` and `verify app` refuse to take the older one silently and name what to
    /// run; `prune` keeps the backup ("manifest missing: not deleting, run `backupd verify`"),
    /// withholds the policy's own deletion and exits 1, as does the after-backup prune of the next
    /// `run-now`; every other backup still restores.
    @Test func missingManifestIsNeverDeletedNorPassedOver() async throws {
        let setup = try await Setup()
        defer { setup.remove() }
        let ids = try setup.backups(3)
        try setup.delete("cli/\(ids[2]).manifest.json")

        let file = setup.state + "-restore-newest"
        let restore = try setup.backupd(["restore", "app", "--to", file])
        #expect(restore.status == 1)
        #expect(restore.stderr.contains("the history records backup \(ids[2])"), "\(restore.stderr)")
        #expect(restore.stderr.contains("the newest backup in the bucket, \(ids[1]), is older"))
        #expect(restore.stderr.contains("run `backupd verify app \(ids[2])`"))
        #expect(!FileManager.default.fileExists(atPath: file))
        let verify = try setup.backupd(["verify", "app"])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("the history records backup \(ids[2])"), "\(verify.stderr)")

        let dry = try setup.backupd(["prune", "app", "--dry-run"], config: "keep-last-1")
        #expect(dry.stdout.contains("\(ids[2])  "), "\(dry.stdout)")
        #expect(dry.stdout.contains("manifest missing: not deleting, run `backupd verify`"))
        let prune = try setup.backupd(["prune", "app"], config: "keep-last-1")
        #expect(prune.status == 1)
        #expect(prune.stdout.contains("manifest missing: not deleting, run `backupd verify`"), "\(prune.stdout)")
        #expect(prune.stdout.contains("delete (withheld)"))
        #expect(prune.stderr.contains("nothing is deleted for app here") && prune.stderr.contains("run `backupd verify app \(ids[2])`"))
        let keys = try PastBackups.awsKeys(setup.s3, bucket: setup.bucket)
        #expect(keys == ["cli/\(ids[0]).manifest.json", "cli/\(ids[0]).out.zst", "cli/\(ids[1]).manifest.json", "cli/\(ids[1]).out.zst", "cli/\(ids[2]).out.zst"].sorted())
        #expect(try setup.restores(ids[0]))
        #expect(try setup.restores(ids[1]))

        // The after-backup prune of `run-now` (the daemon's observer) withholds its deletions the same way.
        let next = try setup.backups(1, config: "keep-last-1")[0]
        let after = try PastBackups.awsKeys(setup.s3, bucket: setup.bucket)
        #expect(after == (keys + ["cli/\(next).manifest.json", "cli/\(next).out.zst"]).sorted())
        let history = try HistoryStore(stateDirectory: setup.state, readOnly: true)
        #expect(try history.deletions(job: "app").isEmpty)
        let newest = setup.state + "-restore-newest"
        defer { try? FileManager.default.removeItem(atPath: newest) }
        let restored = try setup.backupd(["restore", "app", "--to", newest])
        #expect(restored.status == 0 && restored.stdout.contains("restored cli/\(next).out.zst"), "\(restored.stderr)")
        for id in [ids[0], ids[1], next] { #expect(try setup.restores(id)) }
    }
}
