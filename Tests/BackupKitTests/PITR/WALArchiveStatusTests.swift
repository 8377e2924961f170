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

@Suite(.ownThreads)
struct WALArchiveStatusTests {
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func config(maxLag: String?, maxBacklog: Int? = nil) throws -> BackupConfig {
        var files = FakeFiles()
        files.files["/etc/backupd/config.json"] = configText { root in
            editJob(&root) { job in
                var pitr: [String: Any] = ["archiveUser": "root"]
                if let maxLag { pitr["maxArchiveLag"] = maxLag }
                if let maxBacklog { pitr["maxArchiveBacklog"] = maxBacklog }
                job["pitr"] = pitr
            }
        }
        return try BackupConfig.load(path: "/etc/backupd/config.json", sources: files.sources).config
    }

    private func rows(_ wal: WALArchiveState) -> JobStatusRows {
        var rows = JobStatusRows()
        let run = RunRecord(id: 1, job: "app-db", trigger: .runNow, startedAt: Self.now - 60, endedAt: Self.now - 30, status: .succeeded)
        rows.lastRuns["app-db"] = run
        rows.lastAttempts["app-db"] = run
        rows.lastSuccesses["app-db"] = run
        rows.walArchives["app-db"] = wal
        return rows
    }

    /// A failed push newer than the newest stored file makes the job archive-failing; a file
    /// stored after it clears that.
    @Test func failingUntilAFileIsStoredAfterTheFailure() throws {
        let config = try config(maxLag: nil)
        let failing = WALArchiveState(lastName: "000000010000000000000003", lastArchived: Self.now - 20, failures: 2, lastFailed: Self.now - 10, lastFailedName: "000000010000000000000004", lastError: "S3 down")
        let status = JobStatus.compute(config: config, rows: rows(failing), now: Self.now)[0]
        #expect(status.state == .archiveFailing)
        #expect(status.problem { _ in "T" }?.contains("the push of 000000010000000000000004 failed at T: S3 down") == true)
        var stored = failing
        stored.lastArchived = Self.now - 5
        #expect(JobStatus.compute(config: config, rows: rows(stored), now: Self.now)[0].state == .ok)
    }

    /// With `maxArchiveLag` the job is archive-lagging once the newest file is older; without it never.
    @Test func laggingPastTheLimit() throws {
        #expect(try config(maxLag: "5m").jobs[0].pitr?.maxArchiveLag == .seconds(300))
        let old = WALArchiveState(lastName: "000000010000000000000003", lastArchived: Self.now - 600)
        #expect(JobStatus.compute(config: try config(maxLag: "5m"), rows: rows(old), now: Self.now)[0].state == .archiveLagging)
        #expect(JobStatus.compute(config: try config(maxLag: "15m"), rows: rows(old), now: Self.now)[0].state == .ok)
        #expect(JobStatus.compute(config: try config(maxLag: nil), rows: rows(old), now: Self.now)[0].state == .ok)
    }

    /// The history keeps the newest archived file and counts failures; the metrics show lag,
    /// failures and whether archiving fails.
    @Test func historyAndMetrics() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let history = try HistoryStore(stateDirectory: directory)
        try history.recordWALArchived(job: "app-db", name: "000000010000000000000002", at: Self.now - 100)
        try history.recordWALPushFailure(job: "app-db", name: "000000010000000000000003", error: "boom", at: Self.now - 50)
        try history.recordWALPushFailure(job: "app-db", name: "000000010000000000000003", error: "boom again", at: Self.now - 40)
        let state = try #require(try history.walArchiveStates(jobs: ["app-db", "other"])["app-db"])
        #expect(state.failures == 2 && state.isFailing && state.lastError == "boom again" && state.lastName == "000000010000000000000002")
        let text = MetricsExposition.render(
            config: try config(maxLag: nil), jobs: [:], now: Self.now, history: try HistoryMetrics.read(from: history, jobs: ["app-db"]))
        #expect(text.contains(#"backupd_wal_archive_lag_seconds{backup_job="app-db"} 100"#), "\(text)")
        #expect(text.contains(#"backupd_wal_push_failures_total{backup_job="app-db"} 2"#))
        #expect(text.contains(#"backupd_wal_archive_failing{backup_job="app-db"} 1"#))
    }

    /// Failed pushes are recorded; the webhook hook is told once when archiving starts failing,
    /// not at each retry, and again only after a push succeeded in between; the JSON event names
    /// the file and the reason without the webhook's URL.
    @Test func failureIsAnnouncedOncePerOutage() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let history = try HistoryStore(stateDirectory: directory)
        let fails = Mutex(true)
        let announced = Mutex<[String]>([])
        let inner = ControlServer.WALPushing(archiveUIDs: { [] }) { _, name, _, _ in
            if fails.withLock({ $0 }) { throw WALError.refused(job: "app-db", name: name, detail: "S3 unreachable") }
            return "stored"
        }
        let pushing = inner.recording(in: history, clock: FixedClock(time: Self.now), logger: Logger(label: "t")) { _, name, _ in
            announced.withLock { $0.append(name) }
        }
        for name in ["000000010000000000000003", "000000010000000000000003", "000000010000000000000003"] {
            await #expect(throws: WALError.self) { try await pushing.push("app-db", name, [], 0) }
        }
        fails.withLock { $0 = false }
        #expect(try await pushing.push("app-db", "000000010000000000000003", [], 0) == "stored")
        fails.withLock { $0 = true }
        await #expect(throws: WALError.self) { try await pushing.push("app-db", "000000010000000000000004", [], 0) }
        #expect(announced.withLock { $0 } == ["000000010000000000000003", "000000010000000000000004"])
        #expect(try history.walArchiveStates(jobs: ["app-db"])["app-db"]?.failures == 4)

        let job = try config(maxLag: nil).jobs[0]
        let hook = "https://hooks.example.com/secret-token"
        let messages = Notifier(sender: NotificationSender.live(logger: Logger(label: "t")), host: "h").walPushFailedMessages(
            job: job, name: "000000010000000000000004", error: "S3 unreachable", at: Self.now, settings: NotifyConfig(webhooks: [Secret(hook)]))
        let body = String(decoding: try #require(messages.first).body, as: UTF8.self)
        #expect(body.contains(#""event":"wal_push_failed""#) && body.contains("000000010000000000000004") && body.contains("S3 unreachable"), "\(body)")
        #expect(!body.contains("secret-token"))
    }

    /// With `maxArchiveBacklog` the job is archive-lagging once the newest push counted more files
    /// waiting than that, naming the count; at or below it, or without the key, it is ok; the
    /// table adds the archive line with the count.
    @Test func laggingPastTheBacklogLimit() throws {
        #expect(try config(maxLag: nil, maxBacklog: 4).jobs[0].pitr?.maxArchiveBacklog == 4)
        let behind = WALArchiveState(lastName: "000000010000000000000003", lastArchived: Self.now - 5, waiting: 5, waitingCounted: Self.now - 5)
        let status = JobStatus.compute(config: try config(maxLag: nil, maxBacklog: 4), rows: rows(behind), now: Self.now)[0]
        #expect(status.state == .archiveLagging)
        #expect(status.problem { _ in "T" } == "app-db: 5 WAL file(s) were waiting in pg_wal/archive_status at the push at T, more than pitr.maxArchiveBacklog (4); archiving does not keep up (pg_stat_archiver, the daemon's log)")
        #expect(JobStatus.table([status]) { _ in "T" }.contains("app-db: WAL archive: newest 000000010000000000000003 at T; 5 waiting in pg_wal/archive_status at T"))
        #expect(JobStatus.compute(config: try config(maxLag: nil, maxBacklog: 5), rows: rows(behind), now: Self.now)[0].state == .ok)
        #expect(JobStatus.compute(config: try config(maxLag: nil), rows: rows(behind), now: Self.now)[0].state == .ok)
    }

    /// The count wal-push sends: `.ready` files in `archive_status` beside the pushed file, its
    /// own left out; nil when the file does not lie in a `pg_wal` with `archive_status`.
    @Test func waitingCountOfArchiveStatus() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/pg_wal/archive_status", withIntermediateDirectories: true)
        for name in ["000000010000000000000003.ready", "000000010000000000000004.ready", "000000010000000000000005.ready", "000000010000000000000002.done"] {
            FileManager.default.createFile(atPath: directory + "/pg_wal/archive_status/" + name, contents: nil)
        }
        #expect(WALPushClient.readyFiles(besides: "000000010000000000000003", in: directory + "/pg_wal/000000010000000000000003")?.count == 2)
        #expect(WALPushClient.readyFiles(besides: "000000010000000000000009", in: directory + "/pg_wal/000000010000000000000009")?.count == 3)
        #expect(WALPushClient.readyFiles(besides: "000000010000000000000003", in: directory + "/000000010000000000000003") == nil)
    }

    /// The segment sent ahead is the oldest ready segment after the pushed one on its timeline:
    /// never a history, backup or partial file, never an older segment, none after the last.
    @Test func segmentSentAhead() {
        let ready = ["000000010000000000000007", "000000010000000000000005", "00000002.history", "000000010000000000000004.00000028.backup",
                     "000000010000000000000003", "000000020000000000000004", "000000010000000000000006.partial"]
        #expect(WALPushClient.next(after: "000000010000000000000004", among: ready) == "000000010000000000000005")
        #expect(WALPushClient.next(after: "000000010000000000000005", among: ready) == "000000010000000000000007")
        #expect(WALPushClient.next(after: "000000010000000000000007", among: ready) == nil)
        #expect(WALPushClient.next(after: "000000020000000000000003", among: ready) == "000000020000000000000004")
        #expect(WALPushClient.next(after: "00000002.history", among: ready) == nil)
        #expect(WALPushClient.next(after: "000000010000000000000004", among: nil) == nil)
    }

    /// The recording pushing stores each count in the history (after a stored push and after a
    /// failed one), and the metrics show the newest as `backupd_wal_archive_backlog_segments`.
    @Test func waitingIsRecordedAndExported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let history = try HistoryStore(stateDirectory: directory)
        let inner = ControlServer.WALPushing(archiveUIDs: { [] }) { _, _, _, _ in "stored" }
        let pushing = inner.recording(in: history, clock: FixedClock(time: Self.now), logger: Logger(label: "t"))
        pushing.noteWaiting("app-db", 7)
        #expect(try history.walArchiveStates(jobs: ["app-db"])["app-db"]?.waiting == 7)
        try history.recordWALArchived(job: "app-db", name: "000000010000000000000002", at: Self.now)
        pushing.noteWaiting("app-db", 3)
        let state = try #require(try history.walArchiveStates(jobs: ["app-db"])["app-db"])
        #expect(state.waiting == 3 && state.waitingCounted == Self.now && state.lastName == "000000010000000000000002")
        let text = MetricsExposition.render(
            config: try config(maxLag: nil), jobs: [:], now: Self.now, history: try HistoryMetrics.read(from: history, jobs: ["app-db"]))
        #expect(text.contains(#"backupd_wal_archive_backlog_segments{backup_job="app-db"} 3"#), "\(text)")
    }
}
