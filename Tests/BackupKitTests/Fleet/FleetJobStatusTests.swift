import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("backupd fleet: a job's state from the bucket", .ownThreads)
struct FleetJobStatusTests {
    /// 12:35 UTC on 2026-12-07.
    static let now = Date(timeIntervalSince1970: 1_796_646_900)

    /// A job every ten minutes with a one-minute timeout.
    static func job() throws -> JobConfig {
        var job = try pipelineConfig(["schedule": "*/10 * * * *", "engine": "command", "connection": ["argv": ["true"], "extension": ".bin"]], timeout: "1m")
            .jobs[0]
        job.runOn = .any
        return job
    }

    /// A complete backup of the slot `minute` past 12:00 by `host` (fencing `fencing`), its object listed unless `missing`.
    static func entry(minute: Int, host: String, fencing: Int = 1, missing: Bool = false) throws -> CatalogEntry {
        let slot = Date(timeIntervalSince1970: 1_796_644_800 + Double(minute * 60))
        let id = "job1-\(ClaimKey.slotText(slot))-0000000\(minute % 10)"
        let key = "pre/fix/\(id).manifest.json"
        var manifest = try BackupManifest.parse(Array(TestManifest.json(for: key).utf8), key: key)
        manifest.startedAt = slot.addingTimeInterval(1)
        manifest.endedAt = slot.addingTimeInterval(5)
        manifest.host = host
        manifest.claim = ManifestClaim(hostId: host, slot: ClaimKey.slotText(slot), fencing: fencing)
        let objects = missing ? [] : manifest.objects.map { StoredObject(key: $0.key, size: $0.size, lastModified: slot) }
        return CatalogEntry(id: id, time: slot, state: .complete, manifestKey: key, manifest: manifest, objects: objects)
    }

    /// Every slot since the fleet first wrote is backed up: ok, newest from host-b with fencing 2.
    @Test func allSlotsBackedUp() throws {
        let entries = try [0, 10, 20, 30].map { try Self.entry(minute: $0, host: $0 == 30 ? "host-b" : "host-a", fencing: $0 == 30 ? 2 : 1) }
        let status = FleetJobStatus.compute(job: try Self.job(), entries: entries, claims: [], now: Self.now)
        #expect(status.state == .ok)
        #expect(status.missedSlots.isEmpty)
        #expect(status.newest?.host == "host-b")
        #expect(status.newest?.claim?.fencing == 2)
        #expect(status.objectsPresent == true)
        let table = FleetJobStatus.table([status]) { ISO8601DateFormatter().string(from: $0) }
        #expect(table.contains("host-b") && table.contains("present") && table.hasSuffix("ok\n"))
        #expect(FleetJobStatus.metrics([status]).contains("backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"job1\"} 1796646605\n"))
    }

    /// A slot no host backed up is missed (not ok); one whose claim is still running is not.
    @Test func missedSlot() throws {
        let entries = try [0, 10, 30].map { try Self.entry(minute: $0, host: "host-a") }
        let status = FleetJobStatus.compute(job: try Self.job(), entries: entries, claims: [], now: Self.now)
        #expect(status.state == .missed)
        #expect(status.missedSlots.map(ClaimKey.slotText) == ["20261207T122000Z"])
        #expect(status.problem { ClaimKey.slotText($0) }?.contains("1 slot(s) of the last day have no backup from any host: 20261207T122000Z") == true)
        let running = ClaimRecord(
            job: "job1", slot: "20261207T122000Z", hostId: "host-a", pid: 1, startedAt: Self.now, leaseExpiresAt: Self.now, fencing: 1,
            state: .running)
        #expect(FleetJobStatus.compute(job: try Self.job(), entries: entries, claims: [running], now: Self.now).state == .ok)
    }

    /// A newest backup whose objects are not all listed is incomplete; an old one is overdue; none is never.
    @Test func incompleteOverdueNever() throws {
        let job = try Self.job()
        let missing = FleetJobStatus.compute(job: job, entries: [try Self.entry(minute: 30, host: "host-a", missing: true)], claims: [], now: Self.now)
        #expect(missing.state == .incomplete)
        #expect(missing.objectsPresent == false)
        let old = FleetJobStatus.compute(job: job, entries: [try Self.entry(minute: 0, host: "host-a")], claims: [], now: Self.now)
        #expect(old.state == .overdue)
        #expect(FleetJobStatus.compute(job: job, entries: [], claims: [], now: Self.now).state == .never)
        #expect(!FleetJobStatus.metrics([FleetJobStatus.compute(job: job, entries: [], claims: [], now: Self.now)]).contains("timestamp_seconds{"))
    }

    /// Across two destinations: the newest backup is the one on the second (named with its host
    /// and destination in the table, JSON and per-destination gauge), a slot backed up on either
    /// destination is not missed, and only the slot neither holds is.
    @Test func newestAndMissedAcrossDestinations() throws {
        var job = try Self.job()
        job.destinations = ["near", "far"]
        let near = try [0, 10].map { try Self.entry(minute: $0, host: "host-a") }
        let far = try [0, 30].map { try Self.entry(minute: $0, host: $0 == 30 ? "host-b" : "host-a") }
        let status = FleetJobStatus.compute(job: job, catalogs: [("near", near), ("far", far)], claims: [], now: Self.now)
        #expect(status.newest?.host == "host-b" && status.newestDestination == "far")
        #expect(status.missedSlots.map(ClaimKey.slotText) == ["20261207T122000Z"])
        #expect(status.state == .missed)
        #expect(status.newestByDestination["near"] == near[1].manifest?.endedAt && status.newestByDestination["far"] == far[1].manifest?.endedAt)
        let table = FleetJobStatus.table([status]) { ISO8601DateFormatter().string(from: $0) }
        #expect(table.contains("DESTINATION") && table.contains("far"), "\(table)")
        let json = FleetJobStatus.json([status])
        #expect(json.contains("\"destination\" : \"far\""), "\(json)")
        let text = FleetJobStatus.metrics([status])
        #expect(text.contains("backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"job1\"} 1796646605\n"), "\(text)")
        #expect(text.contains("backupd_fleet_destination_newest_backup_timestamp_seconds{backup_job=\"job1\",destination=\"near\"} 1796645405\n"), "\(text)")
        #expect(text.contains("backupd_fleet_missed_slots{backup_job=\"job1\"} 1\n"))

        // The slot only the first destination lacks is covered by the second: nothing missed.
        let covering = try [0, 10, 20, 30].map { try Self.entry(minute: $0, host: "host-b") }
        let both = FleetJobStatus.compute(job: job, catalogs: [("near", near), ("far", covering)], claims: [], now: Self.now)
        #expect(both.missedSlots.isEmpty && both.state == .ok)
        // Copies of one backup on both: the first destination in the job's order is named.
        let same = FleetJobStatus.compute(job: job, catalogs: [("near", covering), ("far", covering)], claims: [], now: Self.now)
        #expect(same.newestDestination == "near")
    }
}
