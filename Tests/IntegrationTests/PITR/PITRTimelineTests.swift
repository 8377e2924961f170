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

/// A restore that promotes onto timeline 2 and archives on into the same job, through the real
/// binary against PostgreSQL 15 and radosgw; then restores to points on timeline 2.
@Suite("PITR timelines", .serialized, .ownThreads)
struct PITRTimelineTests {
    /// Restore to a time on timeline 1 and start it archiving into the same job: it promotes onto
    /// timeline 2 and archives `00000002.history` and timeline-2 segments, while every timeline-1
    /// object (key, ETag, size, last modified, as the AWS CLI lists them) stays as it was and none
    /// is added; `restore --timeline 2 --time` to a point on timeline 2 has exactly the rows up to
    /// it, `--latest` has every timeline-2 row and none of the timeline-1 rows written after the
    /// first target; `verify` passes across both timelines, and `--timeline 1 --latest` still
    /// recovers timeline 1 to its last row.
    @Test func restoreOntoTimelineTwoAndAgainAlongIt() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        let daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let original = world.cluster
        let backup = try world.backupd(["run-now", "pg"])
        #expect(backup.status == 0, "\(backup.stderr)\n\(daemon.log)")

        try original.psql("CREATE TABLE t (id int)")
        try original.psql("INSERT INTO t VALUES (1)")
        try world.switchAndWaitArchived()
        try original.psql("INSERT INTO t VALUES (2)")
        try world.switchAndWaitArchived()
        try await Task.sleep(for: .milliseconds(1200))
        let onTimelineOne = try original.psql("SELECT now()")
        try await Task.sleep(for: .milliseconds(1200))
        try original.psql("INSERT INTO t VALUES (3)")
        try world.switchAndWaitArchived()
        // Timeline 1 ends here: nothing archives into it any more but the restored cluster.
        original.stop()
        let timelineOneBefore = try Self.objects(world, timeline: 1)
        #expect(!timelineOneBefore.isEmpty)

        let first = try world.backupd(["restore", "pg", "--time", onTimelineOne, "--to-dir", world.directory + "/r1"])
        #expect(first.status == 0, "\(first.stderr)")
        let promoted = try world.startRestored("r1", archiving: true)
        defer { promoted.stop() }
        #expect(try promoted.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2", "\(promoted.log)")
        #expect(try promoted.psql("SELECT pg_walfile_name(pg_current_wal_lsn())").hasPrefix("00000002"), "\(promoted.log)")

        try promoted.psql("INSERT INTO t VALUES (10)")
        let firstOnTwo = try world.switchAndWaitArchived(on: promoted)
        #expect(firstOnTwo.hasPrefix("00000002"), "\(firstOnTwo)")
        try await Task.sleep(for: .milliseconds(1200))
        let onTimelineTwo = try promoted.psql("SELECT now()")
        try await Task.sleep(for: .milliseconds(1200))
        try promoted.psql("INSERT INTO t VALUES (11)")
        try world.switchAndWaitArchived(on: promoted)
        promoted.stop()

        let names = try world.archivedNames()
        #expect(names.contains("00000002.history"), "\(names)\n\(promoted.log)")
        #expect(names.contains(firstOnTwo), "\(names)")
        let timelineOneAfter = try Self.objects(world, timeline: 1)
        for (key, object) in timelineOneBefore {
            #expect(timelineOneAfter[key] == object, "timeline 1's \(key) changed: \(object) -> \(timelineOneAfter[key] ?? "gone")")
        }
        let added = timelineOneAfter.keys.filter { timelineOneBefore[$0] == nil }
        // Its last timeline-1 segment came from the archive, so PostgreSQL archives no .partial of it.
        #expect(added.isEmpty, "nothing is new on timeline 1: \(added.sorted())")
        let verified = try world.backupd(["verify", "pg"])
        #expect(verified.status == 0, "the chain across both timelines verifies: \(verified.stdout)\n\(verified.stderr)")

        let toTime = try world.backupd(["restore", "pg", "--timeline", "2", "--time", onTimelineTwo, "--to-dir", world.directory + "/r2"])
        #expect(toTime.status == 0, "\(toTime.stderr)")
        #expect(toTime.stdout.contains("recovery_target_timeline = '2'"), "\(toTime.stdout)")
        let second = try world.startRestored("r2")
        defer { second.stop() }
        #expect(try second.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2,10", "\(second.log)")
        second.stop()

        let latest = try world.backupd(["restore", "pg", "--latest", "--to-dir", world.directory + "/r3"])
        #expect(latest.status == 0, "\(latest.stderr)")
        let third = try world.startRestored("r3")
        defer { third.stop() }
        #expect(try third.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2,10,11", "\(third.log)")
        third.stop()

        // Timeline 1 is still whole: recovering along it reaches its last row.
        let alongOne = try world.backupd(["restore", "pg", "--timeline", "1", "--latest", "--to-dir", world.directory + "/r4"])
        #expect(alongOne.status == 0, "\(alongOne.stderr)")
        let fourth = try world.startRestored("r4")
        defer { fourth.stop() }
        #expect(try fourth.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2,3", "\(fourth.log)")
    }

    /// A base backup taken after promotion onto timeline 2: a restore promotes onto timeline 2 and
    /// archives on; `run-now` against the promoted cluster takes a base backup whose manifest says
    /// timeline 2; rows written after it; a restore to a time after it (on the latest timeline)
    /// starts from that timeline-2 base backup and has exactly the rows up to the target; `verify`
    /// finds the chains of both base backups complete.
    @Test func baseBackupOnTimelineTwoAndRestoreAfterIt() async throws {
        let world = try await PITRWorld.make()
        defer { world.tearDown() }
        var daemon = try world.startDaemon()
        defer { daemon.cleanUp() }
        let original = world.cluster
        #expect(try world.backupd(["run-now", "pg"]).status == 0, "\(daemon.log)")
        try original.psql("CREATE TABLE t (id int)")
        try original.psql("INSERT INTO t VALUES (1)")
        try world.switchAndWaitArchived()
        original.stop()

        let first = try world.backupd(["restore", "pg", "--latest", "--to-dir", world.directory + "/r1"])
        #expect(first.status == 0, "\(first.stderr)")
        let promoted = try world.startRestored("r1", archiving: true)
        defer { promoted.stop() }
        #expect(try promoted.psql("SELECT pg_walfile_name(pg_current_wal_lsn())").hasPrefix("00000002"), "\(promoted.log)")
        try promoted.psql("INSERT INTO t VALUES (2)")
        try world.switchAndWaitArchived(on: promoted)

        // The job now backs up the promoted cluster: a base backup on timeline 2.
        daemon.send(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30) == 0)
        try world.connectJob(to: promoted)
        daemon = try world.startDaemon()
        let onTwo = try world.backupd(["run-now", "pg"])
        #expect(onTwo.status == 0, "\(onTwo.stderr)\n\(daemon.log)")
        let manifests = try await world.manifests()
        #expect(manifests.count == 2)
        let base = try #require(manifests.last?.baseBackup)
        #expect(base.timeline == 2 && base.startWALFile.hasPrefix("00000002"), "\(base)")
        let baseID = try #require(manifests.last?.backupId)

        try promoted.psql("INSERT INTO t VALUES (3)")
        try world.switchAndWaitArchived(on: promoted)
        try await Task.sleep(for: .milliseconds(1200))
        let target = try promoted.psql("SELECT now()")
        try await Task.sleep(for: .milliseconds(1200))
        try promoted.psql("INSERT INTO t VALUES (4)")
        try world.switchAndWaitArchived(on: promoted)
        promoted.stop()

        let verified = try world.backupd(["verify", "pg"])
        #expect(verified.status == 0, "\(verified.stdout)\n\(verified.stderr)")
        #expect(verified.stdout.contains("WAL chain of base backup \(baseID) (from \(base.startWALFile)): complete"), "\(verified.stdout)")

        let toTime = try world.backupd(["restore", "pg", "--time", target, "--to-dir", world.directory + "/r2"])
        #expect(toTime.status == 0, "\(toTime.stderr)")
        #expect(toTime.stdout.contains("restored base backup \(baseID)") && toTime.stdout.contains("on timeline 2"), "\(toTime.stdout)")
        let restored = try world.startRestored("r2")
        defer { restored.stop() }
        #expect(try restored.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t") == "1,2,3", "\(restored.log)")
    }

    /// The objects under `timeline`'s folder of the job's archive, listed by the AWS CLI (a second
    /// client): key -> "ETag size LastModified".
    static func objects(_ world: PITRWorld, timeline: UInt32) throws -> [String: String] {
        let s3 = try TestS3.environment()
        let bucket = world.destination.json["bucket"] as? String ?? ""
        let prefix = WALFileName.timelinePrefix(prefix: "pitr", job: "pg", timeline: timeline)
        let listed = try s3.aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--output", "json"])
        guard listed.status == 0 else { throw TestSetupError("aws list-objects-v2 failed: \(listed.error)") }
        guard !listed.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return [:] }
        let json = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
        var objects: [String: String] = [:]
        for object in (json?["Contents"] as? [[String: Any]]) ?? [] {
            guard let key = object["Key"] as? String else { continue }
            objects[key] = "\(object["ETag"] as? String ?? "?") \(object["Size"] as? Int ?? -1) \(object["LastModified"] as? String ?? "?")"
        }
        return objects
    }
}
