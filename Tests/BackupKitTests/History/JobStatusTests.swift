import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// `backupd status`'s verdicts at fixed dates, for a job at 03:00 UTC daily with a 1 h timeout.
@Suite(.ownThreads)
struct JobStatusTests {
    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    func config(enabled: Bool = true) throws -> BackupConfig {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText { root in
            root["timeZone"] = "UTC"
            editJob(&root) {
                $0["schedule"] = "0 3 * * *"
                $0["timeout"] = "1h"
                $0["enabled"] = enabled
            }
        }
        return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
    }

    func run(_ id: Int64, _ status: RunStatus, slot: String?, started: String, error: String? = nil) -> RunRecord {
        RunRecord(
            id: id, job: "app-db", trigger: slot == nil ? .runNow : .schedule, scheduledAt: slot.map(Self.at),
            startedAt: Self.at(started), endedAt: status == .running ? nil : Self.at(started).addingTimeInterval(60),
            status: status, error: error)
    }

    /// The rows as the store selects them: newest run, newest non-skipped ended run, newest success.
    func rows(_ runs: [RunRecord]) -> JobStatusRows {
        var rows = JobStatusRows()
        let newestFirst = runs.sorted { $0.startedAt > $1.startedAt }
        rows.lastRuns["app-db"] = newestFirst.first
        rows.lastAttempts["app-db"] = newestFirst.first { $0.status != .running && $0.status != .skipped }
        rows.lastSuccesses["app-db"] = newestFirst.first { $0.status == .succeeded }
        return rows
    }

    func state(_ runs: [RunRecord], now: String, enabled: Bool = true) throws -> JobStatus {
        try #require(JobStatus.compute(config: config(enabled: enabled), rows: rows(runs), now: Self.at(now)).first)
    }

    /// A success stays fresh until the second slot after it plus the timeout: one missed slot is tolerated.
    @Test func successIsFreshUntilTheSecondSlotPlusTimeout() throws {
        let success = run(1, .succeeded, slot: "2026-12-01T03:00:00Z", started: "2026-12-01T03:00:01Z")
        #expect(try state([success], now: "2026-12-02T10:00:00Z").state == .ok)
        #expect(try state([success], now: "2026-12-03T03:59:59Z").state == .ok)
        let late = try state([success], now: "2026-12-03T04:00:01Z")
        #expect(late.state == .overdue)
        #expect(late.freshUntil == Self.at("2026-12-03T04:00:00Z"))
        #expect(!late.isOK)
        #expect(late.problem(time: { ISO8601DateFormatter().string(from: $0) })
            == "app-db: the newest backup started 2026-12-01T03:00:01Z; a newer one was due by 2026-12-03T04:00:00Z")
    }

    /// A run-now success without a slot counts from its start.
    @Test func runNowSuccessCountsFromItsStart() throws {
        let success = run(1, .succeeded, slot: nil, started: "2026-12-01T12:00:00Z")
        #expect(try state([success], now: "2026-12-03T03:59:00Z").state == .ok)
        #expect(try state([success], now: "2026-12-03T04:01:00Z").state == .overdue)
    }

    /// A failed or interrupted newest attempt is not ok at once, however recent the last success.
    @Test(arguments: [RunStatus.failed, .interrupted])
    func failedAttemptIsNotOK(status: RunStatus) throws {
        let success = run(1, .succeeded, slot: "2026-12-01T03:00:00Z", started: "2026-12-01T03:00:00Z")
        let failure = run(2, status, slot: "2026-12-02T03:00:00Z", started: "2026-12-02T03:00:00Z", error: "job app-db: boom\nmore")
        let s = try state([success, failure], now: "2026-12-02T03:05:00Z")
        #expect(s.state == .failed)
        #expect(!s.isOK)
        #expect(s.problem(time: { ISO8601DateFormatter().string(from: $0) }) == "app-db: run 2 \(status.rawValue) at 2026-12-02T03:00:00Z: job app-db: boom")
    }

    /// A job that never succeeded is not ok, with or without runs; its first run in progress says so.
    @Test func neverSucceededIsNotOK() throws {
        #expect(try state([], now: "2026-12-02T03:05:00Z").state == .neverSucceeded)
        let first = try state([run(1, .running, slot: "2026-12-02T03:00:00Z", started: "2026-12-02T03:00:00Z")], now: "2026-12-02T03:05:00Z")
        #expect(first.state == .neverSucceeded)
        #expect(first.problem(time: { _ in "" }) == "app-db: no run has succeeded yet; its first run is in progress")
    }

    /// A skipped newest run neither spoils a fresh success nor hides a failure; a running one over a fresh success is ok.
    @Test func skippedAndRunningRuns() throws {
        let success = run(1, .succeeded, slot: "2026-12-01T03:00:00Z", started: "2026-12-01T03:00:00Z")
        let skipped = run(2, .skipped, slot: "2026-12-02T03:00:00Z", started: "2026-12-02T03:00:00Z")
        #expect(try state([success, skipped], now: "2026-12-02T03:05:00Z").state == .ok)
        let running = run(3, .running, slot: "2026-12-02T03:00:00Z", started: "2026-12-02T03:01:00Z")
        let s = try state([success, running], now: "2026-12-02T03:05:00Z")
        #expect(s.state == .running && s.isOK)
        let failure = run(4, .failed, slot: "2026-12-02T03:00:00Z", started: "2026-12-02T03:00:00Z")
        let skippedLater = run(5, .skipped, slot: "2026-12-03T03:00:00Z", started: "2026-12-03T03:00:00Z")
        #expect(try state([success, failure, skippedLater], now: "2026-12-03T03:05:00Z").state == .failed)
    }

    /// A disabled job is neither ok nor failing: it never makes status exit non-zero.
    @Test func disabledJobCountsAsOK() throws {
        let s = try state([run(1, .failed, slot: nil, started: "2026-12-01T03:00:00Z")], now: "2026-12-05T00:00:00Z", enabled: false)
        #expect(s.state == .disabled && s.isOK && s.nextRun == nil)
    }

    /// The store's status rows skip running and skipped runs for the attempt, and a `partial`
    /// newest attempt (stored at some destinations only) is its own verdict, not ok.
    @Test func storeRowsAndUnknownStatus() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(path: tmp.path + "/history.sqlite3")
        let t0 = Self.at("2026-12-01T03:00:00Z")
        let ok = try store.insertRunning(job: "app-db", trigger: .schedule, scheduledAt: t0, startedAt: t0)
        try store.finish(runID: ok, RunOutcome(status: .succeeded, endedAt: t0.addingTimeInterval(60)))
        let t1 = t0.addingTimeInterval(86_400)
        let partial = try store.insertRunning(job: "app-db", trigger: .schedule, scheduledAt: t1, startedAt: t1)
        try store.withRawDatabase { try $0.run("UPDATE runs SET status = 'partial', ended_ms = started_ms + 1 WHERE id = ?", [.integer(partial)]) }
        _ = try store.insertSkipped(job: "app-db", trigger: .schedule, scheduledAt: t1, at: t1.addingTimeInterval(1), reason: "overlap")
        let rows = try store.statusRows(jobs: ["app-db", "none"])
        #expect(rows.lastRuns["app-db"]?.status == .skipped)
        #expect(rows.lastAttempts["app-db"]?.id == partial)
        #expect(rows.lastSuccesses["app-db"]?.id == ok)
        #expect(rows.lastRuns["none"] == nil)
        let status = try #require(JobStatus.compute(config: config(), rows: rows, now: t1.addingTimeInterval(120)).first)
        #expect(status.state == .partial && !status.isOK)
    }

    /// A partial newest attempt is not ok however recent it is: PARTIAL in the table, with its reason.
    @Test func partialAttemptIsNotOK() throws {
        let success = run(1, .succeeded, slot: "2026-12-01T03:00:00Z", started: "2026-12-01T03:00:00Z")
        let partial = run(
            2, .partial, slot: "2026-12-02T03:00:00Z", started: "2026-12-02T03:00:00Z",
            error: "job app-db: stored in 1 of 2 destinations; archive: upload failed")
        let s = try state([success, partial], now: "2026-12-02T03:05:00Z")
        #expect(s.state == .partial && !s.isOK)
        #expect(
            s.problem(time: { ISO8601DateFormatter().string(from: $0) })
                == "app-db: run 2 partial at 2026-12-02T03:00:00Z: job app-db: stored in 1 of 2 destinations; archive: upload failed")
        #expect(JobStatus.table([s], time: { ISO8601DateFormatter().string(from: $0) }).contains("PARTIAL"))
    }
}
