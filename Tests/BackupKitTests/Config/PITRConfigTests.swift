import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A config whose first job is `engine` with `pitr` set to `pitr`, and `edit` applied to the job.
private func pitrConfig(engine: String = "postgres", _ pitr: Any?, edit: (inout [String: Any]) -> Void = { _ in }) -> String {
    configText { root in
        editJob(&root) { job in
            job["engine"] = engine
            if engine == "redis" { job["connection"] = ["host": "127.0.0.1"] }
            job["pitr"] = pitr
            edit(&job)
        }
    }
}

private let pitrPath = "jobs[\"app-db\"].pitr"

@Suite("PITR config", .ownThreads)
struct PITRConfigTests {
    /// A postgres job with `"pitr": {"archiveUser": "root"}` loads with the user's uid looked up.
    @Test func validSettings() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = pitrConfig(["archiveUser": "root"])
        let (config, warnings) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(config.jobs[0].pitr == PITRSettings(archiveUser: "root", archiveUID: 0))
    }

    /// `drillTimeout` sets how long a restore drill's recovery may take; without it, an hour.
    @Test func drillTimeout() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = pitrConfig(["archiveUser": "root", "drillTimeout": "6h"])
        let (config, warnings) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(config.jobs[0].pitr?.drillTimeout == .seconds(6 * 3600))
        #expect(PITRSettings(archiveUser: "root", archiveUID: 0).drillTimeout == .seconds(3600))
    }

    /// A job without `pitr` is an ordinary dump job.
    @Test func absentMeansDumps() throws {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = pitrConfig(nil)
        let (config, _) = try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources)
        #expect(config.jobs[0].pitr == nil)
    }

    /// Each bad `pitr` is an error at its JSON path that quotes the value and says what is valid.
    @Test(arguments: [
        ("redis", #"{"archiveUser": "root"}"#, false, pitrPath, "point-in-time recovery is for postgres jobs, not redis; remove \"pitr\""),
        ("postgres", #"true"#, false, pitrPath, "expected PITR settings (a JSON object), found"),
        ("postgres", #"{}"#, false, pitrPath + ".archiveUser", "missing required key \"archiveUser\""),
        ("postgres", #"{"archiveUser": 5}"#, false, pitrPath + ".archiveUser", "expected a string, found a number 5"),
        ("postgres", #"{"archiveUser": "no-such-user-b7"}"#, false, pitrPath + ".archiveUser", "\"no-such-user-b7\" is not a user on this host"),
        ("postgres", #"{"archiveUser": "root", "archiveUsr": "x"}"#, false, pitrPath + ".archiveUsr", "unknown key \"archiveUsr\" (did you mean \"archiveUser\"?)"),
        ("postgres", #"{"archiveUser": "root", "maxArchiveBacklog": -1}"#, false, pitrPath + ".maxArchiveBacklog", "-1 is not valid; expected a whole number from 0 to 1000000"),
        ("postgres", #"{"archiveUser": "root", "drillTimeout": "0s"}"#, false, pitrPath + ".drillTimeout", "\"0s\" is not a duration; use a whole number followed by s, m, h or d"),
        ("postgres", #"{"archiveUser": "root", "drillTimeout": "soon"}"#, false, pitrPath + ".drillTimeout", "\"soon\" is not a duration; use a whole number followed by s, m, h or d"),
        ("postgres", #"{"archiveUser": "root"}"#, true, "jobs[\"app-db\"].tables", "a PITR job backs up the whole cluster (pg_basebackup and its WAL), so it cannot select tables"),
    ])
    func invalidSettings(engine: String, pitrJSON: String, withTables: Bool, path: String, fragment: String) throws {
        let pitr = try JSONSerialization.jsonObject(with: Data(pitrJSON.utf8), options: .fragmentsAllowed)
        let found = problems(pitrConfig(engine: engine, pitr) { job in
            if withTables { job["tables"] = ["include": ["logs"]] }
        })
        let problem = try #require(found.first { $0.path == path }, "\(found)")
        #expect(problem.severity == .error)
        #expect(problem.message.contains(fragment), "\(problem.message)")
        #expect(problem.description.hasPrefix("/etc/backupd/config.json:"), "\(problem.description)")
    }

    /// `globals` is refused: the base backup already holds the roles.
    @Test func globalsRefused() throws {
        let found = problems(pitrConfig(["archiveUser": "root"]) { job in
            job["connection"] = ["host": "127.0.0.1", "username": "backup", "database": "app", "globals": true]
        })
        let problem = try #require(found.first { $0.path == "jobs[\"app-db\"].connection.globals" }, "\(found)")
        #expect(problem.message.contains("already holds the roles"))
    }
}
