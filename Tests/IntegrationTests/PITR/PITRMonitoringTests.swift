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
}
