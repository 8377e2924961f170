import BackupTestSupport
import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A backup executor for fence tests: runs `body` (with the fence in force) and succeeds.
struct ScriptedExecutor: BackupExecutor {
    var body: @Sendable () async -> RunOutcome

    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) async -> RunOutcome {
        await body()
    }
}

@Suite("runOn any: claiming, watching, taking over and fencing a slot", .ownThreads)
struct FencedRunTests {
    static let slot = Date(timeIntervalSince1970: 1_796_605_200)

    /// A config of one `runOn: "any"` job on host `host` with a 6 s lease.
    static func config(host: String) throws -> BackupConfig {
        var config = try shellJob("echo data")
        config.hostId = host
        config.claimLease = .seconds(6)
        config.jobs[0].runOn = .any
        return config
    }

    static func claimer(_ store: FakeConditionalStore, pid: Int32 = 1, sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in })
        -> SlotClaimer
    {
        SlotClaimer(openStore: { _, _ in store }, sleep: sleep, pid: pid)
    }

    static func won(_ decision: SlotClaimer.Decision) -> ClaimFence? {
        if case .run(let fence) = decision { return fence }
        return nil
    }

    /// The first host wins; the second watches the live claim and, once the winner marks the slot
    /// done, records it as claimed by the winner (it never runs it).
    @Test func loserWatchesUntilDone() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let fence = try #require(Self.won(await Self.claimer(store).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        let sleeps = Mutex(0)
        let watcher = Self.claimer(store) { _ in
            // The winner ends its run while the loser watches.
            if sleeps.withLock({ $0 += 1; return $0 }) == 3 { try await fence.finish() }
        }
        let decision = await watcher.claim(job: b.jobs[0], config: b, slot: Self.slot, logger: Logger(label: "b"))
        guard case .claimedBy(let host) = decision else { Issue.record("host-b should not run the slot: \(decision)"); return }
        #expect(host == "host-a")
        #expect(sleeps.withLock { $0 } >= 3)
    }

    /// A holder that stops renewing loses the slot once its lease ran out (server clock): the
    /// watcher takes it over with fencing 2; the old holder's re-validation fails (lost to host-b).
    @Test func expiredLeaseIsTakenOver() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let old = try #require(Self.won(await Self.claimer(store).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        let watcher = Self.claimer(store) { step in store.serverNow += TimeInterval(step.components.seconds) }
        let taken = try #require(Self.won(await watcher.claim(job: b.jobs[0], config: b, slot: Self.slot, logger: Logger(label: "b"))))
        #expect(taken.record.fencing == 2)
        #expect(taken.record.takenOverFrom == "host-a")
        #expect(taken.record.hostId == "host-b")
        await #expect(throws: ClaimError.lostClaim(to: "host-b", job: "job1", slot: "20261207T010000Z")) { _ = try await old.complete() }
        #expect(old.lost != nil)
        #expect(try await taken.complete().state == .completing)
    }

    /// A takeover of a slot whose stale holder had written its manifest (and died before marking
    /// the slot done) runs nothing: the slot is marked done and recorded as claimed by that host.
    @Test func takeoverFindsTheBackupAlreadyWritten() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let old = try #require(Self.won(await Self.claimer(store).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        _ = try await old.complete()
        store.serverNow += 7
        var watcher = Self.claimer(store)
        let asked = Mutex<[String]>([])
        watcher.backupOfSlot = { _, _, slot in
            asked.withLock { $0.append(slot) }
            return "host-a"
        }
        let decision = await watcher.claim(job: b.jobs[0], config: b, slot: Self.slot, logger: Logger(label: "b"))
        guard case .claimedBy(let host) = decision else { Issue.record("host-b ran a slot already backed up: \(decision)"); return }
        #expect(host == "host-a")
        #expect(asked.withLock { $0 } == ["20261207T010000Z"])
        let stored = try ClaimRecord.decode(try await store.readVersioned(key: ClaimKey.key(prefix: a.jobs[0].prefix, job: "job1", slot: Self.slot)).body, key: "k")
        #expect(stored.state == .done)
        #expect(stored.fencing == 2)
    }

    /// A watch ends when the job's next slot nears (that slot must not be skipped as an overlap):
    /// the older slot is left to its holder and recorded as claimed by it, not taken over.
    @Test func watchEndsBeforeTheNextSlot() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        _ = try #require(Self.won(await Self.claimer(store).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        let clock = Mutex(Self.slot)
        let watcher = Self.claimer(store) { step in clock.withLock { $0 += TimeInterval(step.components.seconds) } }
        let decision = await watcher.claim(
            job: b.jobs[0], config: b, slot: Self.slot, watchUntil: Self.slot + 3, now: { clock.withLock { $0 } }, logger: Logger(label: "b"))
        guard case .claimedBy(let host) = decision else { Issue.record("host-b took over past its watch: \(decision)"); return }
        #expect(host == "host-a")
        #expect(clock.withLock { $0 } == Self.slot + 3)
    }

    /// A generic endpoint that fails the conditional-write probe runs no slot: each is recorded as
    /// failed naming the probe's reason; the probe runs once per destination, nothing is claimed.
    @Test func unsafeProviderRunsNothing() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a")
        let probed = Mutex(0)
        var claimer = Self.claimer(store)
        claimer.probes = ConditionalProbeCache { _, _, _ in
            probed.withLock { $0 += 1 }
            return "second If-None-Match PUT: accepted"
        }
        for offset in [0.0, 60] {
            let decision = await claimer.claim(job: a.jobs[0], config: a, slot: Self.slot + offset, logger: Logger(label: "a"))
            guard case .failed(let reason) = decision else { Issue.record("ran on an unsafe provider: \(decision)"); return }
            #expect(reason.contains("failed the conditional-write probe (second If-None-Match PUT: accepted)"))
        }
        #expect(probed.withLock { $0 } == 1)
        #expect(try await store.readVersioned(key: ClaimKey.key(prefix: a.jobs[0].prefix, job: "job1", slot: Self.slot)).etag == nil)
    }

    /// The winner's run re-validates before its manifest and the slot ends `done`; the outcome is
    /// the run's own.
    @Test func winnerCompletesAndMarksDone() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a")
        let fence = try #require(Self.won(await Self.claimer(store).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        let executor = FencedExecutor(
            base: ScriptedExecutor {
                let record = try? await ClaimFence.current?.complete()
                return RunOutcome(status: record?.state == .completing ? .succeeded : .failed, endedAt: Self.slot)
            }, fence: fence, lease: .seconds(6), sleep: { _ in try await Task.sleep(for: .seconds(3600)) })
        let outcome = await executor.execute(
            job: a.jobs[0], config: a, startedAt: Self.slot, progress: { _ in }, logger: Logger(label: "a"))
        #expect(outcome.status == .succeeded)
        let stored = try ClaimRecord.decode(try await store.readVersioned(key: ClaimKey.key(prefix: a.jobs[0].prefix, job: "job1", slot: Self.slot)).body, key: "k")
        #expect(stored.state == .done)
        #expect(stored.hostId == "host-a")
    }

    /// A renewal that finds the claim taken over stops the run (its cancellation fires with the
    /// loss) and the run is recorded as `claimed`: lost its claim to host-b.
    @Test func renewalLossStopsTheRun() async throws {
        let store = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let fence = try #require(Self.won(await Self.claimer(store).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        // host-a is paused past its lease: host-b takes the slot over.
        store.serverNow += 7
        _ = try #require(Self.won(await Self.claimer(store).claim(job: b.jobs[0], config: b, slot: Self.slot, logger: Logger(label: "b"))))
        let executor = FencedExecutor(
            base: ScriptedExecutor {
                for _ in 0..<500 where !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                return RunOutcome(status: .interrupted, endedAt: Self.slot, error: Task.isCancelled ? StopReason.text : "never stopped")
            }, fence: fence, lease: .seconds(6), sleep: { _ in try await Task.sleep(for: .milliseconds(10)) })
        let outcome = await executor.execute(
            job: a.jobs[0], config: a, startedAt: Self.slot, progress: { _ in }, logger: Logger(label: "a"))
        #expect(outcome.status == .claimed)
        #expect(outcome.error?.hasPrefix("lost its claim to host-b") == true, "\(outcome.error ?? "")")
        // The new holder's claim is untouched by the loser (no `done` over it).
        let stored = try ClaimRecord.decode(try await store.readVersioned(key: ClaimKey.key(prefix: a.jobs[0].prefix, job: "job1", slot: Self.slot)).body, key: "k")
        #expect(stored.hostId == "host-b")
        #expect(stored.state == .running)
    }

    /// The real runner under a lost claim uploads, then writes no manifest and removes the
    /// objects it uploaded; the run ends as `claimed` naming the new holder.
    @Test func runnerWritesNoManifestAfterLoss() async throws {
        let claims = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let fence = try #require(Self.won(await Self.claimer(claims).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        claims.serverNow += 7
        _ = try #require(Self.won(await Self.claimer(claims).claim(job: b.jobs[0], config: b, slot: Self.slot, logger: Logger(label: "b"))))
        let store = MemoryObjectStore()
        let outcome = try await ClaimFence.$current.withValue(fence) { try await runJob(a, store: store) }
        #expect(outcome.status == .failed)
        #expect(store.keys.isEmpty, "left behind: \(store.keys)")
        #expect(outcome.error?.contains("lost its claim to host-b") == true, "\(outcome.error ?? "")")
        let recorded = FencedExecutor.lostOutcome(outcome, lost: try #require(fence.lost))
        #expect(recorded.status == .claimed)
    }

    /// The real runner under a held claim writes its manifest with the claim's host and fencing.
    @Test func manifestRecordsTheClaim() async throws {
        let claims = FakeConditionalStore()
        let a = try Self.config(host: "host-a")
        let fence = try #require(Self.won(await Self.claimer(claims).claim(job: a.jobs[0], config: a, slot: Self.slot, logger: Logger(label: "a"))))
        let store = MemoryObjectStore()
        let outcome = try await ClaimFence.$current.withValue(fence) { try await runJob(a, store: store) }
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let key = try #require(store.keys.first { $0.hasSuffix(".manifest.json") })
        let manifest = try BackupManifest.parse(try #require(store.bytes(of: key)), key: key)
        #expect(manifest.claim == ManifestClaim(hostId: "host-a", slot: "20261207T010000Z", fencing: 1))
        #expect(manifest.host == "host-a")
        #expect(fence.record.state == .completing)
    }

    /// A job that runs on this host alone writes no claim into its manifest (today's behaviour).
    @Test func unfencedRunHasNoClaim() async throws {
        let store = MemoryObjectStore()
        let outcome = try await runJob(try shellJob("echo data"), store: store)
        #expect(outcome.status == .succeeded)
        let key = try #require(store.keys.first { $0.hasSuffix(".manifest.json") })
        let bytes = try #require(store.bytes(of: key))
        #expect(try BackupManifest.parse(bytes, key: key).claim == nil)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("\"claim\""))
    }
}
