import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("A tool's stderr summarised for errors and history", .ownThreads)
struct StderrSummaryTests {
    /// The error lines come first and the tail after them; a failed pg_restore never reads as a bare `);`.
    @Test(arguments: [
        (
            "pg_restore: error: could not execute query: ERROR:  permission denied for schema public\nLINE 1: CREATE TABLE public.t (\n                     ^\nCommand was: CREATE TABLE public.t (\n    id integer\n);\n",
            "pg_restore: error: could not execute query: ERROR:  permission denied for schema public (stderr ends: id integer | );)"
        ),
        (
            "pg_dump: error: query failed: ERROR:  permission denied for table secret\npg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE\n",
            "pg_dump: error: query failed: ERROR:  permission denied for table secret (stderr ends: pg_dump: detail: Query was: LOCK TABLE public.secret IN ACCESS SHARE MODE)"
        ),
        ("ERROR 1227 (42000) at line 53: Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation\n",
         "ERROR 1227 (42000) at line 53: Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation"),
        ("warming up\nsomething odd happened here\n", "something odd happened here"),
        ("first\nsecond\n);\n", "first | second | );"),
        ("", ""),
    ])
    func summary(stderr: String, expected: String) {
        #expect(StderrSummary.summarize(stderr) == expected)
    }

    /// libpq's passfile line names the password's config key; other paths into a credentials
    /// directory are replaced, so no message cites a deleted temporary file.
    @Test func credentialPaths() {
        let stderr = """
            pg_dump: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user "backup"
            password retrieved from file "/dev/shm/backupd-secrets-Ab12Cd/1-pgpass"
            mariadb: [Warning] could not read /run/user/0/backupd-secrets-Zz9yX8/2-my.cnf
            """
        let summary = StderrSummary.summarize(stderr, job: "demo")
        #expect(summary.hasPrefix("pg_dump: error: connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"backup\""))
        #expect(summary.contains("password taken from jobs[\"demo\"].connection.password"))
        #expect(!summary.contains("backupd-secrets") && !summary.contains("pgpass"))
        #expect(Redactor(secrets: [], job: "demo").redact(stderr).contains("could not read <backupd credentials file>"))
    }

    /// A summary stays short however many error lines the tool wrote.
    @Test func bounded() {
        let stderr = String(repeating: "ERROR: " + String(repeating: "x", count: 700) + "\n", count: 50)
        #expect(StderrSummary.summarize(stderr).count <= StderrSummary.limit)
    }
}
