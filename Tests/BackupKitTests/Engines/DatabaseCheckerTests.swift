import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("check JOB's database steps, with recorded tools", .ownThreads)
struct DatabaseCheckerTests {
    static func run(installed: Set<String>, reply: @escaping @Sendable (ProcessSpec) -> RecordingLauncher.Reply) throws -> CheckReport {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let config = try pipelineConfig(["engine": "postgres", "connection": ["host": "db", "username": "backup", "password": "pw-1", "database": "app"]])
        return DatabaseChecker(job: config.jobs[0], launcher: RecordingLauncher(installed: installed, reply: reply), environment: testEnvironment, secretsParent: tmp.path).run()
    }

    static func outcome(_ report: CheckReport, _ name: String) -> CheckStep.Outcome? {
        report.steps.first { $0.name == name }?.outcome
    }

    /// A server newer than pg_dump fails the version step (login passed), and the report fails.
    @Test func serverNewerThanTool() throws {
        let report = try Self.run(installed: ["pg_dump", "psql", "pg_restore"], reply: healthyTools(pgDump: "15.4", pgServer: "170002"))
        #expect(!report.passed)
        guard case .ok = Self.outcome(report, "login"), case .failed(let why) = Self.outcome(report, "server version") else {
            Issue.record("\(report.render())")
            return
        }
        #expect(why.contains("pg_dump 15.4 is older than the server (17.2)"), "\(why)")
    }

    /// Without pg_restore the check passes with a warning; psql's connect timeout is the check's, not a backup's.
    @Test func missingRestoreToolWarns() throws {
        let seen = SeenEnvironment()
        let report = try Self.run(installed: ["pg_dump", "psql"]) { spec in
            if spec.argv[0] == "psql" { seen.record(spec.environment["PGCONNECT_TIMEOUT"]) }
            return healthyTools()(spec)
        }
        #expect(report.passed, "\(report.render())")
        guard case .warning(let text) = Self.outcome(report, "restore tool") else {
            Issue.record("\(report.render())")
            return
        }
        #expect(text.contains("pg_restore is not installed"))
        #expect(report.render().contains("(1 with a warning)"))
        #expect(!seen.values.isEmpty && seen.values.allSatisfy { $0 == String(DatabaseChecker.connectTimeout) })
        #expect(DatabaseChecker.connectTimeout <= 10)
    }
}

/// Values seen by a recording launcher's reply, from any thread.
final class SeenEnvironment: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String?] = []
    func record(_ value: String?) { lock.withLock { list.append(value) } }
    var values: [String?] { lock.withLock { list } }
}
