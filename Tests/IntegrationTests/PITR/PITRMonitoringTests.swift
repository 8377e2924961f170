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

/// Monitoring of WAL archiving through the real binary: the daemon records each wal-push's
/// outcome in the history, and `backupd status` judges PITR jobs by it.
@Suite("PITR monitoring", .serialized, .ownThreads)
struct PITRMonitoringTests {
    /// A push the daemon cannot store (other content under an archived name) makes `status` exit 1
    /// with `ARCHIVE-FAILING` naming the file and the reason; the next segment stored makes the
    /// job ok again.
    @Test func statusShowsAFailingPushUntilTheNextOneIsStored() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try world.cluster.psql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id")
        let segment = try world.switchAndWaitArchived()
        let healthy = try world.backupd(["status"])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")

        // Other content under the archived name: the daemon refuses and records the failure.
        let scratch = world.directory + "/fetched"
        try PITRCluster.ownedDirectory(scratch)
        #expect(try world.asServerUser(["wal-fetch", "pg", segment, scratch + "/" + segment]).status == 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch + "/" + segment)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: scratch + "/" + segment))
        if geteuid() == 0, let user = getpwnam("postgres") { chown(scratch + "/" + segment, user.pointee.pw_uid, user.pointee.pw_gid) }
        #expect(try world.asServerUser(["wal-push", "pg", scratch + "/" + segment]).status == 1)

        let failing = try world.backupd(["status"])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("ARCHIVE-FAILING"), "\(failing.stdout)")
        #expect(failing.stdout.contains("WAL archiving fails: the push of \(segment) failed") && failing.stdout.contains("different content"), "\(failing.stdout)")

        try world.cluster.psql("INSERT INTO t VALUES (0)")
        try world.switchAndWaitArchived()
        let recovered = try world.backupd(["status"])
        #expect(recovered.status == 0, "\(recovered.stdout)")
    }

    /// `check JOB` of a PITR job passes with archiving set up and the daemon's socket open to the
    /// archive user; it fails naming archive_command once the server archives elsewhere, and
    /// naming the socket once the daemon is down.
    @Test func checkVerifiesArchivingAndTheSocket() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        var daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let good = try world.backupd(["check", "pg"])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("archive_command runs wal-push for pg") && good.stdout.contains("postgres (uid"), "\(good.stdout)")

        try world.cluster.psql("ALTER SYSTEM SET archive_command = 'true'")
        _ = try world.cluster.psql("SELECT pg_reload_conf()")
        try await Task.sleep(for: .milliseconds(500))
        let wrongCommand = try world.backupd(["check", "pg"])
        #expect(wrongCommand.status == 1)
        #expect(wrongCommand.stdout.contains("archive_command is \"true\"; set archive_command = 'backupd wal-push"), "\(wrongCommand.stdout)")

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
        let down = try world.backupd(["check", "pg"])
        #expect(down.status == 1)
        #expect(down.stdout.contains("is not there: is the daemon running"), "\(down.stdout)")
        daemon = try world.startDaemon()
    }

    /// Segments waiting in pg_wal/archive_status: with archiving stopped (archive_command 'false')
    /// three segments wait; `wal-push` of the oldest, run as PostgreSQL runs it (from the data
    /// directory, `pg_wal/NAME`), sends the count of the others, which the metric
    /// `backupd_wal_archive_backlog_segments` and `status` show; above `maxArchiveBacklog: 1` the
    /// job is ARCHIVE-LAGGING naming the count; once PostgreSQL archives again and catches up, the
    /// count is 0 and the job ok.
    @Test func segmentsWaitingInArchiveStatusAreCountedAndJudged() async throws {
        let world = try await PITRWorld.make(pitr: ["maxArchiveBacklog": 1])
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let cluster = world.cluster
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try cluster.psql("CREATE TABLE t (id int)")
        try world.switchAndWaitArchived()

        try cluster.psql("ALTER SYSTEM SET archive_command = 'false'")
        _ = try cluster.psql("SELECT pg_reload_conf()")
        try await Task.sleep(for: .milliseconds(500))
        var switched: [String] = []
        for id in 1...3 {
            try cluster.psql("INSERT INTO t VALUES (\(id))")
            switched.append(try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())"))
        }
        let ready = { try cluster.psql("SELECT string_agg(name, ',' ORDER BY name) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'").split(separator: ",").map(String.init) }
        #expect(await poll(timeout: 30) { ((try? ready()) ?? []).count >= 3 }, "three segments wait")
        let waiting = try ready()
        let oldest = try #require(waiting.first).replacingOccurrences(of: ".ready", with: "")
        #expect(switched.contains(oldest), "\(waiting) \(switched)")

        let push = try PITRCluster.asServerUser([world.binary, "wal-push", "--config", world.configPath, "pg", "pg_wal/" + oldest], in: cluster.data, check: false)
        #expect(push.status == 0, "\(push.stderr)")
        let others = waiting.count - 1
        // wal-push sent the next segment waiting ahead: the daemon stored it before PostgreSQL
        // asked, yet the newest archived file stays the one pushed (checked in `status` below).
        let second = waiting[1].replacingOccurrences(of: ".ready", with: "")
        #expect(await poll(timeout: 30) { ((try? world.archivedNames()) ?? []).contains(second) }, "\(second) stored ahead: \(daemon.log)")
        let metrics = try world.metricsText()
        #expect(metrics.contains(#"backupd_wal_archive_backlog_segments{backup_job="pg"} \#(others)"#), "\(metrics)")
        // Every WAL series the contrib alert rules use is exported for the PITR job.
        let ruled = try ContribAlertRules.metricNames(prefix: "backupd_wal_")
        #expect(ruled.count >= 3, "\(ruled)")
        for name in ruled {
            #expect(metrics.contains(name + #"{backup_job="pg"}"#), "\(name) used by contrib/prometheus but not exported: \(metrics)")
        }
        let lagging = try world.backupd(["status"])
        #expect(lagging.status == 1, "\(lagging.stdout)")
        #expect(lagging.stdout.contains("ARCHIVE-LAGGING"), "\(lagging.stdout)")
        #expect(lagging.stdout.contains("\(others) WAL file(s) were waiting in pg_wal/archive_status") && lagging.stdout.contains("pitr.maxArchiveBacklog (1)"), "\(lagging.stdout)")
        #expect(lagging.stdout.contains("pg: WAL archive: newest \(oldest)") && lagging.stdout.contains("\(others) waiting in pg_wal/archive_status"), "\(lagging.stdout)")
        // `status --json` carries the same in its schema's `walArchive` object.
        let json = try world.backupd(["status", "--json"])
        #expect(json.status == 1)
        #expect(try JSONSchemaValidator.errors(json.stdout, schema: "status").isEmpty, "\(json.stdout)")
        let jobs = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]])
        let pg = try #require(jobs.first { $0["job"] as? String == "pg" })
        #expect(pg["state"] as? String == "archive-lagging")
        let archive = try #require(pg["walArchive"] as? [String: Any], "\(json.stdout)")
        #expect(archive["waiting"] as? Int == others && archive["newest"] as? String == oldest, "\(json.stdout)")

        try cluster.psql("ALTER SYSTEM RESET archive_command")
        _ = try cluster.psql("SELECT pg_reload_conf()")
        try await Task.sleep(for: .milliseconds(500))
        try cluster.psql("INSERT INTO t VALUES (4)")
        let last = try world.switchAndWaitArchived()
        #expect(await poll(timeout: 30) { ((try? ready()) ?? ["?"]).isEmpty }, "nothing waits any more")
        let names = try world.archivedNames()
        #expect((switched + [last]).allSatisfy(names.contains), "\(switched) \(last) in \(names)")
        #expect(try world.metricsText().contains(#"backupd_wal_archive_backlog_segments{backup_job="pg"} 0"#))
        let ok = try world.backupd(["status"])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("0 waiting in pg_wal/archive_status"), "\(ok.stdout)")
        // PostgreSQL's own push of the segment sent ahead was answered from the bucket's HEAD.
        #expect(daemon.log.contains("wal.bytes=sent-ahead wal.name=\(second)"), "\(daemon.log)")
    }
}
