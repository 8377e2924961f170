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

/// The whole PITR path through the real binary: a PostgreSQL 15 cluster of the test's own whose
/// archive_command is `backupd wal-push`, a real `backupd run` daemon with its control socket,
/// base backups with `run-now`, restores with `backupd restore --to-dir`, radosgw behind.
@Suite("PITR end to end", .serialized, .ownThreads)
struct PITREndToEndTests {
    /// Rows at T1, T2, T3 (each followed by pg_switch_wal()): a restore to a time between T2 and T3
    /// has exactly the T1 and T2 rows; a row written while the daemon was down (pushes failed,
    /// PostgreSQL kept the segment and retried) is archived once it is back; `--latest` has every row.
    @Test func restoreToATimeAndToTheLatest() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        var daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let cluster = world.cluster

        let backup = try world.backupd(["run-now", "pg"])
        #expect(backup.status == 0, "\(backup.stderr)\n\(daemon.log)")
        let manifest = try await world.onlyManifest()
        let base = try #require(manifest.baseBackup, "the manifest records the base backup's WAL range")
        #expect(base.timeline == 1 && base.stopTimeline == 1)
        #expect(base.startLSN <= base.stopLSN)
        #expect(manifest.tool.name == "pg_basebackup")

        try cluster.psql("CREATE TABLE t (id int)")
        try cluster.psql("INSERT INTO t VALUES (1)")
        try world.switchAndWaitArchived()
        try cluster.psql("INSERT INTO t VALUES (2)")
        try world.switchAndWaitArchived()
        try await Task.sleep(for: .milliseconds(1200))
        let between = try cluster.psql("SELECT now()")
        try await Task.sleep(for: .milliseconds(1200))
        try cluster.psql("INSERT INTO t VALUES (3)")
        try world.switchAndWaitArchived()

        // The daemon is down: archiving fails, PostgreSQL keeps the segment.
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
        try cluster.psql("INSERT INTO t VALUES (4)")
        let waiting = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
        #expect(await poll(timeout: 30) { (Int((try? cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? "") ?? 0) > 0 })
        #expect(try world.archivedUpTo() < waiting, "nothing can be archived without the daemon")
        daemon = try world.startDaemon()
        // A new switch wakes the archiver at once (it otherwise retries within a minute).
        try cluster.psql("INSERT INTO t VALUES (5)")
        try world.switchAndWaitArchived()
        #expect(try world.archivedUpTo() >= waiting)

        let toTime = try world.backupd(["restore", "pg", "--time", between, "--to-dir", world.directory + "/r1"])
        #expect(toTime.status == 0, "\(toTime.stderr)")
        #expect(toTime.stdout.contains("recovery_target_action = 'promote'"))
        let first = try world.startRestored("r1")
        defer { first.stop() }
        #expect(try first.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2", "\(first.log)")

        let latest = try world.backupd(["restore", "pg", "--latest", "--to-dir", world.directory + "/r2"])
        #expect(latest.status == 0, "\(latest.stderr)")
        let second = try world.startRestored("r2")
        defer { second.stop() }
        #expect(try second.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2,3,4,5", "\(second.log)")
    }

    /// `wal-push` of a segment already archived with the same content succeeds (PostgreSQL
    /// retries); other content under the same name fails loudly and overwrites nothing;
    /// `wal-fetch` of a segment the archive lacks exits non-zero.
    @Test func rePushAndMissingSegments() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        try world.cluster.psql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id")
        let segment = try world.switchAndWaitArchived()

        let scratch = world.directory + "/fetched"
        try PITRCluster.ownedDirectory(scratch)
        let fetch = try world.asServerUser(["wal-fetch", "pg", segment, scratch + "/" + segment])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        let again = try world.asServerUser(["wal-push", "pg", scratch + "/" + segment])
        #expect(again.status == 0, "\(again.stderr)")

        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch + "/" + segment)))
        bytes[bytes.count / 2] ^= 0xFF
        let other = world.directory + "/other"
        try PITRCluster.ownedDirectory(other)
        try Data(bytes).write(to: URL(fileURLWithPath: other + "/" + segment))
        if geteuid() == 0, let user = getpwnam("postgres") { chown(other + "/" + segment, user.pointee.pw_uid, user.pointee.pw_gid) }
        let clash = try world.asServerUser(["wal-push", "pg", other + "/" + segment])
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("is already archived") && clash.stderr.contains("different content"), "\(clash.stderr)")
        // The stored segment is still the original.
        let refetch = try world.asServerUser(["wal-fetch", "pg", segment, scratch + "/again"])
        #expect(refetch.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch + "/again")) == Data(contentsOf: URL(fileURLWithPath: scratch + "/" + segment)))

        let missing = try world.asServerUser(["wal-fetch", "pg", "0000000100000000000000FE", scratch + "/missing"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("is not in the archive"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/missing"))

        // A corrupt copy in the bucket is no end of the archive: wal-fetch exits 255, which
        // PostgreSQL takes as fatal (recovery stops) rather than as a missing file (recovery
        // would end early and promote without the rest).
        try world.replaceArchived(segment, with: Data("not a zstd frame".utf8))
        let corrupt = try world.asServerUser(["wal-fetch", "pg", segment, scratch + "/corrupt"])
        #expect(corrupt.status == 255)
        #expect(corrupt.stderr.contains("does not hold a good WAL file") && corrupt.stderr.contains("recovery stops here"), "\(corrupt.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/corrupt"))
    }
}
