import BackupTestSupport
import Cron
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

/// An executor that "uploads" one backup into a `FakePruneStore` (or fails) without a dump.
struct KeyWritingExecutor: BackupExecutor {
    let store: FakePruneStore
    let succeed: Bool

    func execute(
        job: JobConfig, config: BackupConfig, startedAt: Date,
        progress: @escaping @Sendable (RunProgress) -> Void, logger: Logger
    ) -> RunOutcome {
        guard succeed else { return RunOutcome(status: .failed, endedAt: startedAt, error: "pg_dump exited with status 1", uploadClosed: true) }
        let keys = RetentionFixtures.backupKeys(time: ZoneRules.utc.iso8601(startedAt), token: "0000c0de")
        store.add(keys)
        return RunOutcome(status: .succeeded, endedAt: startedAt, bytesRead: 1, bytesStored: 1, objectKey: keys[0], sha256: "00")
    }
}

@Suite("Retention after runs", .ownThreads)
struct RetentionObserverTests {
    typealias F = RetentionFixtures

    /// Through RunRecorder: a successful run prunes the job to its policy (keepLast 2) and the
    /// deletions are in the history; a failed run deletes nothing.
    @Test func prunesAfterSuccessOnly() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let clock = ManualWallClock(F.at("2026-12-01T02:00:00Z"))
        let store = PrunerTests.bucket()
        let config = try PrunerTests.config(["keepLast": 2])
        let observers = RetentionObserver.standard(history: history, stores: store, clock: clock)
        let run = ScheduledRun(job: "app", trigger: .runNow, scheduledFor: clock.now())

        let failing = RunRecorder(history: history, executor: KeyWritingExecutor(store: store, succeed: false), clock: clock, observers: observers)
        let before = store.keys
        let failed = try await failing.perform(run, job: config.jobs[0], config: config, logger: Logger(label: "test"))
        #expect(failed.outcome.status == .failed)
        #expect(try store.keys == before && store.calls.isEmpty && history.deletions().isEmpty)

        let recorder = RunRecorder(history: history, executor: KeyWritingExecutor(store: store, succeed: true), clock: clock, observers: observers)
        _ = try await recorder.perform(run, job: config.jobs[0], config: config, logger: Logger(label: "test"))
        let left = store.keys.filter { NameCatalog.backupID(of: $0, prefix: "db", job: "app") != nil }
        #expect(Set(left.compactMap { NameCatalog.backupID(of: $0, prefix: "db", job: "app") }) == ["app-20261201T020000Z-0000c0de", "app-20261129T020000Z-00000004"])
        #expect(try history.deletions(job: "app").filter { $0.outcome == .deleted }.count == 6)
        #expect(try history.runs().count == 2)
    }

    /// History retention deletes rows older than the cutoff but keeps each job's newest row and
    /// running rows, and old deletion records go too.
    @Test func historyRetentionKeepsEachJobsLastRow() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let day = 86_400.0
        let base = F.at("2025-01-01T00:00:00Z")
        for (job, ages) in [("old-only", [500.0, 450]), ("busy", [600.0, 300, 10, 1])] {
            for age in ages {
                let id = try history.insertRunning(job: job, trigger: .schedule, scheduledAt: nil, startedAt: base.addingTimeInterval(-age * day))
                try history.finish(runID: id, RunOutcome(status: .succeeded, endedAt: base.addingTimeInterval(-age * day + 60)))
            }
        }
        _ = try history.insertRunning(job: "stuck", trigger: .schedule, scheduledAt: nil, startedAt: base.addingTimeInterval(-900 * day))
        try history.recordDeletions([
            DeletionRecord(job: "busy", destination: "d", bucket: "b", backupID: "x", objectKey: "k1", at: base.addingTimeInterval(-500 * day), cause: .retention, outcome: .deleted),
            DeletionRecord(job: "busy", destination: "d", bucket: "b", backupID: "y", objectKey: "k2", at: base.addingTimeInterval(-5 * day), cause: .retention, outcome: .deleted),
        ])
        let removed = try history.pruneHistory(before: base.addingTimeInterval(-400 * day))
        #expect(removed == 2)  // busy's 600-day row and old-only's 500-day row
        let left = try history.runs().map { "\($0.job) \(Int((base.timeIntervalSince($0.startedAt) / day).rounded()))" }.sorted()
        #expect(left == ["busy 1", "busy 10", "busy 300", "old-only 450", "stuck 900"])
        #expect(try history.deletions().map(\.objectKey) == ["k2"])

        // Through the observer with the config's historyRetention.
        let config = try loadConfig(configText { $0["historyRetention"] = "5d" })
        HistoryRetentionObserver(history: history, clock: ManualWallClock(base)).runFinished(
            ObservedRun(runID: 0, job: config.jobs[0], destination: "d", bucket: nil, trigger: .schedule, scheduledFor: nil, startedAt: base),
            outcome: RunOutcome(status: .succeeded, endedAt: base), config: config, logger: Logger(label: "test"))
        #expect(try history.runs().map(\.job).sorted() == ["busy", "old-only", "stuck"])
    }
}
