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

/// WAL retention of a PITR job through the real binary: a PostgreSQL 15 cluster archiving through
/// `backupd wal-push` to radosgw, base backups with `run-now`, `prune` with `keepLast: 2`.
@Suite("PITR retention", .serialized, .ownThreads)
struct PITRRetentionTests {
    /// Three base backups with WAL between them and `keepLast: 2`: prune deletes the oldest base
    /// backup and exactly the WAL before the start of the older kept one (the AWS CLI no longer
    /// lists it, everything from that start on is still there); a restore to a time after the
    /// older kept backup and a restore to the latest point still have every row they should.
    @Test func walBeforeTheOldestKeptBaseBackupIsDeleted() async throws {
        let world = try await PITRWorld.make(retention: ["keepLast": 2])
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let cluster = world.cluster

        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try cluster.psql("CREATE TABLE t (id int)")
        try cluster.psql("INSERT INTO t VALUES (1)")
        try world.switchAndWaitArchived()
        try world.switchAndWaitArchived()
        let second = try world.backupd(["run-now", "pg"])
        #expect(second.status == 0, "\(second.stderr)\n\(daemon.log)")
        try cluster.psql("INSERT INTO t VALUES (2)")
        try world.switchAndWaitArchived()
        try await Task.sleep(for: .milliseconds(1200))
        let between = try cluster.psql("SELECT now()")
        try await Task.sleep(for: .milliseconds(1200))
        try cluster.psql("INSERT INTO t VALUES (3)")
        try world.switchAndWaitArchived()

        let bases = try await world.manifests().compactMap(\.baseBackup)
        #expect(bases.count == 2, "the daemon's prune after a run keeps 2 at most")
        let keptStart = try #require(bases.last?.startWALFile, "the second base backup's start")
        let before = try world.archivedNames()
        #expect(before.contains { $0.count == 24 && $0 < keptStart }, "WAL older than the second base backup was archived: \(before)")

        // The third base backup: keepLast 2 drops the first, and the WAL before the second's start.
        let third = try world.backupd(["run-now", "pg"])
        #expect(third.status == 0, "\(third.stderr)\n\(daemon.log)")
        try world.switchAndWaitArchived()
        let pruned = try world.backupd(["prune", "pg"])
        #expect(pruned.status == 0, "\(pruned.stdout)\n\(pruned.stderr)")
        let dryRun = try world.backupd(["prune", "pg", "--dry-run"])
        #expect(dryRun.stdout.contains("WAL: 0 file(s) older than \(keptStart)"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("can restore to any point from"), "\(dryRun.stdout)")

        let manifests = try await world.manifests()
        #expect(manifests.count == 2)
        #expect(manifests.first?.baseBackup?.startWALFile == keptStart, "the second base backup is now the oldest")
        let after = try world.archivedNames()
        let segments = after.filter { $0.count == 24 }
        #expect(!after.contains { $0.prefix(24) < keptStart && !$0.hasSuffix(".history") }, "nothing before \(keptStart) is left: \(after)")
        #expect(before.filter { $0.count == 24 && $0 >= keptStart }.allSatisfy(segments.contains), "every segment from \(keptStart) on is kept")
        #expect(segments.first == keptStart, "\(segments)")

        let toTime = try world.backupd(["restore", "pg", "--time", between, "--to-dir", world.directory + "/r1"])
        #expect(toTime.status == 0, "\(toTime.stderr)")
        let first = try world.startRestored("r1")
        defer { first.stop() }
        #expect(try first.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2", "\(first.log)")

        let latest = try world.backupd(["restore", "pg", "--latest", "--to-dir", world.directory + "/r2"])
        #expect(latest.status == 0, "\(latest.stderr)")
        let restored = try world.startRestored("r2")
        defer { restored.stop() }
        #expect(try restored.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2,3", "\(restored.log)")
    }
}
