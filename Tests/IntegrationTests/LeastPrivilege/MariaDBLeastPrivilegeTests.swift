import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("MariaDB: least-privilege restore and check through the binary", .ownThreads)
struct MariaDBLeastPrivilegeTests {
    /// The server, a source database with a view and a trigger defined by the administrator, a user
    /// with read grants on it and ALL on a target database, and a config for job `app` as that user.
    struct Fixture {
        let server: MariaDBTestServer
        let user: String
        let password: String
        let source: String
        let target: String
        let state: String
        let configPath: String

        init(grants: String) async throws {
            server = try TestServers.mariadb()
            user = TestServers.uniqueName("lpm")
            password = (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            source = try server.createDatabase(prefix: "lpmsrc")
            target = try server.createDatabase(prefix: "lpmdst")
            _ = try server.mariadb("""
                CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT seq, concat('wert ', seq) FROM seq_1_to_500;
                CREATE TABLE hidden (id int); CREATE VIEW vv AS SELECT id, v FROM t WHERE id <= 10;
                CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.v = upper(NEW.v);
                """, database: source)
            _ = try server.mariadb("""
                CREATE USER '\(user)'@'%' IDENTIFIED BY '\(password)';
                \(grants.replacingOccurrences(of: "SRC", with: "`\(source)`").replacingOccurrences(of: "USER", with: "'\(user)'@'%'"));
                GRANT ALL ON `\(target)`.* TO '\(user)'@'%';
                """)
            let destination = try await TestDestination.make()
            state = FileManager.default.temporaryDirectory.path + "/backupd-lpm-\(UUID().uuidString)"
            configPath = state + ".json"
            let job: [String: Any] = [
                "name": "app", "engine": "mysql", "schedule": "0 3 * * *", "destination": "test", "prefix": "lpm/\(source)",
                "connection": ["host": server.host, "port": server.port, "username": user, "password": ["env": "LPM_PASSWORD"], "database": source],
            ]
            try JSONSerialization.data(withJSONObject: ["stateDirectory": state, "destinations": [destination.json], "jobs": [job]])
                .write(to: URL(fileURLWithPath: configPath))
            chmod(configPath, 0o600)
        }

        func backupd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String, seconds: Double) {
            var environment = Pipeline.defaultEnvironment
            environment["LPM_PASSWORD"] = password
            let started = Date()
            let result = try runBackupd(arguments + ["--config", configPath], environment: environment, timeout: 120)
            return (result.status, result.stdout, result.stderr, Date().timeIntervalSince(started))
        }

        func cleanUp() {
            try? server.dropDatabase(source)
            try? server.dropDatabase(target)
            _ = try? server.mariadb("DROP USER IF EXISTS '\(user)'@'%'")
            try? FileManager.default.removeItem(atPath: state)
            try? FileManager.default.removeItem(atPath: configPath)
        }
    }

    /// A user with read grants backs up and restores into a database it has ALL on: the trigger's
    /// and view's DEFINER (the administrator, which only SUPER may restore) are stripped, the data
    /// matches, and the objects belong to the user; with --keep-owner the server's ERROR 1227 is the CLI's message.
    @Test func restoreIntoOwnDatabaseStripsDefiners() async throws {
        let fixture = try await Fixture(grants: "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON SRC.* TO USER")
        defer { fixture.cleanUp() }
        let backup = try fixture.backupd(["run-now", "app"])
        #expect(backup.status == 0, "\(backup.stderr)")
        let kept = try fixture.backupd(["restore", "app", "--to", fixture.target, "--keep-owner"])
        #expect(kept.status == 1)
        #expect(kept.stderr.contains("ERROR 1227"), "\(kept.stderr)")
        #expect(kept.stderr.contains("SUPER"), "\(kept.stderr)")

        let restore = try fixture.backupd(["restore", "app", "--to", fixture.target])
        #expect(restore.status == 0, "\(restore.stderr)")
        let query = "SELECT count(*), sum(id), max(v) FROM t; SELECT count(*) FROM vv"
        #expect(try fixture.server.mariadb(query, database: fixture.target) == fixture.server.mariadb(query, database: fixture.source))
        let definer = try fixture.server.mariadb(
            "SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '\(fixture.target)' AND TRIGGER_NAME = 'trg'")
        #expect(definer == "\(fixture.user)@%\n")
    }

    /// `check` passes for database-wide read grants, and fails in seconds naming the missing
    /// database-wide SELECT when the user has grants on single tables only (a table without one is
    /// invisible to it and would be left out silently).
    @Test func checkNeedsDatabaseWideSelect() async throws {
        let good = try await Fixture(grants: "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON SRC.* TO USER")
        defer { good.cleanUp() }
        let passed = try good.backupd(["check", "app"])
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        #expect(passed.stdout.contains("ok      table privileges"), "\(passed.stdout)")

        let partial = try await Fixture(grants: "GRANT SELECT ON SRC.t TO USER; GRANT SELECT, SHOW VIEW ON SRC.vv TO USER; GRANT EVENT, TRIGGER ON SRC.* TO USER")
        defer { partial.cleanUp() }
        let failed = try partial.backupd(["check", "app"])
        #expect(failed.status == 1)
        #expect(failed.seconds < 15)
        #expect(failed.stdout.contains("FAILED  table privileges"), "\(failed.stdout)")
        #expect(failed.stdout.contains("has no SELECT on \(partial.source).*"), "\(failed.stdout)")
    }
}
