import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The real binary's read-only commands: `history` and `status` need no secret, `status` tells
/// the truth about each job and exits 0 (all ok), 1 (a job not ok) or 2 (cannot read).
@Suite("Read-only commands and status", .ownThreads)
struct ReadOnlyCommandTests {
    /// A state directory and a config with one job `app` every minute whose password is an unset
    /// environment variable, and a second job `other` whose destination and password are literals.
    struct Fixture {
        let directory: String
        let config: String
        var state: String { directory + "/state" }
        static let unsetVariable = "BACKUPD_HARDENING_UNSET_PASSWORD"

        init(destination: [String: Any]? = nil, jobs extra: [[String: Any]] = []) throws {
            directory = FileManager.default.temporaryDirectory.path + "/backupd-readonly-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let target = destination ?? ["name": "test", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "readonly",
                                         "accessKeyId": "AKID", "secretAccessKey": "literal-Secret-2"]
            let jobs: [[String: Any]] = [
                ["name": "app", "engine": "postgres", "schedule": "* * * * *", "timeout": "30s", "destination": "test",
                 "connection": ["host": "127.0.0.1", "username": "u", "password": ["env": Self.unsetVariable], "database": "app"]],
            ] + extra
            let root: [String: Any] = ["stateDirectory": directory + "/state", "timeZone": "UTC", "destinations": [target], "jobs": jobs]
            config = directory + "/config.json"
            try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: config))
            chmod(config, 0o600)
        }

        /// Records a finished run of `job` that started `ago` seconds before now.
        func record(_ job: String, _ status: RunStatus, ago: Double, error: String? = nil) throws {
            let store = try HistoryStore(stateDirectory: state)
            let started = Date().addingTimeInterval(-ago)
            let id = try store.insertRunning(job: job, trigger: .schedule, scheduledAt: started, startedAt: started)
            try store.finish(runID: id, RunOutcome(status: status, endedAt: started.addingTimeInterval(1), error: error))
        }

        func run(_ arguments: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"]) throws -> (status: Int32, stdout: String, stderr: String) {
            try runBackupd(arguments + ["--config", config], environment: environment, timeout: 60)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// With the job's password variable unset, history and status work; run-now and validate
    /// fail naming the variable; validate --no-secrets passes.
    @Test func readOnlyCommandsNeedNoSecrets() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.record("app", .succeeded, ago: 5)
        let history = try fixture.run(["history"])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout.contains("app") && history.stdout.contains("succeeded"), "\(history.stdout)")
        #expect(!history.stderr.contains(Fixture.unsetVariable))
        let status = try fixture.run(["status"])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(!status.stderr.contains(Fixture.unsetVariable))
        let noSecrets = try fixture.run(["validate", "--no-secrets"])
        #expect(noSecrets.status == 0, "\(noSecrets.stderr)")
        #expect(noSecrets.stderr.contains("secrets were not read"))
        for command in [["validate"], ["run-now", "app"]] {
            let failed = try fixture.run(command)
            #expect(failed.status == 1, "\(command)")
            #expect(failed.stderr.contains("jobs[\"app\"].connection.password.env: environment variable \(Fixture.unsetVariable) is not set"), "\(failed.stderr)")
        }
        #expect(try HistoryStore(stateDirectory: fixture.state, readOnly: true).runs().count == 1)
    }

    /// list needs the destination's secrets only: with the job's own password unset it lists the bucket.
    @Test func listNeedsOnlyTheDestinationsSecrets() async throws {
        let s3 = try TestS3.environment()
        let bucket = try await s3.makeBucket("ro-list").settings.bucket
        let destination: [String: Any] = [
            "name": "test", "endpoint": s3.endpoint.absoluteString, "region": s3.region, "bucket": bucket,
            "accessKeyId": s3.accessKey, "secretAccessKey": s3.secretKey, "pathStyle": true,
        ]
        let fixture = try Fixture(destination: destination)
        defer { fixture.remove() }
        let list = try fixture.run(["list", "app"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stderr.contains("no backups of app"), "\(list.stderr)")
        #expect(!list.stderr.contains(Fixture.unsetVariable))
    }

    /// status exits 0 when every job is ok and 1 (saying why) when the newest attempt failed, when
    /// a job never succeeded, or when the newest success is older than two slots plus the timeout.
    @Test func statusExitCodes() throws {
        let other: [[String: Any]] = [["name": "other", "engine": "command", "schedule": "* * * * *", "timeout": "30s",
                                       "destination": "test", "connection": ["argv": ["echo", "x"]]]]
        let fixture = try Fixture(jobs: other)
        defer { fixture.remove() }
        try fixture.record("app", .succeeded, ago: 10)
        try fixture.record("other", .succeeded, ago: 10)
        #expect(try fixture.run(["status"]).status == 0)

        try fixture.record("other", .failed, ago: 2, error: "job other: the tool exited 3")
        let failed = try fixture.run(["status"])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("FAILED"), "\(failed.stdout)")
        #expect(failed.stdout.contains("other: run 3 failed at ") && failed.stdout.contains("job other: the tool exited 3"), "\(failed.stdout)")

        let stale = try Fixture()
        defer { stale.remove() }
        try stale.record("app", .succeeded, ago: 400)
        let overdue = try stale.run(["status"])
        #expect(overdue.status == 1)
        #expect(overdue.stdout.contains("OVERDUE") && overdue.stdout.contains("a newer one was due by"), "\(overdue.stdout)")

        let never = try Fixture()
        defer { never.remove() }
        try never.record("app", .interrupted, ago: 5)
        let result = try never.run(["status"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAILED") && result.stdout.contains("app: run 1 interrupted"), "\(result.stdout)")
        let empty = try Fixture()
        defer { empty.remove() }
        let none = try empty.run(["status"])
        #expect(none.status == 1)
        #expect(none.stdout.contains("NEVER-SUCCEEDED") && none.stdout.contains("app: no run has succeeded yet"), "\(none.stdout)")
    }

    /// A corrupt history, or a directory where the history file should be, is exit 2 naming the file.
    @Test func unreadableHistoryIsExitTwo() throws {
        let corrupt = try Fixture()
        defer { corrupt.remove() }
        try FileManager.default.createDirectory(atPath: corrupt.state, withIntermediateDirectories: true)
        let file = corrupt.state + "/" + HistoryStore.fileName
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: file))
        let result = try corrupt.run(["status"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("cannot read the history at \(file)"), "\(result.stderr)")

        let directory = try Fixture()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.state + "/" + HistoryStore.fileName, withIntermediateDirectories: true)
        #expect(try directory.run(["status"]).status == 2)
    }

    /// A config that does not load is exit 2 too, so monitoring tells "cannot tell" from "not ok".
    @Test func badConfigIsExitTwo() throws {
        let result = try runBackupd(["status", "--config", "/nonexistent/backupd.json"], environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot read the config file: No such file or directory"))
    }
}
