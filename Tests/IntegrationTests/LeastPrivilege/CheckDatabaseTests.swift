import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd check JOB checks the database, and fails in seconds", .ownThreads)
struct CheckDatabaseTests {
    /// The quickstart's kind of role passes every step: dump tool, login, server version, table
    /// privileges, restore tool, then the destination's S3 steps.
    @Test func leastPrivilegeRolePasses() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let check = try fixture.backupd(["check", "app"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        for line in ["job \"app\"", "ok      dump tool", "ok      login", "ok      server version", "ok      table privileges", "ok      restore tool", "destination \"test\""] {
            #expect(check.stdout.contains(line), "\(line) in \(check.stdout)")
        }
    }

    /// A wrong password fails the login step in seconds with libpq's reason and the password's
    /// config key, not a temporary file.
    @Test func wrongPassword() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let check = try fixture.backupd(["check", "app"], password: "nope", timeout: 60)
        #expect(check.status == 1)
        #expect(check.seconds < 15)
        #expect(check.stdout.contains("FAILED  login"), "\(check.stdout)")
        #expect(check.stdout.contains("password authentication failed for user \"\(fixture.role)\""), "\(check.stdout)")
        #expect(check.stdout.contains("jobs[\"app\"].connection.password"), "\(check.stdout)")
        #expect(!check.stdout.contains("backupd-secrets"))
    }

    /// A table the role has no SELECT on fails the table-privileges step, naming the table.
    @Test func missingTableGrant() async throws {
        let fixture = try await LeastPrivilegeFixture(readAll: false)
        defer { fixture.cleanUp() }
        _ = try fixture.server.psql("CREATE TABLE secret (id int); GRANT SELECT ON customers, orders, customers_id_seq, orders_id_seq TO \(fixture.role)", database: fixture.source)
        let check = try fixture.backupd(["check", "app"], timeout: 60)
        #expect(check.status == 1)
        #expect(check.seconds < 15)
        #expect(check.stdout.contains("FAILED  table privileges"), "\(check.stdout)")
        #expect(check.stdout.contains("cannot read 1 of the 5 tables and sequences pg_dump would dump: public.secret"), "\(check.stdout)")
    }

    /// Without pg_dump on PATH the dump-tool step fails naming it and the package; the restore
    /// tool is then only a warning line.
    @Test func missingDumpTool() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let empty = FileManager.default.temporaryDirectory.path + "/backupd-empty-path-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let check = try fixture.backupd(["check", "app"], environment: ["PATH": empty], timeout: 60)
        #expect(check.status == 1)
        #expect(check.seconds < 15)
        #expect(check.stdout.contains("FAILED  dump tool"), "\(check.stdout)")
        #expect(check.stdout.contains("pg_dump is not installed or not on PATH (\(empty))"), "\(check.stdout)")
        #expect(check.stdout.contains("WARNING restore tool"), "\(check.stdout)")
    }

    /// A closed database port fails the login in seconds (no retry budget), naming host and port.
    @Test func closedDatabasePort() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let port = try LeastPrivilegeFixture.closedPort()
        try fixture.writeConfig(connection: ["port": port])
        let check = try fixture.backupd(["check", "app"], timeout: 60)
        #expect(check.status == 1)
        #expect(check.seconds < 15)
        #expect(check.stdout.contains("FAILED  login"), "\(check.stdout)")
        #expect(check.stdout.contains("cannot connect to 127.0.0.1:\(port)"), "\(check.stdout)")
    }

    /// A closed S3 port fails the destination's endpoint step in seconds, although the
    /// destination's retry budget (retryFor, 5 minutes by default) is for backups.
    @Test func closedS3Port() async throws {
        let fixture = try await LeastPrivilegeFixture()
        defer { fixture.cleanUp() }
        let port = try LeastPrivilegeFixture.closedPort()
        try fixture.writeConfig(destination: ["endpoint": "http://127.0.0.1:\(port)"])
        let check = try fixture.backupd(["check", "app"], timeout: 120)
        #expect(check.status == 1)
        #expect(check.seconds < 15)
        #expect(check.stdout.contains("FAILED  Endpoint"), "\(check.stdout)")
        #expect(check.stdout.contains("ok      login"), "\(check.stdout)")
    }
}
