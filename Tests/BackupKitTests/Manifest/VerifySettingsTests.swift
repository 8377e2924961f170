import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The config with `verify` set on the first job and/or at the top level.
func verifyConfig(job: [String: Any]?, top: [String: Any]? = nil, engine: String = "postgres") -> String {
    configText { root in
        if let top { root["verify"] = top }
        editJob(&root) { j in
            if let job { j["verify"] = job }
            if engine == "redis" {
                j["engine"] = "redis"
                j["connection"] = ["host": "127.0.0.1"]
            }
        }
    }
}

@Suite("verify settings", .ownThreads)
struct VerifySettingsTests {
    /// A job's keys override the top level's one by one; the schedule is read as cron.
    @Test func mergesOverTopLevel() throws {
        var files = FakeFiles()
        let text = verifyConfig(job: ["afterBackup": true], top: ["schedule": "0 5 * * 0", "restoreTo": "drill_db"])
        files.files["/etc/backupd/config.json"] = text
        let config = try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
        let settings = try #require(config.verifySettings(for: config.jobs[0]))
        #expect(settings.afterBackup == true)
        #expect(settings.schedule != nil)
        #expect(settings.restoreTo == "drill_db")
    }

    /// Bad values are reported with their JSON path, the value and what would be valid.
    @Test(arguments: [
        (verifyConfig(job: ["restoreTo": "drop table;"]), "jobs[\"app-db\"].verify.restoreTo", "\"drop table;\" is not a valid scratch database name"),
        (verifyConfig(job: ["restoreTo": "scratch"], engine: "redis"), "jobs[\"app-db\"].verify.restoreTo", "restore drills are for postgres and mysql jobs, not redis"),
        (verifyConfig(job: ["schedule": "61 * * * *"]), "jobs[\"app-db\"].verify.schedule", "is not a valid cron expression"),
        (verifyConfig(job: [:]), "jobs[\"app-db\"].verify", "empty verification settings do nothing"),
        (verifyConfig(job: ["afterbackup": true]), "jobs[\"app-db\"].verify.afterbackup", "did you mean \"afterBackup\""),
        (verifyConfig(job: nil, top: ["afterBackup": "yes"]), "verify.afterBackup", "expected true or false"),
        (verifyConfig(job: ["restoreToDir": "drills"]), "jobs[\"app-db\"].verify.restoreToDir", "\"drills\" is not an absolute path"),
        (verifyConfig(job: ["restoreToDir": "/var/drills"], engine: "redis"), "jobs[\"app-db\"].verify.restoreToDir", "PITR restore drills are for postgres jobs"),
    ])
    func invalid(text: String, path: String, message: String) {
        let found = problems(text).filter { $0.severity == .error }
        #expect(found.contains { $0.path == path && $0.message.contains(message) }, "\(found.map(\.description))")
    }

    /// `restoreToDir` applies to PITR jobs only, and a PITR job takes no `restoreTo` (a base
    /// backup is no pg_restore archive): a plain postgres job keeps `restoreTo` and drops `restoreToDir`.
    @Test(arguments: [true, false])
    func pitrDrillOnlyForPITRJobs(pitr: Bool) throws {
        var files = FakeFiles()
        let text = configText { root in
            root["verify"] = ["schedule": "0 5 * * *", "restoreTo": "drill_db", "restoreToDir": "/var/lib/backupd/drills"]
            if pitr { editJob(&root) { $0["pitr"] = ["archiveUser": "root"] } }
        }
        files.files["/etc/backupd/config.json"] = text
        let config = try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
        let settings = try #require(config.verifySettings(for: config.jobs[0]))
        #expect(settings.restoreToDir == (pitr ? "/var/lib/backupd/drills" : nil))
        #expect(settings.restoreTo == (pitr ? nil : "drill_db"))
    }

    /// A top-level drill does not apply to a job whose engine has none.
    @Test func topLevelDrillSkipsOtherEngines() throws {
        var files = FakeFiles()
        let text = verifyConfig(job: nil, top: ["schedule": "0 5 * * *", "restoreTo": "drill_db"], engine: "redis")
        files.files["/etc/backupd/config.json"] = text
        let config = try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
        #expect(config.verifySettings(for: config.jobs[0])?.restoreTo == nil)
        #expect(config.verifySettings(for: config.jobs[0])?.schedule != nil)
    }

    /// The next scheduled verification is the earliest cron time after the instant, in the job's zone.
    @Test func nextDue() throws {
        let text = verifyConfig(job: ["schedule": "0 5 * * *"])
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text
        let config = try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
        let due = VerifySchedule.next(after: pipelineStart, in: config)
        // 05:00 Europe/Berlin on 2026-11-25 is 04:00 UTC.
        #expect(due == [VerifySchedule.Due(job: "app-db", at: pipelineStart + 5400)])
        #expect(VerifySchedule.next(after: pipelineStart, in: try pipelineConfig(["engine": "command", "connection": ["argv": ["true"]]])).isEmpty)
    }
}
