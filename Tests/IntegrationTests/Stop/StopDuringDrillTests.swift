import Foundation
import Glibc
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// issue 17: SIGTERM during a restore drill whose restore tool blocks ends it within the grace
/// period, through the real `backupd` binary, and leaves neither the tool running nor a verdict.
@Suite("SIGTERM during a restore drill", .timeLimit(.minutes(4)), .ownThreads)
struct StopDuringDrillTests {
    /// A PostgreSQL job, one backup taken with `run-now`, and a `pg_restore` first on PATH that
    /// lists like the real one but, restoring into a database, records its pid and blocks.
    private struct DrillSetup {
        let fixture: StopFixture
        let pg: PostgresTestServer
        let database: String
        let tools: String

        init(label: String, verify: [String: Any]? = nil) async throws {
            fixture = try await StopFixture(label: label)
            pg = try TestServers.postgres()
            database = try pg.createDatabase(prefix: "stopdrill")
            _ = try pg.psql("CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 100);", database: database)
            tools = fixture.directory + "/tools"
            try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
            let script = """
                #!/bin/sh
                for argument in "$@"; do
                  case "$argument" in --list|-l) PATH="${PATH#*:}" exec pg_restore "$@" ;; esac
                done
                echo $$ > "\(tools)/blocked.pid"
                exec sleep 600
                """
            try script.write(toFile: tools + "/pg_restore", atomically: true, encoding: .utf8)
            chmod(tools + "/pg_restore", 0o755)
            let job: [String: Any] = [
                "engine": "postgres", "schedule": StopFixture.never,
                "connection": ["host": pg.host, "port": pg.port, "username": pg.user, "password": ["env": "STOP_PG_PASSWORD"], "database": database],
            ]
            try fixture.writeConfig(job: job, verify: verify)
        }

        var environment: [String: String] {
            var environment = fixture.environment
            environment["STOP_PG_PASSWORD"] = pg.password
            environment["PATH"] = tools + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            return environment
        }

        /// The blocked restore tool's pid, once it started.
        func blockedPID(timeout: TimeInterval) async -> Int32? {
            var pid: Int32?
            _ = await poll(timeout: timeout) {
                pid = (try? String(contentsOfFile: tools + "/blocked.pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                return pid != nil
            }
            return pid
        }

        func remove() {
            try? pg.dropDatabase(database)
            fixture.remove()
        }
    }

    /// `backupd verify --restore-to SCRATCH` blocked in the drill's restore ends within seconds of
    /// SIGTERM, exits 130 saying so, and leaves no restore tool running and no verdict.
    @Test func verifyCommandDrillStopsOnSigterm() async throws {
        let setup = try await DrillSetup(label: "stop-drill")
        defer { setup.remove() }
        let backup = try runBackupd(["run-now", "app", "--config", setup.fixture.configPath], environment: setup.environment, timeout: 120)
        try #require(backup.status == 0, "run-now: \(backup.stderr)")
        let scratch = "stopdrill_scratch_\(UInt32.random(in: 0...UInt32.max))"
        let verify = try SignalledCommand(["verify", "app", "--restore-to", scratch, "--config", setup.fixture.configPath], environment: setup.environment)
        let blocked = try #require(await setup.blockedPID(timeout: 60), "the drill never started its restore: \(verify.process.stderrTail())")
        let stopped = try verify.stop(with: SIGTERM, limit: 30)
        #expect(stopped.seconds < 10, "verify took \(stopped.seconds) s to stop: \(verify.process.stderrTail())")
        #expect(stopped.exit.statusCode == 130, "\(stopped.exit): \(verify.process.stderrTail())")
        #expect(verify.process.stderrTail().contains("stopped: interrupted by signal \(SIGTERM)"), "\(verify.process.stderrTail())")
        let gone = await poll(timeout: 5) { !processAlive(blocked) }
        #expect(gone, "the drill's restore tool (pid \(blocked)) outlived backupd verify")
        if !gone { kill(blocked, SIGKILL) }
        let verifications = try setup.fixture.history().verifications(job: "app")
        #expect(verifications.allSatisfy { !$0.passed && $0.couldNotRun }, "\(verifications.map { ($0.passed, $0.error ?? "") })")
        _ = try? setup.pg.psql("DROP DATABASE IF EXISTS \"\(scratch)\" WITH (FORCE)", database: setup.database)
    }

    /// The daemon's scheduled verification blocked in the drill's restore: SIGTERM (grace 2 s)
    /// ends the daemon within seconds and kills the restore tool; no verdict is recorded.
    @Test func sigtermDuringScheduledDrill() async throws {
        let scratch = "stopdrill_sched_\(UInt32.random(in: 0...UInt32.max))"
        let setup = try await DrillSetup(label: "stop-sdrill", verify: ["schedule": "*/2 * * * * *", "restoreTo": scratch])
        defer { setup.remove() }
        let backup = try runBackupd(["run-now", "app", "--config", setup.fixture.configPath], environment: setup.environment, timeout: 120)
        try #require(backup.status == 0, "run-now: \(backup.stderr)")
        let daemon = try DaemonProcess(configPath: setup.fixture.configPath, directory: setup.fixture.directory, environment: setup.environment)
        defer { daemon.cleanUp() }
        let blocked = try #require(await setup.blockedPID(timeout: 60), "the drill never started its restore; log:\n\(daemon.log)")
        daemon.send(SIGTERM)
        let status = await daemon.waitForExit(timeout: 15)
        daemon.cleanUp()
        let gone = await poll(timeout: 5) { !processAlive(blocked) }
        #expect(status == 0, "the daemon did not stop within 15 s of SIGTERM (grace 2 s); log:\n\(daemon.log)")
        #expect(gone, "the drill's restore tool (pid \(blocked)) outlived the daemon")
        if !gone { kill(blocked, SIGKILL) }
        let verifications = try setup.fixture.history().verifications(job: "app")
        #expect(verifications.allSatisfy { !$0.passed && $0.couldNotRun }, "\(verifications.map { ($0.passed, $0.error ?? "") })")
        // The one verification under way is recorded, as stopped: no verdict on the backup.
        #expect(verifications.count == 1 && verifications.allSatisfy { ($0.error ?? "").contains("stopped before it finished") },
                "\(verifications.map { ($0.passed, $0.error ?? "") })")
        _ = try? setup.pg.psql("DROP DATABASE IF EXISTS \"\(scratch)\" WITH (FORCE)", database: setup.database)
    }
}
