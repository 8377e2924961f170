import BackupTestSupport
import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("runOn any: prune under its claim deletes old slot claims", .ownThreads)
struct PruneClaimTests {
    typealias F = RetentionFixtures
    static let folder = "db/.backupd/claims/app/"

    /// Job `app` (prefix `db`) keeping the last 2 backups, run on any host, as `host`.
    static func config(host: String) throws -> BackupConfig {
        var config = try PrunerTests.config(["keepLast": 2])
        config.hostId = host
        config.jobs[0].runOn = .any
        return config
    }

    /// The standard bucket (backups on Nov 26..29 at 02:00) with a claim per slot, each last
    /// written 5 minutes after its slot, an old slot's claim rewritten recently, and the job's
    /// task claim and a probe object.
    static func bucket() -> FakePruneStore {
        let store = PrunerTests.bucket()
        for day in 25...29 {
            let slot = F.at("2026-11-\(day)T02:00:00Z")
            store.add(folder + ClaimKey.slotText(slot) + ".json", modified: slot.addingTimeInterval(300))
        }
        store.add(folder + "20261124T020000Z.json", modified: F.at("2026-11-29T03:00:00Z"))
        store.add(folder + "prune.json", modified: F.at("2026-11-01T00:00:00Z"))
        store.add(folder + "probe-0123456789abcdef.json", modified: F.at("2026-11-01T00:00:00Z"))
        return store
    }

    static func run(_ config: BackupConfig) -> ObservedRun {
        ObservedRun(runID: 1, job: config.jobs[0], destination: "local", bucket: nil, trigger: .schedule, scheduledFor: nil, startedAt: PrunerTests.now)
    }

    static var succeeded: RunOutcome {
        var outcome = RunOutcome(status: .succeeded, endedAt: PrunerTests.now, objectKey: "db/app-20261129T020000Z-00000004.dump.zst", uploadClosed: true)
        outcome.destinations = [DestinationOutcome(destination: "local", status: .succeeded, objectKey: outcome.objectKey)]
        return outcome
    }

    /// Under its prune claim, prune keeps 2 backups and deletes the slot claims older than the
    /// oldest kept one (Nov 28), leaving newer ones, one rewritten since, the task claim and
    /// the probe; the claim ends done.
    @Test func oldSlotClaimsAreDeleted() async throws {
        let config = try Self.config(host: "host-a")
        let bucket = Self.bucket()
        let claims = FakeConditionalStore()
        let observer = RetentionObserver(pruner: PrunerTests.pruner(bucket), claims: JobTaskClaimTests.claimer(claims))
        await observer.runFinished(Self.run(config), outcome: Self.succeeded, config: config, logger: Logger(label: "test"))
        let left = bucket.keys.filter { $0.hasPrefix(Self.folder) }
        #expect(left == [
            Self.folder + "20261124T020000Z.json", Self.folder + "20261128T020000Z.json", Self.folder + "20261129T020000Z.json",
            Self.folder + "probe-0123456789abcdef.json", Self.folder + "prune.json",
        ])
        #expect(Set(bucket.keys.compactMap { NameCatalog.backupID(of: $0, prefix: "db", job: "app") }).count == 2)
        let key = ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")
        #expect(try ClaimRecord.decode(try claims.readVersioned(key: key).body, key: key).state == .done)
    }

    /// Another host's live prune claim: this host deletes nothing at all and logs the holder.
    @Test func heldClaimSkipsThePrune() async throws {
        let config = try Self.config(host: "host-b")
        let bucket = Self.bucket()
        let before = bucket.keys
        let claims = FakeConditionalStore()
        let other = ClaimStore(store: claims, prefix: "db", hostId: "host-a", pid: 1, lease: 60, logger: Logger(label: "a"))
        _ = try await other.claimTask(job: "app", task: "prune")
        let logs = CapturedLogs(label: "test.task-claims")
        let observer = RetentionObserver(pruner: PrunerTests.pruner(bucket), claims: JobTaskClaimTests.claimer(claims, pid: 2))
        await observer.runFinished(Self.run(config), outcome: Self.succeeded, config: config, logger: logs.logger)
        #expect(bucket.keys == before && bucket.calls.isEmpty)
        #expect(logs.holder(of: "another host holds the job's prune claim") == "host-a")
    }

    /// `backupd prune JOB`'s path (`Pruner.pruneJob`): while another host holds the job's live
    /// prune claim, nothing is pruned or deleted and the refusal names the holder; a dry run takes
    /// no claim and deletes nothing; once the holder is done, the prune runs under this host's
    /// claim and deletes the old slot claims as the daemon's prune does.
    @Test func commandPruneTakesTheClaim() async throws {
        let config = try Self.config(host: "host-b")
        let bucket = Self.bucket()
        let before = bucket.keys
        let claims = FakeConditionalStore()
        let other = ClaimStore(store: claims, prefix: "db", hostId: "host-a", pid: 1, lease: 60, logger: Logger(label: "a"))
        guard case .won(let held) = try await other.claimTask(job: "app", task: "prune") else {
            Issue.record("host-a should take the free prune claim")
            return
        }
        let pruner = PrunerTests.pruner(bucket)
        let claimer = JobTaskClaimTests.claimer(claims, pid: 2)
        let job = config.jobs[0]
        let refused = await pruner.pruneJob(job: job, config: config, only: nil, dryRun: false, claims: claimer, logger: Logger(label: "t"))
        guard case .heldBy(let host, _) = refused else {
            Issue.record("expected the held claim to refuse the prune, got \(refused)")
            return
        }
        #expect(host == "host-a" && bucket.keys == before && bucket.calls.isEmpty)
        #expect(refused.refusal(.prune, job: "app")?.contains("host host-a holds the job's prune claim") == true)

        let key = ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")
        let claimBefore = try claims.readVersioned(key: key).body
        let dry = await pruner.pruneJob(job: job, config: config, only: nil, dryRun: true, claims: claimer, logger: Logger(label: "t"))
        guard case .ran(let planned) = dry, case .success(let report)? = planned.first?.result else {
            Issue.record("a dry run should plan without a claim, got \(dry)")
            return
        }
        let claimAfterDryRun = try claims.readVersioned(key: key).body
        #expect(report.dryRun && bucket.keys == before && claimAfterDryRun == claimBefore)

        _ = try await other.finish(held)
        let ran = await pruner.pruneJob(job: job, config: config, only: nil, dryRun: false, claims: claimer, logger: Logger(label: "t"))
        guard case .ran = ran else {
            Issue.record("the prune should run once host-a is done, got \(ran)")
            return
        }
        #expect(bucket.keys.filter { $0.hasPrefix(Self.folder) } == [
            Self.folder + "20261124T020000Z.json", Self.folder + "20261128T020000Z.json", Self.folder + "20261129T020000Z.json",
            Self.folder + "probe-0123456789abcdef.json", Self.folder + "prune.json",
        ])
        #expect(Set(bucket.keys.compactMap { NameCatalog.backupID(of: $0, prefix: "db", job: "app") }).count == 2)
        let record = try ClaimRecord.decode(try claims.readVersioned(key: key).body, key: key)
        #expect(record.hostId == "host-b" && record.state == .done && record.fencing == 2)
    }

    /// Old slot claims deleted under the prune claim are recorded in the history's deletions
    /// (cause claim, the slot as backup id, outcome deleted), beside the backups' own rows.
    @Test func deletedClaimsAreRecorded() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let config = try Self.config(host: "host-a")
        let bucket = Self.bucket()
        let observer = RetentionObserver(pruner: PrunerTests.pruner(bucket, history: history), claims: JobTaskClaimTests.claimer(FakeConditionalStore()))
        await observer.runFinished(Self.run(config), outcome: Self.succeeded, config: config, logger: Logger(label: "test"))
        let claims = try history.deletions(job: "app").filter { $0.cause == .claim }
        #expect(claims.map(\.objectKey).sorted() == ["20261125T020000Z", "20261126T020000Z", "20261127T020000Z"].map { Self.folder + $0 + ".json" })
        #expect(claims.allSatisfy { $0.outcome == .deleted && $0.objectKey == Self.folder + $0.backupID + ".json" && $0.destination == "local" && $0.error == nil })
        #expect(claims.allSatisfy { $0.at == PrunerTests.now })
        #expect(try history.deletions(job: "app").filter { $0.cause == .retention }.count == 4)
    }

    /// A prune whose claim renewal finds it taken over by another host (412) midway stops before
    /// its next delete: the manifests' batch went, the data batch and the old slot claims were
    /// never sent; the data objects are recorded as refused naming the new holder, an error line
    /// names it, and the claim is left to that host (not marked done).
    @Test func lostClaimStopsBeforeTheNextDelete() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let config = try Self.config(host: "host-a")
        let bucket = Self.bucket()
        let claims = FakeConditionalStore()
        let release = Mutex(false)
        let claimer = JobTaskClaimer(
            openStore: { _, _ in claims },
            sleep: { _ in while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) } }, pid: 1)
        let logs = CapturedLogs(label: "test.lost-prune")
        let taken = Mutex(false)
        bucket.afterNextBatch {
            // Host-c takes the expired claim over, then host-a's renewal runs and finds it gone.
            claims.serverNow += 3600
            let c = ClaimStore(store: claims, prefix: "db", hostId: "host-c", pid: 3, lease: 60, logger: Logger(label: "c"))
            if case .won? = try? await c.claimTask(job: "app", task: "prune") { taken.withLock { $0 = true } }
            release.withLock { $0 = true }
            for _ in 0..<1000 where logs.holder(of: "another host took the job's prune claim over") == nil {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let observer = RetentionObserver(pruner: PrunerTests.pruner(bucket, history: history), claims: claimer)
        await observer.runFinished(Self.run(config), outcome: Self.succeeded, config: config, logger: logs.logger)
        #expect(taken.withLock { $0 })
        #expect(bucket.calls == ["batch db/app-20261126T020000Z-00000001.manifest.json db/app-20261127T020000Z-00000002.manifest.json"])
        #expect(bucket.keys.contains("db/app-20261126T020000Z-00000001.dump.zst") && bucket.keys.contains(Self.folder + "20261125T020000Z.json"))
        #expect(logs.holder(of: "another host took the job's prune claim over") == "host-c")
        let recorded = try history.deletions(job: "app")
        #expect(recorded.filter { $0.outcome == .deleted }.map(\.objectKey).allSatisfy { $0.hasSuffix(".manifest.json") })
        let refused = recorded.filter { $0.outcome == .refused }
        #expect(refused.map(\.objectKey).sorted() == ["db/app-20261126T020000Z-00000001.dump.zst", "db/app-20261127T020000Z-00000002.dump.zst"])
        #expect(refused.allSatisfy { $0.error?.contains("lost its claim to host host-c") == true }, "\(refused.map(\.error))")
        #expect(!recorded.contains { $0.cause == .claim })
        let key = ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")
        let claim = try ClaimRecord.decode(try claims.readVersioned(key: key).body, key: key)
        #expect(claim.hostId == "host-c" && claim.state == .running)
    }

    /// A prune whose claim went unrenewed for most of its lease (the host paused; the monotonic
    /// clock ran on) stops before its next delete even before any renewal answered: the data batch
    /// is never sent and is recorded as refused with the reason.
    @Test func lapsedClaimStopsBeforeTheNextDelete() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let config = try Self.config(host: "host-a")
        let bucket = Self.bucket()
        let start = ContinuousClock.now
        let elapsed = Mutex(Duration.zero)
        var claimer = JobTaskClaimTests.claimer(FakeConditionalStore())
        claimer.monotonic = { start + elapsed.withLock { $0 } }
        bucket.afterNextBatch { elapsed.withLock { $0 = config.claimLease } }
        let observer = RetentionObserver(pruner: PrunerTests.pruner(bucket, history: history), claims: claimer)
        await observer.runFinished(Self.run(config), outcome: Self.succeeded, config: config, logger: Logger(label: "test"))
        #expect(bucket.calls == ["batch db/app-20261126T020000Z-00000001.manifest.json db/app-20261127T020000Z-00000002.manifest.json"])
        let refused = try history.deletions(job: "app").filter { $0.outcome == .refused }
        #expect(refused.count == 2)
        #expect(refused.allSatisfy { $0.error?.contains("could not renew its claim for most of its 60 s lease") == true }, "\(refused.map(\.error))")
        #expect(bucket.keys.contains(Self.folder + "20261125T020000Z.json"))
    }

    /// The watch: held just now is fine; five sixths of the lease without a write is lapsed; a
    /// renewal makes it fine again; a loss to another host stays.
    @Test func watchLapsesAndRecovers() {
        let start = ContinuousClock.now
        let elapsed = Mutex(Duration.zero)
        let watch = TaskClaimWatch(task: .prune, job: "app", now: { start + elapsed.withLock { $0 } })
        #expect(throws: Never.self) { try watch.check() }
        watch.held(lease: .seconds(60))
        elapsed.withLock { $0 = .seconds(49) }
        #expect(throws: Never.self) { try watch.check() }
        elapsed.withLock { $0 = .seconds(50) }
        #expect(throws: TaskClaimError.lapsed(task: .prune, job: "app", lease: .seconds(60))) { try watch.check() }
        watch.held(lease: .seconds(60))
        #expect(throws: Never.self) { try watch.check() }
        watch.lose(to: "host-c")
        watch.lose(to: "host-d")
        #expect(throws: TaskClaimError.lost(task: .prune, job: "app", to: "host-c")) { try watch.check() }
    }

    /// A listing of the claims that fails deletes no claim (the backups' prune still ran).
    @Test func failedListingDeletesNoClaim() async throws {
        let config = try Self.config(host: "host-a")
        let bucket = Self.bucket()
        let pruner = PrunerTests.pruner(bucket)
        bucket.failListing(true)
        let deleted = await pruner.pruneSlotClaims(job: config.jobs[0], config: config, horizon: F.at("2026-11-28T02:00:00Z"), logger: Logger(label: "t"))
        #expect(deleted.isEmpty && bucket.calls.isEmpty)
    }

    /// A listing without LastModified, or a withheld plan, deletes no claim.
    @Test func uncheckedEvidenceDeletesNoClaim() {
        let listing = [StoredObject(key: Self.folder + "20261101T020000Z.json", size: 1)]
        #expect(Pruner.staleSlotClaims(listing, folder: Self.folder, horizon: F.at("2026-11-28T02:00:00Z")).isEmpty)
        var plan = PrunePlan(job: "app", entries: [], staleIncomplete: [], pendingIncomplete: [])
        plan.manifestMissing = [CatalogBackup(id: "app-20261127T020000Z-00000002", time: F.at("2026-11-27T02:00:00Z"), manifestKey: nil, dataKeys: [], legacy: false)]
        #expect(Pruner.claimHorizon(PruneReport(plan: plan, dryRun: false, records: [])) == nil)
    }
}
