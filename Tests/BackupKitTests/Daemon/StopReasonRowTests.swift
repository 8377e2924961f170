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

/// A run stopped by Task cancellation records why in its one history row: the reason set before
/// the cancellation (`StopReason`, `StoppableTask.stop`), the job's timeout, or a lost claim.
@Suite(.ownThreads) struct StopReasonRowTests {
    /// Records `job1` of `config` with the real runner into `store`; `around` runs the recording
    /// (in a `StoppableTask`, under a fence). Returns the run's one history row.
    static func record(
        _ config: BackupConfig, executor: (BackupRunner) -> any BackupExecutor = { $0 },
        around: @escaping @Sendable (@escaping @Sendable () async throws -> Void) async throws -> Void = { try await $0() }
    ) async throws -> RunRecord {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let runner = BackupRunner(
            stores: MemoryObjectStore(partSize: 1 << 20), launcher: PosixProcessLauncher(), clock: FixedClock(time: pipelineStart),
            environment: testEnvironment, secretsParent: tmp.path, host: "testhost", makeToken: { testToken })
        let recorder = RunRecorder(history: history, executor: executor(runner), clock: FixedClock(time: pipelineStart))
        let job = try #require(config.job(named: "job1"))
        try await around {
            _ = try await recorder.perform(
                ScheduledRun(job: job.name, trigger: .schedule, scheduledFor: pipelineStart), job: job, config: config, logger: Logger(label: "t"))
        }
        let runs = try history.runs(HistoryQuery(job: "job1"))
        #expect(runs.count == 1)
        return try #require(runs.first)
    }

    /// Stopped with a reason (the daemon's grace period ran out, a signal to run-now), the run is
    /// one `interrupted` row whose error names that reason.
    @Test(arguments: [
        "backupd was stopped and the shutdown grace period of 1s ran out", "interrupted by signal 15",
    ])
    func stoppedRunNamesTheReason(reason: String) async throws {
        let config = try shellJob("head -c 100 /dev/zero; sleep 60")
        let started = ContinuousClock.now
        let row = try await Self.record(config, around: { body in
            let run = StoppableTask { try await body() }
            try await Task.sleep(for: .milliseconds(500))
            run.stop(reason)
            try await run.value
        })
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(row.status == .interrupted)
        #expect(row.error == "job job1: stopped: \(reason)")
    }

    /// The reason set first wins: a run stopped for the shutdown and then cancelled from outside
    /// (its awaiting task) still names the shutdown.
    @Test func firstReasonWins() async throws {
        let outer = StopReason()
        let inner = StopReason(within: outer)
        #expect(inner.reason == nil)
        outer.set("backupd was stopped")
        #expect(inner.reason == "backupd was stopped")
        inner.set("lost its claim")
        outer.set("later")
        #expect(inner.reason == "lost its claim")
        #expect(outer.reason == "backupd was stopped")
    }

    /// Work nested in stopped work is cancelled with it and reads the outer reason (the run's
    /// after-backup prune when the daemon's grace period ran out).
    @Test func nestedWorkReadsTheOuterReason() async throws {
        let outer = StoppableTask {
            await StoppableTask { () -> String in
                try? await Task.sleep(for: .seconds(300))
                return Task.isCancelled ? StopReason.text : "not stopped"
            }.value
        }
        try await Task.sleep(for: .milliseconds(100))
        outer.stop("backupd was stopped")
        #expect(await outer.value == "backupd was stopped")
    }

    /// Past the job's timeout the run is one `failed` row saying it timed out after the timeout.
    @Test func timeoutNamesTheTimeout() async throws {
        let row = try await Self.record(try shellJob("head -c 1000 /dev/zero; sleep 60 & wait", timeout: "1s"))
        #expect(row.status == .failed)
        #expect(row.error == "job job1: timed out after 1s: the dump was killed and its upload aborted; raise \"timeout\" or find what slows it")
    }

    /// A run whose claim another host took over is stopped by the renewal and is one `claimed`
    /// row naming the new holder.
    @Test func lostClaimNamesTheHolder() async throws {
        let claims = FakeConditionalStore()
        // host-a's dump runs until the renewal finds host-b holding the slot (host-a was paused past its lease).
        var a = try shellJob("head -c 100 /dev/zero; sleep 60")
        a.hostId = "host-a"
        a.claimLease = .seconds(6)
        a.jobs[0].runOn = .any
        let b = try FencedRunTests.config(host: "host-b")
        let claimer = FencedRunTests.claimer(claims)
        let fence = try #require(
            FencedRunTests.won(await claimer.claim(job: a.jobs[0], config: a, slot: FencedRunTests.slot, logger: Logger(label: "a"))))
        claims.serverNow += 7
        _ = try #require(
            FencedRunTests.won(
                await FencedRunTests.claimer(claims).claim(job: b.jobs[0], config: b, slot: FencedRunTests.slot, logger: Logger(label: "b"))))
        let started = ContinuousClock.now
        let row = try await Self.record(a, executor: { runner in
            FencedExecutor(base: runner, fence: fence, lease: .seconds(6), sleep: { _ in try await Task.sleep(for: .milliseconds(200)) })
        })
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(row.status == .claimed)
        #expect(row.error?.hasPrefix("lost its claim to host-b") == true, "\(row.error ?? "")")
    }
}
