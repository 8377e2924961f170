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

extension CapturedLogs {
    /// The `claim.holder` of the first line starting with `message`.
    func holder(of message: String) -> String? {
        entries.withLock { $0.first { $0.message.hasPrefix(message) }?.metadata["claim.holder"].map { "\($0)" } }
    }
}

@Suite("runOn any: prune and sweep claims", .ownThreads)
struct JobTaskClaimTests {
    static let key = ".backupd/claims/app-db/prune.json"

    /// `FencedRunTests`' `runOn: "any"` job (6 s lease) on `host`, its claims at the bucket's root.
    static func config(host: String) throws -> BackupConfig {
        var config = try FencedRunTests.config(host: host)
        config.jobs[0].prefix = ""
        return config
    }

    static func claimer(_ store: FakeConditionalStore, pid: Int32 = 1) -> JobTaskClaimer {
        JobTaskClaimer(openStore: { _, _ in store }, sleep: { _ in try await Task.sleep(for: .seconds(3600)) }, pid: pid)
    }

    static func claim(_ store: FakeConditionalStore, _ key: String) throws -> ClaimRecord {
        try ClaimRecord.decode(try store.readVersioned(key: key).body, key: key)
    }

    /// A done task claim is taken again (fencing + 1, no takeover); a live one of another host
    /// yields; an expired one is taken over naming its holder.
    @Test func taskDecisions() {
        let now = Date(timeIntervalSince1970: 1_796_605_200)
        let rules = ClaimProtocol(job: "app", slot: "prune", hostId: "b", pid: 2, lease: 60)
        var other = ClaimProtocol(job: "app", slot: "prune", hostId: "a", pid: 1, lease: 60).initial(serverNow: now)
        #expect(rules.decideTask(existing: other, etag: "e1", serverNow: now.addingTimeInterval(59)) == .yield(to: "a", state: .running))
        guard case .takeOver(let expired, "e1", _) = rules.decideTask(existing: other, etag: "e1", serverNow: now.addingTimeInterval(60)) else {
            Issue.record("an expired claim is taken over")
            return
        }
        #expect(expired.fencing == 2 && expired.takenOverFrom == "a" && expired.hostId == "b")
        other.state = .done
        guard case .takeOver(let again, "e1", _) = rules.decideTask(existing: other, etag: "e1", serverNow: now.addingTimeInterval(1)) else {
            Issue.record("a done claim is taken again")
            return
        }
        #expect(again.fencing == 2 && again.takenOverFrom == nil && again.state == .running)
        #expect(rules.decideTask(existing: nil, etag: nil, serverNow: now) == .create(rules.initial(serverNow: now)))
    }

    /// Another host's live prune claim: the prune does not run here, and an info line names the holder.
    @Test func liveClaimOfAnotherHostSkips() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let claims = ClaimStore(store: store, prefix: "", hostId: "host-a", pid: 1, lease: 6, logger: Logger(label: "a"))
        guard case .won = try await claims.claimTask(job: a.jobs[0].name, task: "prune") else {
            Issue.record("host-a takes the free claim")
            return
        }
        let logs = CapturedLogs(label: "test.task-claims")
        let ran = Mutex(false)
        let result: Bool? = await Self.claimer(store, pid: 2).withClaim(.prune, job: b.jobs[0], config: b, logger: logs.logger) { ran.withLock { $0 = true }; return true }
        #expect(result == nil && !ran.withLock { $0 })
        #expect(logs.holder(of: "another host holds the job's prune claim") == "host-a")
        #expect(try Self.claim(store, ClaimKey.taskKey(prefix: "", job: a.jobs[0].name, task: "prune")).hostId == "host-a")
    }

    /// A free claim is taken, held while the body runs and marked done after; the other host's
    /// next prune takes the done claim again.
    @Test func claimIsHeldThenDoneThenReused() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let key = ClaimKey.taskKey(prefix: "", job: a.jobs[0].name, task: "sweep")
        let during = Mutex<ClaimRecord?>(nil)
        let first = await Self.claimer(store).withClaim(.sweep, job: a.jobs[0], config: a, logger: Logger(label: "a")) {
            during.withLock { $0 = try? Self.claim(store, key) }
            return 1
        }
        #expect(first == 1)
        #expect(during.withLock { $0?.hostId } == "host-a" && during.withLock { $0?.state } == .running)
        #expect(try Self.claim(store, key).state == .done)
        let second = await Self.claimer(store, pid: 2).withClaim(.sweep, job: b.jobs[0], config: b, logger: Logger(label: "b")) { 2 }
        #expect(second == 2)
        let last = try Self.claim(store, key)
        #expect(last.hostId == "host-b" && last.state == .done && last.fencing == 2)
    }

    /// An expired claim of a host that died mid-prune is taken over with If-Match.
    @Test func expiredClaimIsTakenOver() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let claims = ClaimStore(store: store, prefix: "", hostId: "host-a", pid: 1, lease: 6, logger: Logger(label: "a"))
        _ = try await claims.claimTask(job: a.jobs[0].name, task: "prune")
        store.serverNow = store.serverNow.addingTimeInterval(7)
        let result = await Self.claimer(store, pid: 2).withClaim(.prune, job: b.jobs[0], config: b, logger: Logger(label: "b")) { true }
        #expect(result == true)
        let record = try Self.claim(store, ClaimKey.taskKey(prefix: "", job: a.jobs[0].name, task: "prune"))
        #expect(record.hostId == "host-b" && record.takenOverFrom == "host-a" && record.fencing == 2 && record.state == .done)
    }

    /// A runOn "this" job runs its prune without any claim.
    @Test func thisHostJobsTakeNoClaim() async throws {
        let store = FakeConditionalStore()
        var config = try Self.config(host: "host-a")
        config.jobs[0].runOn = .this
        let result = await Self.claimer(store).withClaim(.prune, job: config.jobs[0], config: config, logger: Logger(label: "a")) { 3 }
        #expect(result == 3)
        #expect(try store.readVersioned(key: ClaimKey.taskKey(prefix: "", job: config.jobs[0].name, task: "prune")).etag == nil)
    }

    /// Another host's live sweep claim: the sweep at start leaves that `runOn: "any"` job's stale
    /// upload open (naming the holder) and aborts a `runOn: "this"` job's; once the claim is done,
    /// the next sweep takes it and aborts the fleet job's upload too.
    @Test func heldSweepClaimSkipsOnlyThatJob() async throws {
        let claims = FakeConditionalStore()
        var config = try FencedRunTests.config(host: "host-b")
        config.jobs[0].prefix = "fleet"
        var local = config.jobs[0]
        local.name = "local-db"
        local.prefix = "local"
        local.runOn = .this
        config.jobs.append(local)
        let job = config.jobs[0]
        let store = MemoryObjectStore()
        let now = Date(timeIntervalSince1970: 1_796_605_200)
        store.addOpenUpload(OpenUpload(key: "fleet/a.dump", uploadID: "u1", initiated: now.addingTimeInterval(-3 * 86_400)))
        store.addOpenUpload(OpenUpload(key: "local/b.dump", uploadID: "u2", initiated: now.addingTimeInterval(-3 * 86_400)))
        let hostA = ClaimStore(store: claims, prefix: job.prefix, hostId: "host-a", pid: 1, lease: 6, logger: Logger(label: "a"))
        guard case .won(let held) = try await hostA.claimTask(job: job.name, task: "sweep") else {
            Issue.record("host-a takes the free sweep claim")
            return
        }
        let logs = CapturedLogs(label: "test.task-claims")
        let service = StaleUploadSweepService(
            configs: ConfigStore(path: "/dev/null", config: config), stores: store, clock: ManualWallClock(now), timeout: .seconds(30),
            logger: logs.logger, claims: Self.claimer(claims, pid: 2))
        try await service.run()
        #expect(store.abortedKeys == ["local/b.dump"])
        #expect(logs.holder(of: "another host holds the job's sweep claim") == "host-a")
        _ = try await hostA.finish(held)
        try await service.run()
        #expect(store.abortedKeys == ["local/b.dump", "fleet/a.dump"])
        #expect(try Self.claim(claims, ClaimKey.taskKey(prefix: "fleet", job: job.name, task: "sweep")).hostId == "host-b")
    }

    /// A sweep whose claim went unrenewed for most of its lease (the host paused; the monotonic
    /// clock ran on) aborts nothing more: the fleet job's stale upload stays open for the host that
    /// holds the claim now, and the stop is logged as an error.
    @Test func lapsedSweepClaimAbortsNothing() async throws {
        let claims = FakeConditionalStore()
        var config = try FencedRunTests.config(host: "host-b")
        config.jobs[0].prefix = "fleet"
        let store = MemoryObjectStore()
        let now = Date(timeIntervalSince1970: 1_796_605_200)
        store.addOpenUpload(OpenUpload(key: "fleet/a.dump", uploadID: "u1", initiated: now.addingTimeInterval(-3 * 86_400)))
        // Each reading of the monotonic clock is a whole lease after the one before: the claim is
        // held at the first, and has lapsed by the check before the abort.
        let readings = Mutex(0)
        let start = ContinuousClock.now
        let lease = config.claimLease
        var claimer = Self.claimer(claims, pid: 2)
        claimer.monotonic = { start + lease * readings.withLock { count in count += 1; return count - 1 } }
        let logs = CapturedLogs(label: "test.sweep-lapse")
        let service = StaleUploadSweepService(
            configs: ConfigStore(path: "/dev/null", config: config), stores: store, clock: ManualWallClock(now), timeout: .seconds(30),
            logger: logs.logger, claims: claimer)
        try await service.run()
        #expect(store.abortedKeys.isEmpty)
        #expect(logs.messages().contains("the sweep of stale uploads stopped before its next abort"), "\(logs.messages())")
        #expect(readings.withLock { $0 } >= 2)
    }

    /// A long prune renews its claim (lease from the server's later Date) while it runs; a claim
    /// another host took over meanwhile is left to that host at the end (not marked done).
    @Test func longWorkRenewsAndLeavesALostClaimAlone() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a")
        let key = ClaimKey.taskKey(prefix: "", job: a.jobs[0].name, task: "prune")
        let claimer = JobTaskClaimer(openStore: { _, _ in store }, sleep: { _ in try await Task.sleep(for: .milliseconds(5)) }, pid: 1)
        let start = store.serverNow
        let renewed = await claimer.withClaim(.prune, job: a.jobs[0], config: a, logger: Logger(label: "a")) { () async -> Bool in
            store.serverNow = start.addingTimeInterval(3)
            for _ in 0..<400 {
                if (try? Self.claim(store, key))?.leaseExpiresAt == start.addingTimeInterval(9) { return true }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return false
        }
        #expect(renewed == true)
        #expect(try Self.claim(store, key).state == .done)

        let c = ClaimStore(store: store, prefix: "", hostId: "host-c", pid: 3, lease: 6, logger: Logger(label: "c"))
        // No renewal this time (the claimer's sleep outlasts the work), so the lease runs out.
        _ = await Self.claimer(store).withClaim(.prune, job: a.jobs[0], config: a, logger: Logger(label: "a")) { () async -> Bool in
            store.serverNow = store.serverNow.addingTimeInterval(7)
            guard case .won = try? await c.claimTask(job: a.jobs[0].name, task: "prune") else { return false }
            try? await Task.sleep(for: .milliseconds(50))
            return true
        }
        let last = try Self.claim(store, key)
        #expect(last.hostId == "host-c" && last.state == .running && last.takenOverFrom == "host-a")
    }

    /// Slot names are read back from claim keys; task claims, probes and other names are not slots.
    @Test(arguments: [
        ("db/.backupd/claims/app/20261126T020000Z.json", "2026-11-26T02:00:00Z"),
        ("db/.backupd/claims/app/prune.json", nil),
        ("db/.backupd/claims/app/probe-1234567890abcdef.json", nil),
        ("db/.backupd/claims/app/sub/20261126T020000Z.json", nil),
        ("db/.backupd/claims/app/20261326T020000Z.json", nil),
        ("db/.backupd/claims/other/20261126T020000Z.json", nil),
    ] as [(String, String?)])
    func slotOfKey(key: String, expected: String?) {
        #expect(ClaimKey.slot(ofKey: key, folder: "db/.backupd/claims/app/") == expected.map(RetentionFixtures.at))
    }
}
