import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Least-privilege backups and restores through the binary", .ownThreads)
struct LeastPrivilegeRestoreTests {
    /// A role like the quickstart's (pg_read_all_data, no CREATEDB) backs up, then restores into a
    /// database it owns (owners and grants left out by default) and the data matches; with
    /// --keep-owner the same restore fails and the CLI shows pg_restore's ERROR line, not `);`.
    @Test func quickstartRoleRestoresIntoItsOwnDatabase() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let backup = try fixture.backupd(["run-now", "app"])
        #expect(backup.status == 0, "\(backup.stderr)")

        let target = try fixture.databaseOwnedByRole()
        let restore = try fixture.backupd(["restore", "app", "--to", target])
        #expect(restore.status == 0, "\(restore.stderr)")
        let query = "SELECT count(*), sum(id), string_agg(city, ',' ORDER BY id) FROM customers; SELECT count(*), sum(total) FROM orders; SELECT * FROM revenue_by_city ORDER BY city"
        #expect(try fixture.server.psql(query, database: target) == fixture.server.psql(query, database: fixture.source))
        #expect(try fixture.server.psql("SELECT tableowner FROM pg_tables WHERE tablename = 'orders'", database: target) == "\(fixture.role)\n")

        let second = try fixture.databaseOwnedByRole()
        let kept = try fixture.backupd(["restore", "app", "--to", second, "--keep-owner"])
        #expect(kept.status == 1)
        #expect(kept.stderr.contains("pg_restore"), "\(kept.stderr)")
        #expect(kept.stderr.contains("ERROR:"), "\(kept.stderr)")
        #expect(!kept.stderr.contains("): );"), "\(kept.stderr)")
        // One transaction: the failed restore left nothing behind.
        #expect(try fixture.server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: second) == "0\n")
    }

    /// The job's restoreOptions keep owners too (and the command line's --no-keep-owner overrides
    /// it); --jobs is refused for postgres; an unknown key or one the engine has no use for is a
    /// config error naming its path.
    @Test func restoreOptionsFromTheJob() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        #expect(try fixture.backupd(["run-now", "app"]).status == 0)
        try fixture.writeConfig(job: ["restoreOptions": ["keepOwner": true]])
        let target = try fixture.databaseOwnedByRole()
        let kept = try fixture.backupd(["restore", "app", "--to", target])
        #expect(kept.status == 1)
        #expect(kept.stderr.contains("ERROR:"), "\(kept.stderr)")
        let overridden = try fixture.backupd(["restore", "app", "--to", target, "--no-keep-owner"])
        #expect(overridden.status == 0, "\(overridden.stderr)")
        // pg_restore cannot restore in parallel from a pipe: a usage error with the reason.
        let parallel = try fixture.backupd(["restore", "app", "--to", target, "--jobs", "4"])
        #expect(parallel.status == 64)
        #expect(parallel.stderr.contains("only from a file"), "\(parallel.stderr)")

        try fixture.writeConfig(job: ["restoreOptions": ["keepOwnr": true, "jobs": 4]])
        let invalid = try fixture.backupd(["validate", "--no-secrets"])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("jobs[\"app\"].restoreOptions.keepOwnr"), "\(invalid.stderr)")
        #expect(invalid.stderr.contains("did you mean \"keepOwner\""), "\(invalid.stderr)")
        #expect(invalid.stderr.contains("jobs[\"app\"].restoreOptions.jobs"), "\(invalid.stderr)")
    }

    /// A backup that meets a table the role cannot read records pg_dump's ERROR line in the history
    /// row and the CLI, not the `Query was:` line that ends its stderr.
    @Test func failedDumpRecordsTheErrorLine() async throws {
        let fixture = try await LeastPrivilegeFixture(readAll: false)
        defer { fixture.cleanUp() }
        _ = try fixture.server.psql("CREATE TABLE secret (id int); GRANT SELECT ON customers, orders, customers_id_seq, orders_id_seq TO \(fixture.role)", database: fixture.source)
        let run = try fixture.backupd(["run-now", "app"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("permission denied for table secret"), "\(run.stderr)")
        let last = try #require(try fixture.history().lastRun(job: "app"))
        #expect(last.status == .failed)
        #expect(last.error?.contains("ERROR:  permission denied for table secret") == true, "\(last.error ?? "nil")")
    }

    /// A wrong password names libpq's reason and the password's config key, never the temporary
    /// passfile, in the CLI and the history row.
    @Test func wrongPasswordNamesTheConfigKey() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let run = try fixture.backupd(["run-now", "app"], password: "wrong-\(fixture.password)")
        #expect(run.status == 1)
        let expected = "password authentication failed for user \"\(fixture.role)\""
        #expect(run.stderr.contains(expected), "\(run.stderr)")
        #expect(run.stderr.contains("jobs[\"app\"].connection.password"), "\(run.stderr)")
        #expect(!run.stderr.contains("backupd-secrets") && !run.stderr.contains("pgpass"), "\(run.stderr)")
        let last = try #require(try fixture.history().lastRun(job: "app"))
        #expect(last.error?.contains(expected) == true, "\(last.error ?? "nil")")
        #expect(last.error?.contains("backupd-secrets") == false)
        #expect(last.stderrTail?.contains("backupd-secrets") != true)
    }

    /// A restore drill by a role without CREATEDB is a failed verification recorded with the
    /// reason (`permission denied to create database`), not an unrecorded error.
    @Test func drillWithoutCreateDatabaseIsRecorded() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        #expect(try fixture.backupd(["run-now", "app"]).status == 0)
        let scratch = TestServers.uniqueName("lpdrill")
        let verify = try fixture.backupd(["verify", "app", "--restore-to", scratch])
        #expect(verify.status == 1)
        #expect((verify.stdout + verify.stderr).contains("permission denied to create database"), "\(verify.stdout)\(verify.stderr)")
        let record = try #require(try HistoryStore(stateDirectory: fixture.state).verifications(job: "app").first)
        #expect(!record.passed)
        #expect(record.error?.contains("permission denied to create database") == true, "\(record.error ?? "nil")")
        #expect(record.error?.contains("CREATEDB") == true)
    }
}
