import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd list, verify and restore checks (the real binary)", .ownThreads)
struct VerifyCommandLineTests {
    /// run-now with verify.afterBackup records an after-backup verification; list and list --json
    /// show the backup from its manifest with that verification; verify exits 0, then 1 with the
    /// object, expected and found digest after a byte is flipped; list --all shows a backup whose
    /// manifest is gone as incomplete; restore --verify-first refuses the corrupt backup.
    @Test func listVerifyRestoreChecks() async throws {
        let s3 = try TestS3.environment()
        let destination = try await TestDestination.make()
        let state = temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let output = state + "-restored"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let job: [String: Any] = [
            "name": "files", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "cli/\(TestServers.uniqueName())",
            "connection": ["argv": ["head", "-c", "400000", "/dev/urandom"], "restoreArgv": ["sh", "-c", "cat > \(output)"], "extension": "bin"],
            "verify": ["afterBackup": true],
        ]
        let root: [String: Any] = ["stateDirectory": state, "destinations": [destination.json], "jobs": [job]]
        let configPath = state + ".json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let environment = Pipeline.defaultEnvironment

        for _ in 0..<2 {
            let run = try runBackupd(["run-now", "files", "--config", configPath], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains(".manifest.json"))
        }
        let history = try HistoryStore(stateDirectory: state, readOnly: true)
        #expect(try history.verifications(job: "files").map(\.trigger) == [.afterBackup, .afterBackup])

        let list = try runBackupd(["list", "files", "--config", configPath], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("TIME") == true && lines.count == 3)
        #expect(lines.dropFirst().allSatisfy { $0.contains("passed ") && $0.contains("zstd") })

        let json = try runBackupd(["list", "files", "--json", "--config", configPath], environment: environment)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        let newest = try #require(rows.first)
        let id = try #require(newest["id"] as? String)
        let objects = try #require(newest["objects"] as? [[String: Any]])
        let key = try #require(objects.first?["key"] as? String)
        let digest = try #require(newest["sha256"] as? String)
        let manifest = try s3.cliManifest(bucket: destination.bucket, key: try #require(newest["manifestKey"] as? String))
        let object = try #require(manifest.objects.first { $0.key == key })
        #expect(try s3.cliDigest(bucket: destination.bucket, as: object) == digest && object.digest == digest)

        let verify = try runBackupd(["verify", "files", "--all", "--config", configPath], environment: environment)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("verified \(id) (complete)"))

        try s3.rewrite(bucket: destination.bucket, key: key) { $0[100] ^= 0xff }
        let found = try s3.cliDigest(bucket: destination.bucket, as: object)
        let failed = try runBackupd(["verify", "files", id, "--config", configPath], environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("\(key): SHA-256 expected \(digest) (manifest), found \(found)"), "\(failed.stderr)")
        #expect(failed.stderr.contains("\(key): part 1 (bytes 0-\(object.size - 1)): SHA-256 expected \(object.parts?.first?.sha256 ?? "?") (manifest)"), "\(failed.stderr)")
        let failedJSON = try runBackupd(["verify", "files", "--latest", "--json", "--config", configPath], environment: environment)
        #expect(failedJSON.status == 1)
        #expect(failedJSON.stdout.contains("\"passed\" : false"))

        let refused = try runBackupd(["restore", "files", "--verify-first", "--config", configPath], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("failed verification, the target was not touched"))
        #expect(!FileManager.default.fileExists(atPath: output))
        let loud = try runBackupd(["restore", "files", "--config", configPath], environment: environment)
        #expect(loud.status == 1)

        let older = try #require(rows.last?["id"] as? String)
        let restored = try runBackupd(["restore", "files", older, "--verify-first", "--config", configPath], environment: environment)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("(matches the manifest)"))

        try await destination.store.delete(keys: [try #require(newest["manifestKey"] as? String)])
        let listed = try runBackupd(["list", "files", "--all", "--config", configPath], environment: environment)
        #expect(listed.stdout.contains("\(id) (incomplete)"))
        #expect(!(try runBackupd(["list", "files", "--config", configPath], environment: environment).stdout.contains(id)))
        // The history records the newest as stored: the older one is not taken silently as "the latest".
        let latest = try runBackupd(["verify", "files", "--latest", "--config", configPath], environment: environment)
        #expect(latest.status == 1)
        #expect(latest.stderr.contains("the history records backup \(id)") && latest.stderr.contains("\(older), is older"), "\(latest.stderr)")
        let named = try runBackupd(["verify", "files", older, "--config", configPath], environment: environment)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stdout.contains("verified \(older)"))
        // 2 after-backup, 2 from --all, one each for the id, --latest --json and the older by id,
        // and the two restore --verify-first checks.
        let recorded = try history.verifications(job: "files")
        #expect(recorded.count == 9)
        #expect(recorded.filter { $0.trigger == .restoreVerifyFirst }.map(\.passed) == [true, false])
    }
}
