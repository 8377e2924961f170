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

/// `verify` of a PITR job's WAL chain through the real binary, against a PostgreSQL 15 cluster
/// archiving through `backupd wal-push` to radosgw.
@Suite("PITR WAL chain", .serialized, .ownThreads)
struct PITRChainTests {
    /// A complete chain verifies (exit 0, the base backup's tar checked); after a segment is
    /// deleted from the bucket with the AWS CLI, `verify` exits 1 naming it
    /// (`missing 0000000100000000000000XX`) and says recovery now reaches only the segment before it.
    @Test func verifyNamesADeletedSegment() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let switched = try world.baseBackupThenSegments(4, daemon: daemon)

        let good = try world.backupd(["verify", "pg"])
        #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
        #expect(good.stdout.contains("WAL chain of base backup") && good.stdout.contains("complete to \(switched[3])"), "\(good.stdout)")

        let victim = switched[1]
        #expect(Set(switched).count == 4 && victim < switched[3], "\(switched)")
        #expect(try world.archivedNames().contains(victim))
        let bucket = world.destination.json["bucket"] as? String ?? ""
        let removed = try TestS3.environment().aws(["s3", "rm", "s3://\(bucket)/pitr/pg/wal/00000001/\(victim).zst"])
        #expect(removed.status == 0, "\(removed.error)")
        #expect(try !world.archivedNames().contains(victim))

        let gap = try world.backupd(["verify", "pg"])
        #expect(gap.status == 1, "\(gap.stdout)")
        #expect(gap.stderr.contains("missing \(victim)"), "\(gap.stderr)")
        let before = try #require(WALFileName(victim)?.segmentNumber).advanced(by: -1)
        #expect(gap.stderr.contains("recovery from it now reaches only") && gap.stderr.contains(WALFileName.segmentName(timeline: 1, number: before)), "\(gap.stderr)")
    }

    /// The daemon down while PostgreSQL archives: pushes fail, PostgreSQL keeps the segments in
    /// pg_wal and retries; once the daemon is back every one of them is archived and `verify`
    /// finds the chain complete (no segment lost).
    @Test func daemonDownLosesNothing() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        var daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let cluster = world.cluster
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try cluster.psql("CREATE TABLE t (id int)")
        try world.switchAndWaitArchived()

        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
        var waiting: [String] = []
        for id in 1...3 {
            try cluster.psql("INSERT INTO t VALUES (\(id))")
            waiting.append(try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())"))
        }
        #expect(await poll(timeout: 30) { (Int((try? cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? "") ?? 0) > 0 })
        #expect(try world.archivedUpTo() < waiting[0], "nothing can be archived without the daemon")
        let ready = try cluster.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")
        #expect((Int(ready) ?? 0) >= 3, "PostgreSQL keeps the segments it could not archive (\(ready) waiting)")

        daemon = try world.startDaemon()
        try cluster.psql("INSERT INTO t VALUES (4)")
        try world.switchAndWaitArchived()
        let archived = try world.archivedNames()
        #expect(waiting.allSatisfy(archived.contains), "every segment held back is archived: \(waiting) in \(archived)")
        let verified = try world.backupd(["verify", "pg"])
        #expect(verified.status == 0, "\(verified.stdout)\n\(verified.stderr)")
        #expect(verified.stdout.contains("complete to"), "\(verified.stdout)")
    }

    /// A job with two destinations (two buckets): `verify` checks the WAL chain at each and records
    /// one `wal-chain` verification row per destination; after a segment is deleted from the
    /// second bucket only, `verify` exits 1 naming the gap at `test2` while `test` stays complete,
    /// the newest row for `test2` failed naming the segment, the one for `test` passed, and
    /// `status` calls the job verification-failed at test2.
    @Test func everyDestinationsChainIsCheckedAndRecorded() async throws {
        let world = try await PITRWorld.make(secondDestination: true)
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let second = try #require(world.second)
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try world.cluster.psql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id")
        var switched: [String] = []
        for id in 0..<3 {
            try world.cluster.psql("INSERT INTO t VALUES (\(id))")
            switched.append(try world.switchAndWaitArchived())
        }
        #expect(try world.archivedNames(in: second).contains(switched[1]), "the second bucket has the WAL too")

        let good = try world.backupd(["verify", "pg"])
        #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
        for name in ["test", "test2"] {
            #expect(good.stdout.contains("at \(name): WAL chain of base backup") && good.stdout.contains("complete to \(switched[2])"), "\(good.stdout)")
        }
        let firstRows = try world.history().verifications(job: "pg").filter { $0.backupID == WALChainVerifier.historyID }
        #expect(firstRows.count == 2 && Set(firstRows.compactMap(\.destination)) == ["test", "test2"] && firstRows.allSatisfy(\.passed), "\(firstRows)")

        let victim = switched[1]
        let removed = try TestS3.environment().aws(["s3", "rm", "s3://\(second.json["bucket"] as? String ?? "")/pitr/pg/wal/00000001/\(victim).zst"])
        #expect(removed.status == 0, "\(removed.error)")
        let gap = try world.backupd(["verify", "pg"])
        #expect(gap.status == 1, "\(gap.stdout)\n\(gap.stderr)")
        #expect(gap.stderr.contains("at test2: WAL chain of base backup") && gap.stderr.contains("missing \(victim)"), "\(gap.stderr)")
        #expect(gap.stdout.contains("at test: WAL chain of base backup") && gap.stdout.contains("complete to \(switched[2])"), "\(gap.stdout)")
        #expect(!gap.stderr.contains("at test: "), "\(gap.stderr)")

        let rows = try world.history().verifications(job: "pg").filter { $0.backupID == WALChainVerifier.historyID }
        #expect(rows.count == 4, "one row per destination per verify: \(rows)")
        let newest = Dictionary(rows.reversed().map { ($0.destination ?? "", $0) }) { $1 }
        #expect(newest["test"]?.passed == true, "\(rows)")
        #expect(newest["test2"]?.passed == false && newest["test2"]?.error?.contains("missing \(victim)") == true, "\(rows)")
        let status = try world.backupd(["status"])
        #expect(status.status == 1)
        #expect(status.stdout.contains("VERIFICATION-FAILED") && status.stdout.contains("wal-chain at test2") && status.stdout.contains("missing \(victim)"), "\(status.stdout)")
    }
}
