import BackupTestSupport
import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Prune's two witnesses: the listing and the history", .ownThreads)
struct TwoWitnessPruneTests {
    typealias F = RetentionFixtures
    static let now = PrunerTests.now

    /// A backup id of job `app` at `time`.
    static func id(_ time: String, _ token: String) -> String { "app-\(ObjectName.timestamp(F.at(time)))-\(token)" }

    /// An incomplete backup of `app` (data, no manifest) at `time`.
    static func incomplete(_ time: String, _ token: String) -> CatalogBackup {
        CatalogBackup(id: id(time, token), time: F.at(time), manifestKey: nil, dataKeys: ["db/\(id(time, token)).dump.zst"], legacy: false)
    }

    /// A complete backup of `app` at `time`.
    static func complete(_ time: String, _ token: String) -> CatalogBackup {
        CatalogBackup(
            id: id(time, token), time: F.at(time), manifestKey: "db/\(id(time, token)).manifest.json",
            dataKeys: ["db/\(id(time, token)).dump.zst"], legacy: false)
    }

    static let young = "2026-12-01T11:30:00Z"  // within the timeout (1h) plus the margin (1h)
    static let old = "2026-11-30T02:00:00Z"

    /// What the plan does with one incomplete backup, by what the history says of its run:
    /// nothing known (age rule), ended without a manifest, live, stored (manifest missing), or
    /// its manifest deleted by an earlier prune.
    @Test(arguments: [
        // (time, history, expected)
        (young, "unknown", "pending"),
        (old, "unknown", "stale"),
        (young, "ended", "stale"),
        (old, "live", "pending"),
        (young, "liveStamp", "pending"),
        (old, "stored", "missing"),
        (young, "stored", "missing"),
        (old, "manifestDeleted", "stale"),
    ])
    func incompleteByHistory(time: String, history: String, expected: String) throws {
        let config = try PrunerTests.config(["keepLast": 1])
        let backup = Self.incomplete(time, "0000dead")
        var witness = RetentionWitness(stored: [:], endedWithoutManifest: [], live: [], liveStamps: [], manifestDeleted: [])
        switch history {
        case "ended": witness.endedWithoutManifest = [backup.id]
        case "live": witness.live = [backup.id]
        case "liveStamp": witness.liveStamps = [ObjectName.timestamp(backup.time)]
        case "stored": witness.stored = [backup.id: backup.time]
        case "manifestDeleted": witness.manifestDeleted = [backup.id]
        default: witness = .unknown
        }
        let listing = RetentionListing(backups: [Self.complete("2026-11-28T02:00:00Z", "00000001"), Self.complete("2026-11-29T02:00:00Z", "00000002"), backup])
        let plan = Pruner.plan(job: config.jobs[0], listing: listing, witness: witness, now: Self.now)
        let found = plan.staleIncomplete.contains(backup) ? "stale" : plan.pendingIncomplete.contains(backup) ? "pending"
            : plan.manifestMissing.contains(backup) ? "missing" : "absent"
        #expect(found == expected)
        if expected == "missing" {
            // Suspicious: the policy's deletion (the older complete backup) is withheld too.
            #expect(plan.planned.count == 1 && plan.deletions.isEmpty)
            #expect(plan.withheld?.contains("run `backupd verify app \(backup.id)`") == true)
            #expect(plan.summaryByBackupID[backup.id] == "manifest missing: not deleting, run `backupd verify`")
        } else {
            #expect(plan.withheld == nil && plan.deletions.contains { $0.backup.id == Self.id("2026-11-28T02:00:00Z", "00000001") })
        }
    }

    /// A backup the history records as stored of which the listing shows nothing at all is just
    /// as suspicious: reported as missing, and the policy's deletions wait.
    @Test func storedBackupAbsentFromListingWithholds() throws {
        let config = try PrunerTests.config(["keepLast": 1])
        let gone = Self.id("2026-11-30T02:00:00Z", "0000aaaa")
        let witness = RetentionWitness(
            stored: [gone: F.at("2026-11-30T02:00:00Z")], endedWithoutManifest: [], live: [], liveStamps: [], manifestDeleted: [])
        let listing = RetentionListing(backups: [Self.complete("2026-11-28T02:00:00Z", "00000001"), Self.complete("2026-11-29T02:00:00Z", "00000002")])
        let plan = Pruner.plan(job: config.jobs[0], listing: listing, witness: witness, now: Self.now)
        #expect(plan.manifestMissing.map(\.id) == [gone] && plan.deletions.isEmpty && plan.planned.count == 1)
        var deletedOnPurpose = witness
        deletedOnPurpose.manifestDeleted = [gone]
        #expect(Pruner.plan(job: config.jobs[0], listing: listing, witness: deletedOnPurpose, now: Self.now).deletions.count == 1)
    }

    /// The history's runs become the witness: a succeeded run is stored at its destination and
    /// bucket, a failed one ended without a manifest, a running one is live; runs recorded for
    /// another bucket or another prefix, and manifests prune deleted, do not count.
    @Test func witnessFromHistory() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(path: tmp.path + "/history.sqlite3")
        func run(_ time: String, _ token: String, _ status: RunStatus, bucket: String = "backups", prefix: String = "db") throws {
            let key = "\(prefix)/\(Self.id(time, token)).dump.zst"
            let runID = try history.insertRunning(
                job: "app", trigger: .schedule, scheduledAt: nil, startedAt: F.at(time), destination: "local", bucket: bucket, objectKey: key)
            if status != .running { try history.finish(runID: runID, RunOutcome(status: status, endedAt: F.at(time), objectKey: key)) }
        }
        try run("2026-11-27T02:00:00Z", "00000001", .succeeded)
        try run("2026-11-28T02:00:00Z", "00000002", .succeeded)
        try run("2026-11-29T02:00:00Z", "00000003", .failed)
        try run("2026-11-29T03:00:00Z", "00000004", .succeeded, bucket: "elsewhere")
        try run("2026-11-29T04:00:00Z", "00000005", .succeeded, prefix: "old")
        try run("2026-12-01T11:00:00Z", "00000006", .running)
        try history.recordDeletions([DeletionRecord(
            job: "app", destination: "local", bucket: "backups", backupID: Self.id("2026-11-27T02:00:00Z", "00000001"),
            objectKey: "db/\(Self.id("2026-11-27T02:00:00Z", "00000001")).manifest.json", at: F.at("2026-11-30T00:00:00Z"),
            cause: .retention, outcome: .deleted, error: nil)])
        let config = try PrunerTests.config(["keepLast": 1])
        let local = try #require(config.destination(named: "local"))
        // What the listing shows without a manifest: the history is asked about these alone.
        let asked = [
            Self.incomplete("2026-11-27T02:00:00Z", "00000001"), Self.incomplete("2026-11-28T02:00:00Z", "00000002"),
            Self.incomplete("2026-11-29T02:00:00Z", "00000003"), Self.incomplete("2026-11-29T03:00:00Z", "00000004"),
            Self.incomplete("2026-11-29T04:00:00Z", "00000005"),
        ]
        let witness = try RetentionWitness.read(from: history, job: config.jobs[0], destination: local, about: asked)
        #expect(witness.stored == [Self.id("2026-11-28T02:00:00Z", "00000002"): F.at("2026-11-28T02:00:00Z")])
        #expect(witness.endedWithoutManifest == [Self.id("2026-11-29T02:00:00Z", "00000003")])
        #expect(witness.live == [Self.id("2026-12-01T11:00:00Z", "00000006")])
        #expect(witness.manifestDeleted == [Self.id("2026-11-27T02:00:00Z", "00000001")])
        let unasked = try RetentionWitness.read(from: history, job: config.jobs[0], destination: local, about: [asked[2]])
        #expect(unasked.stored.isEmpty && unasked.endedWithoutManifest == [asked[2].id])
        // The newest stored here: not the other bucket's or prefix's, nor one whose manifest prune deleted.
        let newest = try RetentionWitness.readNewest(from: history, job: config.jobs[0], destination: local)
        #expect(newest.newestStored?.id == Self.id("2026-11-28T02:00:00Z", "00000002"))
        #expect(try RetentionWitness.readNewest(from: history, job: config.jobs[0], destination: local, limit: 1).newestStored == nil)
    }

    /// A fan-out run is judged per destination from its own rows: stored where it succeeded,
    /// ended without a manifest where that destination failed (its row lost the key, the run's
    /// row has it); a running run is live except where its destination already dropped out.
    @Test func fanOutWitnessPerDestination() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(path: tmp.path + "/history.sqlite3")
        let config = try PerDestinationPruneTests.config()
        let job = config.jobs[0]
        let destinations = [(name: "local", bucket: "backups"), (name: "archive", bucket: "archive-bucket")]
        let partialKey = "db/\(Self.id("2026-11-29T02:00:00Z", "0000f001")).dump.zst"
        let partial = try history.insertRunning(
            job: "app", trigger: .schedule, scheduledAt: nil, startedAt: F.at("2026-11-29T02:00:00Z"), destination: "local", bucket: "backups")
        try history.recordDestinationsStarted(runID: partial, destinations.map { (name: $0.name, bucket: Optional($0.bucket)) })
        try history.recordDestinationUpload(runID: partial, destination: "archive", objectKey: partialKey, uploadID: "u1")
        var outcome = RunOutcome(status: .partial, endedAt: F.at("2026-11-29T02:05:00Z"), objectKey: partialKey)
        outcome.destinations = [
            DestinationOutcome(destination: "local", bucket: "backups", status: .succeeded, objectKey: partialKey),
            DestinationOutcome(destination: "archive", bucket: "archive-bucket", status: .failed, error: "HTTP 500"),
        ]
        try history.finish(runID: partial, outcome)
        try history.recordDestinations(runID: partial, outcome.destinations)
        let runningKey = "db/\(Self.id("2026-12-01T11:30:00Z", "0000f002")).dump.zst"
        let running = try history.insertRunning(
            job: "app", trigger: .schedule, scheduledAt: nil, startedAt: F.at("2026-12-01T11:30:00Z"), destination: "local", bucket: "backups",
            objectKey: runningKey)
        try history.recordDestinationsStarted(runID: running, destinations.map { (name: $0.name, bucket: Optional($0.bucket)) })
        try history.recordDestinationFailed(runID: running, destination: "archive", error: "HTTP 500")
        let asked = [Self.incomplete("2026-11-29T02:00:00Z", "0000f001")]
        let local = try RetentionWitness.read(
            from: history, job: job.only(destination: "local"), destination: try #require(config.destination(named: "local")), about: asked)
        let archive = try RetentionWitness.read(
            from: history, job: job.only(destination: "archive"), destination: try #require(config.destination(named: "archive")), about: asked)
        #expect(Set(local.stored.keys) == [Self.id("2026-11-29T02:00:00Z", "0000f001")] && local.endedWithoutManifest.isEmpty)
        #expect(local.live == [Self.id("2026-12-01T11:30:00Z", "0000f002")])
        #expect(archive.stored.isEmpty && archive.live.isEmpty)
        #expect(archive.endedWithoutManifest == [Self.id("2026-11-29T02:00:00Z", "0000f001"), Self.id("2026-12-01T11:30:00Z", "0000f002")])
    }

    /// Through the pruner and a real history: a stored backup whose manifest vanished from the
    /// listing is not deleted, nor is anything else of the job (the policy's deletion waits);
    /// a failed run's young leftovers are deleted; strangers stay.
    @Test func storedBackupWithoutManifestStopsThePrune() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(path: tmp.path + "/history.sqlite3")
        let store = PrunerTests.bucket()  // complete backups on the 26th to the 29th
        let lost = F.backupKeys(time: "2026-11-30T02:00:00Z", token: "0000aaaa", complete: false)
        store.add(lost + ["db/app-20200101T000000Z.dump.zst.bak"])
        let runID = try history.insertRunning(
            job: "app", trigger: .schedule, scheduledAt: nil, startedAt: F.at("2026-11-30T02:00:00Z"), destination: "local", bucket: "backups",
            objectKey: lost[0])
        try history.finish(runID: runID, RunOutcome(status: .succeeded, endedAt: F.at("2026-11-30T02:05:00Z"), objectKey: lost[0]))
        let config = try PrunerTests.config(["keepLast": 2])
        let pruner = Pruner(stores: store, history: history, clock: ManualWallClock(Self.now))
        let report = try await pruner.prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(store.calls.isEmpty && report.records.isEmpty)
        #expect(report.plan.manifestMissing.map(\.id) == [Self.id("2026-11-30T02:00:00Z", "0000aaaa")])
        #expect(store.keys.contains(lost[0]) && store.keys.contains("db/app-20200101T000000Z.dump.zst.bak"))
        let text = PruneReportRenderer.render(report, policy: config.jobs[0].retention, zone: .utc)
        #expect(text.contains("app-20261130T020000Z-0000aaaa  2026-11-30T02:00:00+00:00  manifest missing: not deleting, run `backupd verify`"))
        #expect(text.contains("db/app-20200101T000000Z.dump.zst.bak  stranger (not a backup name), never deleted"))
        #expect(text.contains("nothing is deleted for app here"))

        // The run recorded as failed instead: its leftovers go, young as they are, and retention proceeds.
        let failedHistory = try HistoryStore(path: tmp.path + "/failed.sqlite3")
        let young = F.backupKeys(time: "2026-12-01T11:30:00Z", token: "0000bbbb", complete: false)
        store.add(young)
        for (key, time, status) in [(lost[0], "2026-11-30T02:00:00Z", RunStatus.interrupted), (young[0], "2026-12-01T11:30:00Z", .failed)] {
            let id = try failedHistory.insertRunning(
                job: "app", trigger: .schedule, scheduledAt: nil, startedAt: F.at(time), destination: "local", bucket: "backups", objectKey: key)
            try failedHistory.finish(runID: id, RunOutcome(status: status, endedAt: F.at(time), objectKey: key))
        }
        let second = try await Pruner(stores: store, history: failedHistory, clock: ManualWallClock(Self.now))
            .prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(second.plan.withheld == nil)
        #expect(Set(second.plan.staleIncomplete.map(\.id)) == [Self.id("2026-11-30T02:00:00Z", "0000aaaa"), Self.id("2026-12-01T11:30:00Z", "0000bbbb")])
        #expect(!store.keys.contains(lost[0]) && !store.keys.contains(young[0]))
        #expect(store.keys.contains("db/app-20200101T000000Z.dump.zst.bak"))
    }

    /// `restore`/`verify` of "the newest": agrees when the bucket's newest is the history's,
    /// warns when the bucket's is newer, refuses (naming both and what to run) when the history's
    /// newest stored backup is missing and the bucket offers an older one or none.
    @Test func newestCrossCheck() throws {
        let config = try PrunerTests.config(["keepLast": 1])
        let job = config.jobs[0]
        let destination = try #require(config.destination(named: "local"))
        let newer = Self.id("2026-11-30T02:00:00Z", "0000aaaa")
        let witness = RetentionWitness(stored: [newer: F.at("2026-11-30T02:00:00Z")], endedWithoutManifest: [], live: [], liveStamps: [], manifestDeleted: [])
        let check = NewestBackupCheck(job: job, destination: destination, witness: witness)
        func entry(_ time: String, _ token: String) -> CatalogEntry {
            CatalogEntry(id: Self.id(time, token), time: F.at(time), state: .complete, manifestKey: nil, manifest: nil, objects: [])
        }
        let logger = Logger(label: "test")
        try check.check(bucketNewest: entry("2026-11-30T02:00:00Z", "0000aaaa"), logger: logger)
        try check.check(bucketNewest: entry("2026-12-01T02:00:00Z", "0000cccc"), logger: logger)
        let older = Self.id("2026-11-29T02:00:00Z", "00000004")
        #expect(throws: NewestBackupDisagreement(
            job: "app", destination: "local", recordedID: newer, recordedTime: F.at("2026-11-30T02:00:00Z"), bucketNewestID: older)
        ) { try check.check(bucketNewest: entry("2026-11-29T02:00:00Z", "00000004"), logger: logger) }
        #expect(throws: NewestBackupDisagreement.self) { try check.check(bucketNewest: nil, logger: logger) }
        let text = NewestBackupDisagreement(job: "app", destination: "local", recordedID: newer, recordedTime: F.at("2026-11-30T02:00:00Z"), bucketNewestID: older).description
        #expect(text.contains("run `backupd verify app \(newer)`") && text.contains("`app \(older)`") && text.contains("is older"))
        try NewestBackupCheck(job: job, destination: destination, witness: .unknown).check(bucketNewest: nil, logger: logger)
    }
}
