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

/// A config of every-minute jobs against the real test servers, in a temporary directory, with
/// every secret passed by environment.
private struct EndToEndSetup {
    let directory: String
    let configPath: String
    let bucket: String
    let s3: TestS3
    let environment: [String: String]

    init(label: String) async throws {
        s3 = try TestS3.environment()
        bucket = try await s3.makeBucket(label).settings.bucket
        directory = FileManager.default.temporaryDirectory.path + "/backupd-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configPath = directory + "/config.json"
        environment = ["E2E_ACCESS_KEY": s3.accessKey, "E2E_SECRET_KEY": s3.secretKey]
    }

    /// Writes the config with `jobs` (JSON objects) and a grace period.
    func writeConfig(jobs: [String], grace: String = "5m") throws {
        let text = """
            {
              "stateDirectory": "\(directory)/state",
              "shutdownGracePeriod": "\(grace)",
              "destinations": [{
                "name": "local", "endpoint": "\(s3.endpoint.absoluteString)", "region": "\(s3.region)",
                "bucket": "\(bucket)", "accessKeyId": {"env": "E2E_ACCESS_KEY"}, "secretAccessKey": {"env": "E2E_SECRET_KEY"}
              }],
              "jobs": [\(jobs.joined(separator: ",\n"))]
            }
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        chmod(configPath, 0o600)
    }

    /// A command job whose tool writes `bytes` random bytes and then stalls, every minute.
    static func slowCommandJob(name: String, bytes: Int) -> String {
        """
        {"name": "\(name)", "engine": "command", "schedule": "* * * * *", "destination": "local", "prefix": "e2e/\(name)",
         "catchUp": "none", "compression": "none",
         "connection": {"argv": ["/bin/sh", "-c", "head -c \(bytes) /dev/urandom; exec sleep 100"], "extension": ".bin"}}
        """
    }

    func history() throws -> HistoryStore { try HistoryStore(stateDirectory: directory + "/state") }

    /// The run of `job` that is uploading (its upload id recorded), waiting up to `timeout`.
    func waitForUpload(job: String, timeout: TimeInterval) async throws -> RunRecord? {
        var found: RunRecord?
        _ = try await poll(timeout: timeout) {
            found = try history().runningRuns().first { $0.job == job && $0.uploadID != nil }
            return found != nil
        }
        return found
    }

    /// Upload ids of the bucket's open multipart uploads, through the AWS CLI.
    func openUploadIDs() throws -> [String] { try s3.openUploadIDs(bucket: bucket) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// The real `backupd run` binary against real PostgreSQL and radosgw, with every-minute schedules.
/// Each test waits for a minute boundary, so they run in parallel (about 70 s in all).
@Suite("Daemon end to end", .timeLimit(.minutes(4)), .ownThreads)
struct DaemonEndToEndTests {
    /// A scheduled PostgreSQL backup lands in the bucket and the history with its SHA-256 as object
    /// metadata; SIGHUP with a broken config keeps the old one, with a good one applies it;
    /// SIGTERM stops cleanly with STOPPING=1; no secret reaches the log.
    @Test func scheduledBackupReloadAndStop() async throws {
        let setup = try await EndToEndSetup(label: "e2e-pg")
        defer { setup.remove() }
        let pg = try TestServers.postgres()
        let database = try pg.createDatabase(prefix: "e2e")
        defer { try? pg.dropDatabase(database) }
        _ = try pg.psql("CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'ordre n° ' || g FROM generate_series(1, 5000) g;", database: database)
        let pgJob = """
            {"name": "pg", "engine": "postgres", "schedule": "* * * * *", "destination": "local", "prefix": "e2e/pg", "catchUp": "none",
             "connection": {"host": "\(pg.host)", "port": \(pg.port), "username": "\(pg.user)", "password": {"env": "E2E_PG_PASSWORD"}, "database": "\(database)"}}
            """
        try setup.writeConfig(jobs: [pgJob])
        var environment = setup.environment
        environment["E2E_PG_PASSWORD"] = pg.password
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: environment)
        defer { daemon.cleanUp() }

        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        #expect(daemon.log.contains("backupd starting") && daemon.log.contains("job scheduled"))

        var succeeded: RunRecord?
        _ = try await poll(timeout: 90) {
            succeeded = try setup.history().runs(HistoryQuery(job: "pg", status: .succeeded)).first
            return succeeded != nil
        }
        let run = try #require(succeeded, "no successful scheduled run within 90 s; log:\n\(daemon.log)")
        #expect(run.trigger == .schedule)
        let key = try #require(run.objectKey)
        #expect(key.hasPrefix("e2e/pg/pg-") && key.hasSuffix(".dump.zst"))
        let head = try setup.s3.aws(["s3api", "head-object", "--bucket", setup.bucket, "--key", key, "--output", "json"])
        #expect(head.status == 0, "head-object: \(head.error)")
        // The run's SHA-256 is recorded in the backup's manifest (written last), not copied onto the object.
        let id = try #require(ObjectName.parse(key, prefix: "e2e/pg", job: "pg")?.backupID)
        let manifest = try setup.s3.aws(["s3", "cp", "s3://\(setup.bucket)/e2e/pg/\(id).manifest.json", "-"])
        #expect(manifest.status == 0, "manifest: \(manifest.error)")
        // The run's digest is the one over the parts (`HEX-N`); the manifest holds its HEX and each part's.
        #expect(manifest.output.contains("\"partsSha256\" : \"\((run.sha256 ?? "missing").prefix(64))\""), "the manifest lacks the run's digest: \(manifest.output)")
        #expect(manifest.output.contains("\"trigger\" : \"schedule\"") && manifest.output.contains("\"runId\" : \(run.id)"))
        #expect(head.output.contains("\"backup-id\": \"\(id)\""), "\(head.output)")
        #expect(run.uploadID == nil, "a finished run keeps no upload id")
        for event in ["backup started", "upload complete", "backup succeeded"] {
            let line = daemon.log.split(separator: "\n").first { $0.contains(event) }
            #expect(line?.contains("job.name=pg") == true && line?.contains("run.id=\(run.id)") == true, "\(event): \(line ?? "no such line")")
        }

        try "{\"jobs\": [}".write(toFile: setup.configPath, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(await daemon.waitForLog("config reload failed; keeping the previous config", timeout: 20), "log:\n\(daemon.log)")
        try setup.writeConfig(jobs: [pgJob, EndToEndSetup.slowCommandJob(name: "extra", bytes: 10)])
        daemon.send(SIGHUP)
        #expect(await daemon.waitForLog("config reloaded", timeout: 20), "log:\n\(daemon.log)")

        daemon.send(SIGTERM)
        let status = await daemon.waitForExit(timeout: 60)
        #expect(status == 0, "exit status \(String(describing: status)); log:\n\(daemon.log)")
        #expect(daemon.notify.received.contains { $0.contains("STOPPING=1") })
        let log = daemon.log
        #expect(!log.contains(pg.password) && !log.contains(setup.s3.secretKey), "a secret reached the log")
    }

    /// SIGTERM during a backup that outlives the grace period: the tool is killed, the upload
    /// aborted, the run recorded `interrupted`, and the daemon exits 0.
    @Test func sigtermDuringRunInterruptsAfterGracePeriod() async throws {
        let setup = try await EndToEndSetup(label: "e2e-term")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [EndToEndSetup.slowCommandJob(name: "slow", bytes: 12 << 20)], grace: "2s")
        let daemon = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { daemon.cleanUp() }
        #expect(await daemon.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(daemon.log)")
        let running = try #require(try await setup.waitForUpload(job: "slow", timeout: 90), "no upload started; log:\n\(daemon.log)")

        daemon.send(SIGTERM)
        let status = await daemon.waitForExit(timeout: 60)
        #expect(status == 0, "log:\n\(daemon.log)")
        let record = try #require(try setup.history().run(id: running.id))
        #expect(record.status == .interrupted, "status \(record.status); log:\n\(daemon.log)")
        #expect(record.error?.contains("grace period") == true, "error: \(record.error ?? "nil")")
        #expect(try setup.openUploadIDs().isEmpty, "the interrupted run's multipart upload is still open")
    }

    /// SIGKILL mid-upload leaves a `running` row and an open upload; the next start (its owner is
    /// gone) marks the run `interrupted` and aborts the upload, so no parts stay billed.
    @Test func sigkillMidUploadIsRecoveredAtNextStart() async throws {
        let setup = try await EndToEndSetup(label: "e2e-kill")
        defer { setup.remove() }
        try setup.writeConfig(jobs: [EndToEndSetup.slowCommandJob(name: "slow", bytes: 12 << 20)])
        let first = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { first.cleanUp() }
        #expect(await first.notify.waitFor("READY=1", timeout: 20), "no READY=1; log:\n\(first.log)")
        let running = try #require(try await setup.waitForUpload(job: "slow", timeout: 90), "no upload started; log:\n\(first.log)")
        let uploadID = try #require(running.uploadID)

        first.send(SIGKILL)
        _ = await first.waitForExit(timeout: 10)
        #expect(try setup.openUploadIDs().contains(uploadID), "the killed run's upload should still be open before recovery")
        #expect(try setup.history().run(id: running.id)?.status == .running)

        let second = try DaemonProcess(configPath: setup.configPath, directory: setup.directory, environment: setup.environment)
        defer { second.cleanUp() }
        #expect(await second.notify.waitFor("READY=1", timeout: 20), "no READY=1 after restart; log:\n\(second.log)")
        // Recovery runs after READY=1, in the background.
        _ = try await poll(timeout: 20) { try setup.history().run(id: running.id)?.uploadID == nil }
        let record = try #require(try setup.history().run(id: running.id))
        #expect(record.status == .interrupted)
        #expect(record.uploadID == nil, "the aborted upload is cleared from the history")
        #expect(!(try setup.openUploadIDs().contains(uploadID)), "the killed run's upload was not aborted")
        #expect(second.log.contains("aborted the upload of an interrupted run"))
        second.send(SIGTERM)
        #expect(await second.waitForExit(timeout: 60) == 0)
    }

    /// The daemon refuses to start on a config that does not validate, printing the problem.
    @Test func refusesToStartOnInvalidConfig() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.json"
        try #"{"destinations": [], "jobs": [{"name": "x", "engine": "postgres", "shedule": "* * * * *"}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(configPath: path, directory: directory)
        defer { daemon.cleanUp() }
        let status = await daemon.waitForExit(timeout: 20)
        #expect(status == 1)
        #expect(daemon.log.contains("did you mean \"schedule\""), "log:\n\(daemon.log)")
        #expect(!daemon.notify.received.contains { $0.contains("READY=1") })
    }
}
