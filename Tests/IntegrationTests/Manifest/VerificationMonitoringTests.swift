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

/// A PostgreSQL job `pg` for the real binary with one bucket, a webhook to the test's own HTTP
/// listener and a metrics textfile.
private struct MonitoredVerifySetup {
    let s3: TestS3
    let pg: PostgresTestServer
    let database: String
    let directory: String
    let configPath: String
    let bucket: String
    let hooks: TestHTTPServer
    let prefix = "vm/pg"
    var textfile: String { directory + "/backupd.prom" }

    init() async throws {
        s3 = try TestS3.environment()
        pg = try TestServers.postgres()
        database = try pg.createDatabase(prefix: "vmon")
        _ = try pg.psql("CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 500);", database: database)
        bucket = try await s3.makeBucket("vmon").settings.bucket
        hooks = try TestHTTPServer()
        directory = FileManager.default.temporaryDirectory.path + "/backupd-vmon-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.json"
    }

    /// Writes the config: a backup once at `backupAt` (nil: never by schedule) and `verify`.
    func writeConfig(backupAt: Date?, verify: [String: Any]) throws {
        var schedule = "0 0 1 1 *"
        if let backupAt {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let at = calendar.dateComponents([.second, .minute, .hour, .day, .month], from: backupAt)
            schedule = "\(at.second!) \(at.minute!) \(at.hour!) \(at.day!) \(at.month!) *"
        }
        let job: [String: Any] = [
            "name": "pg", "engine": "postgres", "schedule": schedule, "catchUp": "none", "destination": "s3", "prefix": prefix,
            "connection": ["host": pg.host, "port": pg.port, "username": pg.user, "password": ["env": "VM_PG_PASSWORD"], "database": database],
            "verify": verify, "notify": ["webhooks": [hooks.url("/hook/vm")]],
        ]
        let root: [String: Any] = [
            "stateDirectory": directory + "/state", "metrics": ["textfile": textfile],
            "destinations": [["name": "s3", "endpoint": s3.endpoint.absoluteString, "region": s3.region, "bucket": bucket,
                              "accessKeyId": s3.accessKey, "secretAccessKey": ["env": "VM_S3_SECRET"], "pathStyle": true]],
            "jobs": [job],
        ]
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: configPath))
        chmod(configPath, 0o600)
    }

    var environment: [String: String] {
        var environment = Pipeline.defaultEnvironment
        environment["VM_S3_SECRET"] = s3.secretKey
        environment["VM_PG_PASSWORD"] = pg.password
        return environment
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: directory + "/state", readOnly: true) }

    func backupd(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", configPath], environment: environment ?? self.environment, timeout: 120)
    }

    /// The newest scheduled verification satisfying `condition`, waiting up to `timeout`.
    func waitForVerification(timeout: TimeInterval, _ condition: @escaping (VerificationRecord) -> Bool) async -> VerificationRecord? {
        var found: VerificationRecord?
        _ = await poll(timeout: timeout) {
            found = (try? history().verifications(job: "pg"))?.first { $0.trigger == .schedule && condition($0) }
            return found != nil
        }
        return found
    }

    /// The textfile's sample `name{labels}` (nil when absent).
    func metric(_ name: String, labels: String = "backup_job=\"pg\",destination=\"s3\"") -> Double? {
        let text = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
        let prefix = "\(name){\(labels)} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    /// The webhook bodies received with `event`.
    func hookEvents(_ event: String) -> [[String: Any]] {
        hooks.requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }.filter { $0["event"] as? String == event }
    }

    func remove() {
        try? pg.dropDatabase(database)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Failed verifications reach monitoring: the `verification_failed` webhook, the verification
/// metrics and `backupd status`; a verification that cannot run here is not a failed backup.
@Suite("Verification is monitored", .timeLimit(.minutes(4)), .ownThreads)
struct VerificationMonitoringTests {
    /// The daemon verifies every 5 s: a good backup gives success 1 and `status` exit 0; after one
    /// byte of the stored dump is flipped (AWS CLI), the next scheduled verification fails, the
    /// webhook gets one `verification_failed` naming the backup and the digest mismatch, the
    /// metric is 0 with a newer timestamp and `status` exits 1 with VERIFICATION-FAILED; once the
    /// byte is put back, a passing verification clears both.
    @Test func corruptedObjectRaisesWebhookMetricAndStatus() async throws {
        let setup = try await MonitoredVerifySetup()
        defer { setup.remove() }
        try setup.writeConfig(backupAt: Date().addingTimeInterval(8), verify: ["schedule": "*/5 * * * * *"])
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")

        let good = try #require(await setup.waitForVerification(timeout: 90) { $0.passed }, "no passing verification; log:\n\(daemon.log)")
        #expect(await poll(timeout: 10) { setup.metric("backupd_last_verification_success") == 1 })
        let okStatus = try setup.backupd(["status"])
        #expect(okStatus.status == 0, "\(okStatus.stdout)\(okStatus.stderr)")

        let run = try #require(try setup.history().runs(HistoryQuery(job: "pg", status: .succeeded)).first)
        let key = try #require(run.objectKey)
        try setup.s3.rewrite(bucket: setup.bucket, key: key) { $0[$0.count / 2] ^= 0x01 }
        let failed = try #require(
            await setup.waitForVerification(timeout: 60) { !$0.passed && $0.startedAt > good.startedAt },
            "no failed verification; log:\n\(daemon.log)")
        #expect(failed.failed && !failed.couldNotRun)
        #expect(await poll(timeout: 20) { !setup.hookEvents("verification_failed").isEmpty })
        let hook = try #require(setup.hookEvents("verification_failed").first)
        #expect(hook["job"] as? String == "pg" && hook["backupId"] as? String == good.backupID && hook["trigger"] as? String == "verify-schedule")
        let problems = hook["problems"] as? [String] ?? []
        #expect(problems.contains { $0.contains(key) && $0.contains("SHA-256 expected \(run.sha256 ?? "?")") }, "\(problems)")
        #expect(!setup.hooks.requests.contains { $0.text.contains(setup.pg.password) || $0.text.contains(setup.s3.secretKey) })
        #expect(await poll(timeout: 10) { setup.metric("backupd_last_verification_success") == 0 })
        let stamp = try #require(setup.metric("backupd_last_verification_timestamp_seconds"))
        #expect(stamp >= failed.endedAt.timeIntervalSince1970 - 0.001)
        let badStatus = try setup.backupd(["status"])
        #expect(badStatus.status == 1, "\(badStatus.stdout)\(badStatus.stderr)")
        #expect(badStatus.stdout.contains("VERIFICATION-FAILED") && badStatus.stdout.contains("verification of backup \(good.backupID)"), "\(badStatus.stdout)")

        try setup.s3.rewrite(bucket: setup.bucket, key: key) { $0[$0.count / 2] ^= 0x01 }
        let repaired = try #require(
            await setup.waitForVerification(timeout: 60) { $0.passed && $0.startedAt > failed.startedAt },
            "no passing verification after the repair; log:\n\(daemon.log)")
        #expect(repaired.backupID == good.backupID)
        #expect(await poll(timeout: 10) { setup.metric("backupd_last_verification_success") == 1 })
        let clearedStatus = try setup.backupd(["status"])
        #expect(clearedStatus.status == 0, "\(clearedStatus.stdout)\(clearedStatus.stderr)")

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60) == 0, "log:\n\(daemon.log)")
        // Its stderr is a file, not the journal: every line carries its time after the priority.
        let timePrefix = #/^<[0-7]>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /#
        let lines = daemon.log.split(separator: "\n").filter { $0.hasPrefix("<") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.firstMatch(of: timePrefix) != nil }, "log:\n\(daemon.log)")
    }

    /// Without `pg_restore` on PATH (pg_dump still there), `run-now` with `verify.afterBackup`
    /// stores the backup (one succeeded row), records the verification as could-not-verify with
    /// `could not verify: pg_restore not installed`, sends no `verification_failed`, sets no
    /// verification metric, and `status` stays ok (exit 0).
    @Test func missingPgRestoreIsCouldNotVerify() async throws {
        let setup = try await MonitoredVerifySetup()
        defer { setup.remove() }
        try setup.writeConfig(backupAt: nil, verify: ["afterBackup": true])
        let bin = setup.directory + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for tool in ["pg_dump", "pg_dumpall", "psql"] {
            let target = try #require(["/usr/bin/\(tool)"].first { FileManager.default.isExecutableFile(atPath: $0) })
            try FileManager.default.createSymbolicLink(atPath: "\(bin)/\(tool)", withDestinationPath: target)
        }
        var environment = setup.environment
        environment["PATH"] = bin

        let result = try setup.backupd(["run-now", "pg"], environment: environment)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let runs = try setup.history().runs(HistoryQuery(job: "pg"))
        #expect(runs.count == 1 && runs.first?.status == .succeeded, "\(runs)")
        let records = try setup.history().verifications(job: "pg")
        let record = try #require(records.first, "no verification recorded")
        #expect(records.count == 1 && record.trigger == .afterBackup)
        #expect(record.couldNotRun && !record.passed && !record.failed)
        #expect(record.error == "could not verify: pg_restore not installed", "\(record.error ?? "")")
        #expect(setup.hookEvents("verification_failed").isEmpty)
        #expect(setup.metric("backupd_last_verification_success") == nil)
        #expect(!((try? String(contentsOfFile: setup.textfile, encoding: .utf8)) ?? "").contains("backupd_last_verification_success{"))
        let status = try setup.backupd(["status"])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        let list = try setup.backupd(["list", "pg"])
        #expect(list.stdout.contains("not-run "), "\(list.stdout)")
    }
}
