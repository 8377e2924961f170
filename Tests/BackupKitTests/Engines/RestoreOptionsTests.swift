import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Restore options: pg_restore's argv, MySQL definers, the job's restoreOptions", .ownThreads)
struct RestoreOptionsTests {
    static let driver = PostgresDriver(connection: SQLConnection(host: "db", port: 5432, username: "backup", password: nil, database: "app", globals: false))

    /// Owners and grants are dropped into another database and kept in the job's own; the job's
    /// or the command line's keepOwner, role and singleTransaction change that.
    @Test(arguments: [
        (RestoreOptions(target: "copy"), ["--dbname", "copy", "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]),
        (RestoreOptions(), ["--dbname", "app", "--exit-on-error", "--single-transaction"]),
        (RestoreOptions(target: "app"), ["--dbname", "app", "--exit-on-error", "--single-transaction"]),
        (RestoreOptions(target: "copy", tool: JobRestoreOptions(keepOwner: true)), ["--dbname", "copy", "--exit-on-error", "--single-transaction"]),
        (RestoreOptions(tool: JobRestoreOptions(keepOwner: false)), ["--dbname", "app", "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]),
        (RestoreOptions(target: "copy", tool: JobRestoreOptions(keepOwner: true, role: "app_owner", singleTransaction: false)),
         ["--dbname", "copy", "--exit-on-error", "--role=app_owner"]),
    ])
    func postgresArguments(options: RestoreOptions, expected: [String]) throws {
        #expect(try Self.driver.restoreArguments(options, database: options.target ?? "app", job: "j") == expected)
    }

    /// pg_restore cannot restore in parallel from standard input: --jobs is refused with the reason.
    @Test func postgresJobsRefused() {
        #expect(throws: EngineError.self) {
            try Self.driver.restoreArguments(RestoreOptions(tool: JobRestoreOptions(jobs: 4)), database: "app", job: "j")
        }
    }

    /// The command line's options win over the job's, key by key.
    @Test func commandLineOverJob() {
        let merged = RestoreOptions(tool: JobRestoreOptions(keepOwner: false)).over(JobRestoreOptions(keepOwner: true, role: "r", jobs: 2))
        #expect(merged.tool == JobRestoreOptions(keepOwner: false, role: "r", singleTransaction: nil, jobs: 2))
    }

    /// MySQL strips definers into another database unless keepOwner; never into its own by default.
    @Test func mysqlDefiners() {
        let mysql = MySQLDriver(connection: SQLConnection(host: "db", port: 3306, username: "u", password: nil, database: "shop", globals: false))
        #expect(mysql.stripsDefiners(RestoreOptions(target: "copy")))
        #expect(!mysql.stripsDefiners(RestoreOptions()))
        #expect(!mysql.stripsDefiners(RestoreOptions(target: "copy", tool: JobRestoreOptions(keepOwner: true))))
        #expect(mysql.stripsDefiners(RestoreOptions(tool: JobRestoreOptions(keepOwner: false))))
    }

    /// `restoreOptions` is read into the job; a wrong type, an unknown key, a key the engine has no
    /// use for and postgres's `jobs` are errors naming the JSON path.
    @Test(arguments: [
        ("postgres", #"{"keepOwner": "yes"}"#, "jobs[\"app-db\"].restoreOptions.keepOwner", "expected true or false"),
        ("postgres", #"{"keepOwnr": true}"#, "jobs[\"app-db\"].restoreOptions.keepOwnr", "did you mean \"keepOwner\""),
        ("postgres", #"{"jobs": 4}"#, "jobs[\"app-db\"].restoreOptions.jobs", "only from a file"),
        ("postgres", #"{"role": ""}"#, "jobs[\"app-db\"].restoreOptions.role", "must not be empty"),
        ("mysql", #"{"role": "x"}"#, "jobs[\"app-db\"].restoreOptions.role", "mysql jobs take keepOwner"),
        ("redis", #"{"keepOwner": true}"#, "jobs[\"app-db\"].restoreOptions.keepOwner", "redis jobs take no restore options"),
    ])
    func invalid(engine: String, optionsJSON: String, path: String, message: String) throws {
        let options = try JSONSerialization.jsonObject(with: Data(optionsJSON.utf8))
        let text = configText { root in
            editJob(&root) { job in
                job["engine"] = engine
                if engine == "redis" { job["connection"] = ["host": "127.0.0.1"] }
                job["restoreOptions"] = options
            }
        }
        let found = problems(text)
        #expect(found.contains { $0.path == path && $0.message.contains(message) }, "\(found)")
    }

    /// A valid `restoreOptions` reaches the job.
    @Test func valid() throws {
        let text = configText { root in editJob(&root) { $0["restoreOptions"] = ["keepOwner": true, "role": "app_owner", "singleTransaction": false] } }
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = text
        let config = try BackupConfig.parse(Array(text.utf8), file: "/etc/backupd/config.json", sources: files.sources).config
        #expect(config.jobs[0].restoreOptions == JobRestoreOptions(keepOwner: true, role: "app_owner", singleTransaction: false))
    }
}
