import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Loads config text through the real loader.
func loadConfig(_ text: String) throws -> BackupConfig {
    var files = FakeFiles()
    files.files["/etc/backupd/config.json"] = text
    return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
}

@Suite("Retention configuration", .ownThreads)
struct RetentionConfigTests {
    /// Every rule is read; keepWithin takes days, hours and weeks.
    @Test func parsesEveryRule() throws {
        let config = try loadConfig(configText { root in
            editJob(&root) {
                $0["retention"] = ["keepLast": 7, "keepHourly": 24, "keepDaily": 14, "keepWeekly": 8, "keepMonthly": 12, "keepYearly": 3, "keepWithin": "1d12h"]
            }
        })
        #expect(config.jobs[0].retention == RetentionPolicy(
            keepLast: 7, keepHourly: 24, keepDaily: 14, keepWeekly: 8, keepMonthly: 12, keepYearly: 3,
            keepWithin: RetentionWindow(days: 1, hours: 12)))
    }

    /// Windows as written: `14d`, `30h`, `1d12h`, `2w`; zero, minutes and disorder are refused.
    @Test(arguments: [
        ("14d", RetentionWindow(days: 14)), ("30h", RetentionWindow(hours: 30)), ("1d12h", RetentionWindow(days: 1, hours: 12)),
        ("2w", RetentionWindow(days: 14)), ("0d", nil), ("90m", nil), ("12h1d", nil), ("", nil), ("d", nil), ("14", nil),
    ] as [(String, RetentionWindow?)])
    func windows(_ text: String, _ expected: RetentionWindow?) {
        #expect(RetentionWindow.parse(text) == expected)
        if let expected { #expect(RetentionWindow.parse(expected.description) == expected) }
    }

    /// A top-level policy applies to jobs without their own; a job's own policy wins; without
    /// either, a job keeps everything. historyRetention defaults to 400 days.
    @Test func topLevelDefault() throws {
        let config = try loadConfig(configText { root in
            root["retention"] = ["keepDaily": 30]
            root["historyRetention"] = "90d"
            var second = (root["jobs"] as! [[String: Any]])[0]
            second["name"] = "own"
            second["retention"] = ["keepLast": 2]
            root["jobs"] = (root["jobs"] as! [[String: Any]]) + [second]
        })
        #expect(config.retention == RetentionPolicy(keepDaily: 30))
        #expect(config.jobs[0].retention == RetentionPolicy(keepDaily: 30))
        #expect(config.jobs[1].retention == RetentionPolicy(keepLast: 2))
        #expect(config.historyRetention == .seconds(90 * 86_400))
        let plain = try loadConfig(configText())
        #expect(plain.jobs[0].retention == nil && plain.retention == nil)
        #expect(plain.historyRetention == BackupConfig.defaultHistoryRetention)
        #expect(BackupConfig.defaultHistoryRetention == .seconds(400 * 86_400))
    }

    /// A destination may say it has no multi-object delete (DeleteObjects).
    @Test func multiObjectDeleteFlag() throws {
        #expect(try loadConfig(configText()).destinations[0].providerProfile.multiObjectDelete)
        let off = try loadConfig(configText { editDestination(&$0) { $0["multiObjectDelete"] = false } })
        #expect(!off.destinations[0].providerProfile.multiObjectDelete)
    }

    /// Bad values are reported with their JSON path and what would be valid.
    @Test(arguments: [
        (configText { editJob(&$0) { $0["retention"] = ["keepWithin": "14x"] } }, "jobs[\"app-db\"].retention.keepWithin", "\"14x\" is not a retention window; use whole days and hours such as \"14d\""),
        (configText { editJob(&$0) { $0["retention"] = ["keepWithin": 14] } }, "jobs[\"app-db\"].retention.keepWithin", "14 is not a retention window"),
        (configText { editJob(&$0) { $0["retention"] = ["keepHourly": 0] } }, "jobs[\"app-db\"].retention.keepHourly", "0 is not valid; expected a whole number from 1 to 100000"),
        (configText { editJob(&$0) { $0["retention"] = ["keepYearly": 2.5] } }, "jobs[\"app-db\"].retention.keepYearly", "2.5 is not valid"),
        (configText { editJob(&$0) { $0["retention"] = ["keepEvery": 2] } }, "jobs[\"app-db\"].retention.keepEvery", "unknown key \"keepEvery\""),
        (configText { $0["retention"] = [String: Any]() }, "retention", "an empty retention policy would keep nothing; set at least one of keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin"),
        (configText { $0["historyRetention"] = "a year" }, "historyRetention", "\"a year\" is not a duration"),
        (configText { editDestination(&$0) { $0["multiObjectDelete"] = "no" } }, "destinations[\"local\"].multiObjectDelete", "expected true or false"),
    ])
    func badValues(_ text: String, _ path: String, _ message: String) {
        let found = problems(text)
        #expect(found.contains { $0.path == path && $0.message.hasPrefix(message) }, "\(found.map { "\($0.path): \($0.message)" })")
    }

    /// Policies in words, as validate prints them.
    @Test func explanations() {
        #expect(RetentionPolicy(keepLast: 7, keepDaily: 14).explanation == "keeps the newest 7 and one a day for 14 days (the newest backup always)")
        #expect(RetentionPolicy(keepHourly: 1, keepWeekly: 8, keepMonthly: 12, keepYearly: 1, keepWithin: RetentionWindow(days: 2)).explanation
            == "keeps one an hour for 1 hour, one a week for 8 weeks, one a month for 12 months, one a year for 1 year and every backup within 2d of the newest (the newest backup always)")
    }

    /// validate explains each job's policy and warns when a Wasabi destination would be billed
    /// for backups deleted before 90 days, naming the age; a 90-day window or another provider
    /// gets no warning.
    @Test func validateSummaryAndMinimumStorageWarning() throws {
        let wasabi = { (retention: [String: Any]) in
            try loadConfig(configText { root in
                editDestination(&root) { $0["endpoint"] = "https://s3.eu-central-1.wasabisys.com" }
                editJob(&root) { $0["retention"] = retention }
            })
        }
        let now = RetentionFixtures.at("2026-12-01T12:00:00Z")
        let daily = try wasabi(["keepLast": 7])
        let text = ConfigSummary.render(daily, path: "c.json", now: now)
        #expect(text.contains("    retention at local: keeps the newest 7 (the newest backup always)"))
        #expect(text.contains("warning: with this schedule the policy deletes backups as young as 7 days, but Wasabi (local) bills every object for at least 90 days"))
        #expect(text.contains("History: rows older than 400d are deleted"))
        let minutely = try loadConfig(configText { root in
            editDestination(&root) { $0["endpoint"] = "https://s3.wasabisys.com" }
            editJob(&root) { $0["schedule"] = "* * * * *"; $0["retention"] = ["keepLast": 10] }
        })
        #expect(ConfigSummary.render(minutely, path: "c.json", now: now).contains("deletes backups as young as 10 minutes, but Wasabi"))
        let secondly = try loadConfig(configText { root in
            editDestination(&root) { $0["endpoint"] = "https://s3.wasabisys.com" }
            editJob(&root) { $0["schedule"] = "*/10 * * * * *"; $0["retention"] = ["keepWithin": "80d"] }
        })
        #expect(MinimumStorage.youngestDeletion(job: secondly.jobs[0], days: 90, now: now) == nil)  // the newest 50,000 runs are all kept
        let long = ConfigSummary.render(try wasabi(["keepWithin": "90d"]), path: "c.json", now: now)
        #expect(!long.contains("warning:"))
        let elsewhere = try loadConfig(configText { editJob(&$0) { $0["retention"] = ["keepLast": 7] } })
        #expect(!ConfigSummary.render(elsewhere, path: "c.json", now: now).contains("warning:"))
        let none = ConfigSummary.render(try loadConfig(configText()), path: "c.json", now: now)
        #expect(none.contains("    retention at local: none, every backup is kept"))
    }
}
