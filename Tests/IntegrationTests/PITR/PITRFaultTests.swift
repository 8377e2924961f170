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

/// WAL archiving through faults and with encryption, through the real binary against a
/// PostgreSQL 15 cluster and radosgw (behind a FaultProxy for the outage).
@Suite("PITR faults and encrypted WAL", .serialized, .ownThreads)
struct PITRFaultTests {
    /// S3 unreachable for 30 s while PostgreSQL archives (the proxy in front of radosgw first
    /// stalls for 15 s, so a push hangs, then refuses connections for 15 s, resetting the hung one;
    /// the destination's retryFor is 2 s): pushes fail (pg_stat_archiver counts failures, `status`
    /// says ARCHIVE-FAILING) and PostgreSQL keeps the segments;
    /// once S3 is back every one is archived, `verify` finds the chain complete and a restore to
    /// the latest point has every row written before, during and after the outage.
    @Test func s3UnreachableFor30SecondsLosesNothing() async throws {
        let s3 = try TestS3.environment()
        let proxy = try FaultProxy(upstreamPort: s3.endpoint.port ?? 80)
        defer { proxy.close() }
        let world = try await PITRWorld.make(destinationKeys: ["endpoint": "http://127.0.0.1:\(proxy.port)", "retryFor": "2s"])
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let cluster = world.cluster
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try cluster.psql("CREATE TABLE t (id int)")
        try cluster.psql("INSERT INTO t VALUES (0)")
        try world.switchAndWaitArchived()
        let failuresBefore = Int(try cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? 0

        proxy.stall()
        let refuseFrom = Date().addingTimeInterval(15)
        let outageEnds = Date().addingTimeInterval(30)
        var during: [String] = []
        var id = 1
        var refusing = false
        while Date() < outageEnds {
            if !refusing, Date() >= refuseFrom {
                proxy.refuse()
                refusing = true
            }
            try cluster.psql("INSERT INTO t SELECT generate_series(\(id * 1000), \(id * 1000 + 999))")
            during.append(try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())"))
            id += 1
            try await Task.sleep(for: .seconds(5))
        }
        #expect(during.count >= 5)
        let failed = Int(try cluster.psql("SELECT failed_count FROM pg_stat_archiver")) ?? 0
        #expect(failed > failuresBefore, "pushes failed while S3 was unreachable")
        #expect(try world.archivedUpTo() < during[0], "nothing was archived during the outage")
        let failing = try world.backupd(["status"])
        #expect(failing.status == 1 && failing.stdout.contains("ARCHIVE-FAILING"), "\(failing.stdout)")
        let held = try cluster.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")
        #expect((Int(held) ?? 0) >= during.count, "PostgreSQL keeps every segment it could not archive (\(held) waiting)")

        try proxy.restore()
        try cluster.psql("INSERT INTO t VALUES (-1)")
        try world.switchAndWaitArchived(timeout: 180)
        let archived = try world.archivedNames()
        #expect(during.allSatisfy(archived.contains), "every segment of the outage is archived: \(during) in \(archived)")
        let ok = try world.backupd(["status"])
        #expect(ok.status == 0, "\(ok.stdout)")
        let verified = try world.backupd(["verify", "pg"])
        #expect(verified.status == 0, "\(verified.stdout)\n\(verified.stderr)")
        #expect(verified.stdout.contains("complete to"), "\(verified.stdout)")

        let expected = try cluster.psql("SELECT count(*) || ':' || sum(id) FROM t")
        let latest = try world.backupd(["restore", "pg", "--latest", "--to-dir", world.directory + "/r1"])
        #expect(latest.status == 0, "\(latest.stderr)")
        let restored = try world.startRestored("r1")
        defer { restored.stop() }
        #expect(try restored.psql("SELECT count(*) || ':' || sum(id) FROM t") == expected, "\(restored.log)")
        #expect(try restored.psql("SELECT count(*) FROM t WHERE id = -1") == "1")
    }

    /// A PITR job with age encryption: segments are stored as `….zst.age`, each an age file (its
    /// header, and none of the segment's own bytes in plain text); `wal-fetch` without the
    /// identity refuses with 255 (recovery stops, it does not end), with it gives back the segment (a WAL page header); `restore --time
    /// --identity` puts the identity in restore_command and the restored cluster has exactly the
    /// rows up to the target.
    @Test func encryptedWALEndToEnd() async throws {
        let key = try AgeKey.make()
        defer { key.remove() }
        let world = try await PITRWorld.make(encryptTo: key.recipient)
        defer { world.tearDown() }
        // The restored server runs wal-fetch as its own user: the identity must be its to read.
        let identity = world.directory + "/identity.txt"
        try FileManager.default.copyItem(atPath: key.identity, toPath: identity)
        chmod(identity, 0o600)
        if geteuid() == 0, let user = getpwnam("postgres") { chown(identity, user.pointee.pw_uid, user.pointee.pw_gid) }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let cluster = world.cluster
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try cluster.psql("CREATE TABLE t (id int)")
        try cluster.psql("INSERT INTO t VALUES (1)")
        try world.switchAndWaitArchived()
        try cluster.psql("INSERT INTO t VALUES (2)")
        let segment = try world.switchAndWaitArchived()
        try await Task.sleep(for: .milliseconds(1200))
        let between = try cluster.psql("SELECT now()")
        try await Task.sleep(for: .milliseconds(1200))
        try cluster.psql("INSERT INTO t VALUES (3)")
        try world.switchAndWaitArchived()

        let objectKey = "pitr/pg/wal/00000001/\(segment).zst.age"
        let stored = try await world.destination.store.read(key: objectKey)
        #expect(stored.starts(with: Array("age-encryption.org/v1\n".utf8)), "an age file")
        #expect(try await world.destination.store.head(key: "pitr/pg/wal/00000001/\(segment).zst") == nil, "no unencrypted copy")

        let scratch = world.directory + "/fetched"
        try PITRCluster.ownedDirectory(scratch)
        let refused = try world.asServerUser(["wal-fetch", "pg", segment, scratch + "/plain"])
        // Without the identity the archive cannot say whether the file is good: 255 stops recovery.
        #expect(refused.status == 255, "\(refused.stderr)")
        #expect(refused.stderr.contains("--identity FILE"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/plain"))
        let fetched = try world.asServerUser(["wal-fetch", "pg", segment, scratch + "/plain", "--identity", identity])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let plain = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch + "/plain")))
        #expect(plain.count == 16 << 20)
        // XLogLongPageHeader: xlp_magic 0xD110 (PostgreSQL 15), little-endian.
        #expect(plain.prefix(2) == [0x10, 0xD1], "\(plain.prefix(4))")
        // No run of the segment's bytes is stored in plain text.
        let probe = Array(plain[0..<64])
        #expect(!contains(stored, probe), "the segment's first page header is not in the stored object")

        let toTime = try world.backupd(["restore", "pg", "--time", between, "--to-dir", world.directory + "/r1", "--identity", identity])
        #expect(toTime.status == 0, "\(toTime.stderr)")
        #expect(toTime.stdout.contains("--identity \(identity)"), "\(toTime.stdout)")
        let restored = try world.startRestored("r1")
        defer { restored.stop() }
        #expect(try restored.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2", "\(restored.log)")
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
    /// A segment corrupted in the bucket after the base backup: `restore --latest` sets up
    /// recovery as usual, and the restored server does not come up promoted without the rest of
    /// the WAL: `wal-fetch` exits 255 at that segment and PostgreSQL stops recovery (FATAL),
    /// with the reason in its log.
    @Test func corruptSegmentStopsRecoveryInsteadOfEndingIt() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let switched = try world.baseBackupThenSegments(3, daemon: daemon)
        try world.replaceArchived(switched[1], with: Data("not a zstd frame".utf8))

        let restore = try world.backupd(["restore", "pg", "--latest", "--to-dir", world.directory + "/r"])
        #expect(restore.status == 0, "\(restore.stderr)")
        // pg_ctl may see the server accept read-only connections before recovery reaches the segment.
        let server = try? world.startRestored("r", awaitingPromotion: false)
        defer { server?.stop() }
        var log = ""
        let stopped = await poll(timeout: 60) {
            log = (try? String(contentsOfFile: world.directory + "/r-run/server.log", encoding: .utf8)) ?? ""
            return log.contains("database system is shut down")
        }
        #expect(stopped, "the server stops during recovery: \(log)")
        #expect(log.contains("\(switched[1]).zst does not hold a good WAL file") && log.contains("recovery stops here"), "\(log)")
        #expect(log.contains("FATAL:  could not restore file \"\(switched[1])\" from archive: child process exited with exit code 255"), "\(log)")
        #expect(!log.contains("selected new timeline ID") && !log.contains("archive recovery complete"), "never promoted: \(log)")
    }
}
