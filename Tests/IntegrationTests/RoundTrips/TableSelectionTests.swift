import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A config file with `jobs` (each given name, tables and connection) writing to `destination`;
/// returns its path and state directory (both removed by `cleanup`).
private struct TablesConfig {
    let path: String
    let state: String

    init(destination: TestDestination, prefix: String, jobs: [(name: String, engine: String, tables: [String: [String]], connection: [String: Any])]) throws {
        state = FileManager.default.temporaryDirectory.path + "/backupd-tables-\(UUID().uuidString)"
        path = state + ".json"
        let entries: [[String: Any]] = jobs.map { job in
            ["name": job.name, "engine": job.engine, "schedule": "0 3 * * *", "destination": "test", "prefix": "\(prefix)/\(job.name)",
             "tables": job.tables, "connection": job.connection]
        }
        let root: [String: Any] = ["stateDirectory": state, "destinations": [destination.json], "jobs": entries]
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: state)
    }

    /// Runs the real binary with this config.
    func backupd(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBackupd(arguments + ["--config", path], environment: environment, timeout: 300)
    }
}

@Suite("Table selection through the backupd binary", .serialized, .ownThreads)
struct TableSelectionTests {
    /// PostgreSQL: include, exclude and excludeData each give a backup whose restore into an empty
    /// database holds exactly the expected tables and rows (excludeData: the table exists, empty);
    /// `list` and `restore` call it partial; a restore drill of it passes; `check` lists each
    /// pattern's tables and warns about an include that matches nothing.
    @Test func postgres() async throws {
        let server = try TestServers.postgres()
        let source = try server.createDatabase(prefix: "tsel")
        var targets: [String] = []
        defer {
            try? server.dropDatabase(source)
            for target in targets { try? server.dropDatabase(target) }
        }
        _ = try server.psql("""
            CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 3);
            CREATE TABLE b (id serial PRIMARY KEY, v text); INSERT INTO b (v) SELECT 'b' || g FROM generate_series(1, 4) g;
            CREATE TABLE c (id int); INSERT INTO c SELECT generate_series(1, 5);
            CREATE TABLE logs (id int, line text); INSERT INTO logs SELECT g, 'line ' || g FROM generate_series(1, 6) g;
            """, database: source)
        let destination = try await TestDestination.make()
        let connection: [String: Any] = [
            "host": server.host, "port": server.port, "username": server.user, "password": ["env": "TSEL_PG_PASSWORD"], "database": source,
        ]
        let config = try TablesConfig(destination: destination, prefix: "tables/\(source)", jobs: [
            ("inc", "postgres", ["include": ["a", "public.b"]], connection),
            ("exc", "postgres", ["exclude": ["log*"]], connection),
            ("nodata", "postgres", ["excludeData": ["logs"]], connection),
            ("chk", "postgres", ["include": ["?", "nothing*"], "exclude": ["public.l*"], "excludeData": ["logs"]], connection),
        ])
        defer { config.cleanup() }
        var environment = Pipeline.defaultEnvironment
        environment["TSEL_PG_PASSWORD"] = server.password

        let expected: [(job: String, tables: String, rows: String)] = [
            ("inc", "a,b", "3|4||"),
            ("exc", "a,b,c", "3|4|5|"),
            ("nodata", "a,b,c,logs", "3|4|5|0"),
        ]
        for (job, tables, rows) in expected {
            let run = try config.backupd(["run-now", job], environment: environment)
            #expect(run.status == 0, "\(job): \(run.stderr)")
            let target = try server.createDatabase(prefix: "tseldst")
            targets.append(target)
            let restore = try config.backupd(["restore", job, "--to", target], environment: environment)
            #expect(restore.status == 0, "\(job): \(restore.stderr)")
            #expect(restore.stdout.contains("partial backup: it holds only the tables its job selected"), "\(restore.stdout)")
            let restored = try server.psql(
                "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", database: target)
            #expect(restored == tables + "\n", "\(job)")
            let counts = try server.psql("""
                SELECT concat_ws('|',
                  (SELECT count(*) FROM a), (SELECT count(*) FROM b),
                  CASE WHEN to_regclass('c') IS NULL THEN '' ELSE (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM c', false, true, '')))[1]::text END,
                  CASE WHEN to_regclass('logs') IS NULL THEN '' ELSE (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM logs', false, true, '')))[1]::text END)
                """, database: target)
            #expect(counts == rows + "\n", "\(job)")
        }
        // The serial of the included table b came along: inserts into the restored copy work.
        _ = try server.psql("INSERT INTO b (v) VALUES ('new')", database: targets[0])

        let list = try config.backupd(["list", "nodata"], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("(partial: excludeData logs)"), "\(list.stdout)")
        let json = try config.backupd(["list", "inc", "--json"], environment: environment)
        #expect(json.stdout.contains("\"include\" : [\n        \"a\",\n        \"public.b\"\n      ]"), "\(json.stdout)")

        let scratch = "tselscratch_" + String(UUID().uuidString.prefix(8)).lowercased()
        targets.append(scratch)
        let verify = try config.backupd(["verify", "nodata", "--restore-to", scratch], environment: environment)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("partial backup (tables: excludeData logs)"), "\(verify.stdout)")
        #expect(verify.stdout.contains("drill restored into \(scratch): 4 tables, 12 rows"), "\(verify.stdout)")

        let check = try config.backupd(["check", "chk"], environment: environment)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        // Columns are padded to the longest pattern: compare with single spaces.
        let report = check.stdout.replacingOccurrences(of: " +", with: " ", options: .regularExpression)
        #expect(check.stdout.contains("Tables of job chk (database \(source))"), "\(check.stdout)")
        #expect(report.contains(#"include "?" public.a, public.b, public.c"#), "\(check.stdout)")
        #expect(report.contains(#"include "nothing*" matches nothing (warning)"#), "\(check.stdout)")
        #expect(report.contains(#"exclude "public.l*" public.logs"#), "\(check.stdout)")
        #expect(report.contains(#"excludeData "logs" public.logs"#), "\(check.stdout)")
        #expect(check.stderr.contains("warning: job chk: tables.include pattern \"nothing*\" matches no table in database \(source)"), "\(check.stderr)")
    }

    /// MariaDB: wildcard patterns are resolved through information_schema; include, exclude and
    /// excludeData each restore exactly the expected tables and rows (excludeData: the table and
    /// its trigger exist, the table empty, from the schema-only dump that follows in the same
    /// object); `check` lists matches and warns about an include that matches nothing.
    @Test func mariadb() async throws {
        let server = try TestServers.mariadb()
        let source = try server.createDatabase(prefix: "tsel")
        var targets: [String] = []
        defer {
            try? server.dropDatabase(source)
            for target in targets { try? server.dropDatabase(target) }
        }
        _ = try server.mariadb("""
            CREATE TABLE a (id INT PRIMARY KEY); INSERT INTO a VALUES (1), (2), (3);
            CREATE TABLE b (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)); INSERT INTO b (v) VALUES ('b1'), ('b2'), ('b3'), ('b4');
            CREATE TABLE c (id INT); INSERT INTO c VALUES (1), (2), (3), (4), (5);
            CREATE TABLE logs (id INT, line VARCHAR(20)); INSERT INTO logs VALUES (1, 'x'), (2, 'x'), (3, 'x'), (4, 'x'), (5, 'x'), (6, 'x');
            CREATE TRIGGER logs_upper BEFORE INSERT ON logs FOR EACH ROW SET NEW.line = UPPER(NEW.line);
            """, database: source)
        let destination = try await TestDestination.make()
        let connection: [String: Any] = [
            "host": server.host, "port": server.port, "username": server.user, "password": ["env": "TSEL_MY_PASSWORD"], "database": source,
        ]
        let config = try TablesConfig(destination: destination, prefix: "tables/\(source)", jobs: [
            ("inc", "mysql", ["include": ["?"], "exclude": ["c"]], connection),
            ("exc", "mysql", ["exclude": ["l*"]], connection),
            ("nodata", "mysql", ["excludeData": ["lo?s"]], connection),
            ("chk", "mysql", ["include": ["[ab]", "*", "nothing*"], "exclude": ["l*"]], connection),
        ])
        defer { config.cleanup() }
        var environment = Pipeline.defaultEnvironment
        environment["TSEL_MY_PASSWORD"] = server.password

        let expected: [(job: String, tables: String, rows: String)] = [
            ("inc", "a,b", "3 4"),
            ("exc", "a,b,c", "3 4 5"),
            ("nodata", "a,b,c,logs", "3 4 5 0"),
        ]
        for (job, tables, rows) in expected {
            let run = try config.backupd(["run-now", job], environment: environment)
            #expect(run.status == 0, "\(job): \(run.stderr)")
            let target = try server.createDatabase(prefix: "tseldst")
            targets.append(target)
            let restore = try config.backupd(["restore", job, "--to", target], environment: environment)
            #expect(restore.status == 0, "\(job): \(restore.stderr)")
            #expect(restore.stdout.contains("partial backup"), "\(restore.stdout)")
            let restored = try server.mariadb(
                "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '\(target)'")
            #expect(restored == tables + "\n", "\(job)")
            let counts = try tables.split(separator: ",").map { table in
                try server.mariadb("SELECT COUNT(*) FROM `\(table)`", database: target).trimmingCharacters(in: .whitespacesAndNewlines)
            }.joined(separator: " ")
            #expect(counts == rows, "\(job)")
        }
        // excludeData kept the table's trigger (from the --no-data dump).
        _ = try server.mariadb("INSERT INTO logs VALUES (7, 'low')", database: targets[2])
        #expect(try server.mariadb("SELECT line FROM logs", database: targets[2]) == "LOW\n")

        let list = try config.backupd(["list", "nodata"], environment: environment)
        #expect(list.stdout.contains("(partial: excludeData lo?s)"), "\(list.stdout)")

        let check = try config.backupd(["check", "chk"], environment: environment)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        // Columns are padded to the longest pattern: compare with single spaces.
        let report = check.stdout.replacingOccurrences(of: " +", with: " ", options: .regularExpression)
        #expect(report.contains(#"include "[ab]" matches nothing (warning)"#), "\(check.stdout)")
        #expect(report.contains(#"include "*" a, b, c, logs"#), "\(check.stdout)")
        #expect(report.contains(#"include "nothing*" matches nothing (warning)"#), "\(check.stdout)")
        #expect(report.contains(#"exclude "l*" logs"#), "\(check.stdout)")
        #expect(check.stderr.contains("warning: job chk: tables.include pattern \"nothing*\" matches no table in database \(source)"), "\(check.stderr)")
    }

    /// Faults of a MySQL selection end the run as one failed history row with nothing stored and
    /// no upload left open: the schema-only dump of `excludeData` failing after the data dump was
    /// streamed (a wrapper makes `mariadb-dump --no-data` print a fragment and exit 2), and an
    /// include that matches no table at dump time. `check` of a job whose server refuses the
    /// connection fails with the reason.
    @Test func mariadbFaults() async throws {
        let server = try TestServers.mariadb()
        let source = try server.createDatabase(prefix: "tself")
        defer { try? server.dropDatabase(source) }
        _ = try server.mariadb("CREATE TABLE a (id INT); INSERT INTO a VALUES (1); CREATE TABLE logs (id INT); INSERT INTO logs VALUES (1);", database: source)
        let wrappers = FileManager.default.temporaryDirectory.path + "/backupd-tself-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: wrappers, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: wrappers) }
        let real = try #require(["/usr/bin/mariadb-dump", "/usr/bin/mysqldump"].first { FileManager.default.isExecutableFile(atPath: $0) })
        try """
            #!/bin/sh
            for a in "$@"; do
              if [ "$a" = "--no-data" ]; then printf 'CREATE TABLE partial ('; echo "mariadb-dump: injected failure" >&2; exit 2; fi
            done
            exec \(real) "$@"
            """.write(toFile: wrappers + "/mariadb-dump", atomically: true, encoding: .utf8)
        chmod(wrappers + "/mariadb-dump", 0o755)

        let destination = try await TestDestination.make()
        let connection: [String: Any] = [
            "host": server.host, "port": server.port, "username": server.user, "password": ["env": "TSEL_MY_PASSWORD"], "database": source,
        ]
        let prefix = "tables/\(source)"
        let config = try TablesConfig(destination: destination, prefix: prefix, jobs: [
            ("nodata", "mysql", ["excludeData": ["logs"]], connection),
            ("none", "mysql", ["include": ["nothing*"]], connection),
            ("down", "mysql", ["include": ["a"]], connection.merging(["port": 1]) { $1 }),
        ])
        defer { config.cleanup() }
        var environment = Pipeline.defaultEnvironment
        environment["TSEL_MY_PASSWORD"] = server.password
        environment["PATH"] = wrappers + ":" + (environment["PATH"] ?? "/usr/bin:/bin")

        let failed = try config.backupd(["run-now", "nodata"], environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("mariadb-dump failed (exit status 2)"), "\(failed.stderr)")
        let nothing = try config.backupd(["run-now", "none"], environment: environment)
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("job none: \"tables\" (include nothing*) selects no table of database \(source)"), "\(nothing.stderr)")

        // check cannot ask a database that refuses connections: it says so and exits 1.
        let check = try config.backupd(["check", "down"], environment: environment)
        #expect(check.status == 1)
        #expect(check.stdout.contains("Tables of job down\n  FAILED  job down: cannot connect to \(server.host):1"), "\(check.stdout)")
        #expect(!check.stdout.contains(server.password) && !check.stderr.contains(server.password))

        let history = try HistoryStore(stateDirectory: config.state, readOnly: true)
        for job in ["nodata", "none"] {
            let runs = try history.runs(HistoryQuery(job: job))
            #expect(runs.count == 1 && runs.first?.status == .failed, "\(job): \(runs)")
            await #expect(try destination.isEmpty(prefix: "\(prefix)/\(job)"), "\(job) left objects or an open upload")
        }
    }
}
