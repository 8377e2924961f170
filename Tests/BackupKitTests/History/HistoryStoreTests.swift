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

private let base = Date(timeIntervalSince1970: 1_700_000_000)

private func mode(_ path: String) -> mode_t {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
}

@Suite("History store", .ownThreads)
struct HistoryStoreTests {
    /// A new store creates its missing directory (0700) and a 0600 file in WAL mode at schema version 1.
    @Test func createsFromEmpty() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let directory = tmp.path + "/state/backupd"
        let store = try HistoryStore(stateDirectory: directory)
        #expect(store.path == directory + "/history.sqlite3")
        #expect(mode(directory) == 0o700)
        #expect(mode(store.path) == 0o600)
        _ = try store.insertRunning(job: "db", trigger: .schedule, scheduledAt: base, startedAt: base)
        #expect(mode(store.path + "-wal") == 0o600)
        #expect(mode(store.path + "-shm") == 0o600)
        let (journal, version, indexes) = try store.withRawDatabase { db in
            (
                try db.scalarText("PRAGMA journal_mode"), try db.scalarInt("PRAGMA user_version"),
                try db.query("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name") { $0.text(0) ?? "" }
            )
        }
        #expect(journal == "wal")
        #expect(version == Int64(HistoryStore.schemaVersion) && HistoryStore.migrations.map(\.version) == Array(1...HistoryStore.schemaVersion))
        #expect(
            indexes == [
                "deletions_by_job", "deletions_by_key", "runs_by_job", "runs_by_job_status", "runs_by_start", "runs_by_status", "runs_with_open_upload",
                "sqlite_autoindex_run_destinations_1", "sqlite_autoindex_wal_archive_1", "verifications_by_backup", "verifications_by_job",
            ])
    }

    /// An existing file readable by others is narrowed to 0600 when the daemon opens it.
    @Test func narrowsExistingFileMode() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/history.sqlite3"
        try #require(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        _ = try HistoryStore(path: path)
        #expect(mode(path) == 0o600)
    }

    /// Reopening keeps the rows and does not re-run migrations; a read-only open reads them too.
    @Test func reopen() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/history.sqlite3"
        let id = try HistoryStore(path: path).insertRunning(
            job: "db", trigger: .runNow, scheduledAt: nil, startedAt: base)
        let again = try HistoryStore(path: path)
        #expect(try again.run(id: id)?.trigger == .runNow)
        #expect(try again.withRawDatabase { try $0.scalarInt("PRAGMA user_version") } == Int64(HistoryStore.schemaVersion))
        let reader = try HistoryStore(path: path, readOnly: true)
        #expect(try reader.runs().map(\.id) == [id])
        #expect(throws: HistoryError.self) {
            _ = try reader.insertRunning(job: "db", trigger: .schedule, scheduledAt: nil, startedAt: base)
        }
    }

    /// A file from a newer backupd is refused with both versions named; read-only refuses an older one.
    @Test func schemaVersionGuards() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/history.sqlite3"
        try HistoryStore(path: path).withRawDatabase { try $0.execute("PRAGMA user_version = \(HistoryStore.schemaVersion + 1)") }
        #expect(throws: HistoryError.schemaTooNew(path: path, found: HistoryStore.schemaVersion + 1, supported: HistoryStore.schemaVersion)) { try HistoryStore(path: path) }
        #expect(throws: HistoryError.schemaTooNew(path: path, found: HistoryStore.schemaVersion + 1, supported: HistoryStore.schemaVersion)) {
            try HistoryStore(path: path, readOnly: true)
        }
        try HistoryStore(path: tmp.path + "/old.sqlite3").withRawDatabase { try $0.execute("PRAGMA user_version = 0") }
        #expect(throws: HistoryError.schemaTooOld(path: tmp.path + "/old.sqlite3", found: 0, supported: HistoryStore.schemaVersion)) {
            try HistoryStore(path: tmp.path + "/old.sqlite3", readOnly: true)
        }
        #expect(throws: HistoryError.missingDatabase(path: tmp.path + "/none.sqlite3")) {
            try HistoryStore(path: tmp.path + "/none.sqlite3", readOnly: true)
        }
    }

    /// A state directory that cannot be created gives a clear error naming it; a garbage file is
    /// reported as not a database with advice.
    @Test func unusableLocations() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        try #require(FileManager.default.createFile(atPath: tmp.path + "/file", contents: Data("x".utf8)))
        do {
            _ = try HistoryStore(stateDirectory: tmp.path + "/file/sub")
            Issue.record("opened a store under a regular file")
        } catch let error as HistoryError {
            guard case .cannotCreateDirectory(let path, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(path == tmp.path + "/file/sub")
            #expect(error.description.contains("cannot create the state directory \(tmp.path)/file/sub"))
        }
        try #require(FileManager.default.createFile(atPath: tmp.path + "/garbage.sqlite3", contents: Data(repeating: 7, count: 4096)))
        do {
            _ = try HistoryStore(path: tmp.path + "/garbage.sqlite3")
            Issue.record("opened a garbage file")
        } catch let error as HistoryError {
            #expect(error.description.contains("not a database"), "\(error)")
            #expect(error.description.contains("move it aside"), "\(error)")
        }
    }

    /// A directory without write permission is refused up front (as root, whom permissions do not
    /// stop, only a directory the kernel refuses, such as /proc/sys, can show it).
    @Test(.enabled(if: getuid() != 0 || access("/proc/sys", W_OK) != 0, "no unwritable directory available"))
    func unwritableDirectory() throws {
        let tmp = try TemporaryDirectory()
        defer {
            chmod(tmp.path + "/ro", 0o700)
            tmp.remove()
        }
        var directory = "/proc/sys"
        if getuid() != 0 {
            directory = tmp.path + "/ro"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            chmod(directory, 0o500)
        }
        #expect(throws: HistoryError.directoryNotWritable(path: directory)) {
            try HistoryStore(stateDirectory: directory)
        }
    }

    /// A run goes running → progress (upload id as soon as it exists) → succeeded; success clears the upload id.
    @Test func runLifecycle() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let id = try store.insertRunning(
            job: "pg", trigger: .schedule, scheduledAt: base, startedAt: base + 0.25, destination: "s3", bucket: "b")
        #expect(try store.runningRuns().map(\.id) == [id])
        try store.updateProgress(runID: id, RunProgress(uploadID: "up-1", objectKey: "pg/1.zst"))
        try store.updateProgress(runID: id, RunProgress(bytesRead: 1000, bytesStored: 400))
        var run = try #require(try store.run(id: id))
        #expect(run.uploadID == "up-1" && run.objectKey == "pg/1.zst" && run.bytesRead == 1000 && run.bucket == "b")
        try store.finish(
            runID: id,
            RunOutcome(
                status: .succeeded, endedAt: base + 61.5, bytesRead: 2000, bytesStored: 800,
                sha256: String(repeating: "ab", count: 32), exitStatus: 0, stderrTail: "done\n"))
        run = try #require(try store.run(id: id))
        #expect(
            run
                == RunRecord(
                    id: id, job: "pg", trigger: .schedule, scheduledAt: base, startedAt: base + 0.25,
                    endedAt: base + 61.5, status: .succeeded, bytesRead: 2000, bytesStored: 800, objectKey: "pg/1.zst",
                    sha256: String(repeating: "ab", count: 32), uploadID: nil, destination: "s3", bucket: "b",
                    exitStatus: 0, stderrTail: "done\n", error: nil))
        #expect(run.duration == 61.25)
        #expect(try store.runningRuns().isEmpty)
        #expect(try store.uploadsToAbort().isEmpty)
    }

    /// A failed run keeps its upload id until the abort is recorded; updating a finished or unknown run is refused.
    @Test func failedRunKeepsUploadUntilAborted() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let id = try store.insertRunning(job: "pg", trigger: .schedule, scheduledAt: base, startedAt: base)
        try store.updateProgress(runID: id, RunProgress(uploadID: "up-2", destination: "s3", bucket: "b"))
        try store.finish(
            runID: id, RunOutcome(status: .failed, endedAt: base + 5, exitStatus: 1, error: "pg_dump exited with 1"))
        #expect(try store.uploadsToAbort().map(\.uploadID) == ["up-2"])
        try store.markUploadClosed(runID: id)
        #expect(try store.uploadsToAbort().isEmpty)
        #expect(throws: HistoryError.runNotRunning(id: id, status: .failed)) {
            try store.finish(runID: id, RunOutcome(status: .succeeded, endedAt: base))
        }
        #expect(throws: HistoryError.unknownRun(id: 999)) {
            try store.updateProgress(runID: 999, RunProgress(bytesRead: 1))
        }
    }

    /// A skipped run is one finished row with its reason in error.
    @Test func skippedRun() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let id = try store.insertSkipped(
            job: "pg", trigger: .schedule, scheduledAt: base, at: base + 0.5, reason: SkipReason.stillRunning.description)
        let run = try #require(try store.run(id: id))
        #expect(run.status == .skipped && run.startedAt == base + 0.5 && run.endedAt == base + 0.5)
        #expect(run.error == SkipReason.stillRunning.description)
    }

    /// Crash recovery marks running runs interrupted and returns them with what is needed to abort their uploads.
    @Test func interruptRunningRuns() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let a = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: base, startedAt: base)
        try store.updateProgress(runID: a, RunProgress(uploadID: "up-a", destination: "s3", bucket: "bk"))
        let b = try store.insertRunning(job: "b", trigger: .catchUp, scheduledAt: base, startedAt: base)
        let done = try store.insertRunning(job: "c", trigger: .schedule, scheduledAt: base, startedAt: base)
        try store.finish(runID: done, RunOutcome(status: .succeeded, endedAt: base + 1))

        let interrupted = try store.interruptRunningRuns(at: base + 100, reason: "backupd stopped during the run")
        #expect(interrupted.map(\.id) == [a, b])
        #expect(interrupted.allSatisfy { $0.status == .interrupted && $0.endedAt == base + 100 })
        #expect(interrupted.first?.uploadID == "up-a" && interrupted.first?.bucket == "bk")
        #expect(try store.run(id: b)?.error == "backupd stopped during the run")
        #expect(try store.runningRuns().isEmpty)
        #expect(try store.uploadsToAbort().map(\.id) == [a])
        #expect(try store.interruptRunningRuns(at: base + 200, reason: "again").isEmpty)
    }

    /// Queries filter by job, status and since, newest first (start time, then id), with a limit;
    /// last run / last success per job.
    @Test func queries() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        // (job, start offset, final status)
        let rows: [(String, Double, RunStatus)] = [
            ("a", 0, .succeeded), ("b", 10, .failed), ("a", 20, .failed), ("a", 30, .succeeded),
            ("b", 30, .succeeded), ("a", 40, .running),
        ]
        var ids: [Int64] = []
        for (job, offset, status) in rows {
            let id = try store.insertRunning(job: job, trigger: .schedule, scheduledAt: nil, startedAt: base + offset)
            if status != .running { try store.finish(runID: id, RunOutcome(status: status, endedAt: base + offset + 1)) }
            ids.append(id)
        }
        #expect(try store.runs().map(\.id) == [ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]])
        #expect(try store.runs(HistoryQuery(job: "a")).map(\.id) == [ids[5], ids[3], ids[2], ids[0]])
        #expect(try store.runs(HistoryQuery(job: "a", limit: 2)).map(\.id) == [ids[5], ids[3]])
        #expect(try store.runs(HistoryQuery(job: "a", status: .succeeded)).map(\.id) == [ids[3], ids[0]])
        #expect(try store.runs(HistoryQuery(status: .failed)).map(\.id) == [ids[2], ids[1]])
        #expect(try store.runs(HistoryQuery(since: base + 20)).map(\.id) == [ids[5], ids[4], ids[3], ids[2]])
        #expect(try store.runs(HistoryQuery(job: "b", since: base + 20, limit: 5)).map(\.id) == [ids[4]])
        #expect(try store.runs(HistoryQuery(job: "zz")).isEmpty)
        #expect(try store.runs(HistoryQuery(limit: 0)).isEmpty)
        #expect(try store.lastRun(job: "a")?.id == ids[5])
        #expect(try store.lastSuccess(job: "a")?.id == ids[3])
        #expect(try store.lastRuns(jobs: ["a", "b", "zz"]).mapValues(\.id) == ["a": ids[5], "b": ids[4]])
        #expect(try store.lastRuns(jobs: ["a", "b"], status: .failed).mapValues(\.id) == ["a": ids[2], "b": ids[1]])
    }

    /// Every query shape the CLI issues is answered from an index, in index order (no full scan, no
    /// sort), with or without planner statistics (ANALYZE).
    @Test(arguments: [
        (HistoryQuery(job: "a", limit: 20), "runs_by_job"),
        (HistoryQuery(job: "a", status: .failed, limit: 20), "runs_by_job_status"),
        (HistoryQuery(job: "a", since: base, limit: 20), "runs_by_job"),
        (HistoryQuery(job: "a", status: .succeeded, since: base, limit: 1), "runs_by_job_status"),
        (HistoryQuery(status: .running), "runs_by_status"),
        (HistoryQuery(status: .failed, since: base, limit: 20), "runs_by_status"),
        (HistoryQuery(since: base, limit: 20), "runs_by_start"),
        (HistoryQuery(limit: 20), "runs_by_start"),
    ], [false, true])
    func queryPlansUseIndexes(expected: (query: HistoryQuery, index: String), analyzed: Bool) throws {
        let (query, index) = expected
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        try fill(store, jobs: 20, runsPerJob: 50, analyze: analyzed)
        let plan = try store.queryPlan(query)
        #expect(plan.count == 1, "\(plan)")
        let words = plan.first?.split(separator: " ").map(String.init) ?? []
        let used = words.firstIndex(of: "INDEX").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        #expect(used == index, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }

    /// WAL: a reader in another connection reads the last committed state while a writer holds an
    /// open write transaction, without waiting for it.
    @Test func readerWhileWriterHoldsTransaction() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let writer = try HistoryStore(stateDirectory: tmp.path)
        _ = try writer.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: base)
        let reader = try HistoryStore(path: writer.path, busyTimeout: .zero)
        try writer.withRawDatabase { db in
            try db.execute("BEGIN IMMEDIATE")
            try db.run(
                "INSERT INTO runs (job, triggered_by, started_ms, status) VALUES ('b', 'schedule', 0, 'running')")
            // With busy timeout zero, any lock wait would fail at once instead of passing slowly.
            #expect(try reader.runs().map(\.job) == ["a"])
            try db.execute("COMMIT")
        }
        #expect(Set(try reader.runs().map(\.job)) == ["a", "b"])
    }

    /// Concurrent writer and reader threads on separate connections: no busy errors, every row arrives.
    @Test func concurrentReaderWhileWriting() async throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let writer = try HistoryStore(stateDirectory: tmp.path)
        let reader = try HistoryStore(path: writer.path)
        let count = 300
        // Writer and reader block (SQLite), so each runs on a thread of the bridge: a reader spinning
        // on a cooperative thread could starve the writer when other tests hold the rest of the pool.
        async let written: Void = BlockingBridge.shared.run {
            for i in 0..<count {
                let id = try writer.insertRunning(
                    job: "j\(i % 7)", trigger: .schedule, scheduledAt: nil, startedAt: base + Double(i))
                try writer.finish(runID: id, RunOutcome(status: .succeeded, endedAt: base + Double(i) + 1))
            }
        }
        let reads = try await BlockingBridge.shared.run {
            var reads = 0
            var seen = 0
            var consistent = true
            while seen < count {
                let rows = try reader.runs(HistoryQuery(limit: 20))
                consistent = consistent && rows.allSatisfy { $0.status == .succeeded || $0.status == .running }
                seen = try reader.runs().count
                reads += 1
            }
            return (reads, consistent)
        }
        try await written
        #expect(reads.1, "a reader saw a run in neither state")
        #expect(reads.0 > 0)
        #expect(try reader.runs(HistoryQuery(status: .succeeded)).count == count)
    }

    /// stderr is kept to its last 8 KiB, cut on a character boundary.
    @Test func stderrTailIsBounded() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let id = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: base)
        let long = String(repeating: "é", count: 10_000) + "END"
        try store.finish(runID: id, RunOutcome(status: .failed, endedAt: base, stderrTail: long, error: "x"))
        let tail = try #require(try store.run(id: id)?.stderrTail)
        #expect(tail.hasSuffix("éEND"))
        #expect(tail.utf8.count <= HistoryStore.maxStderrTail && tail.utf8.count >= HistoryStore.maxStderrTail - 1)
        #expect(!tail.contains("\u{FFFD}"))
    }

    /// Pruning deletes finished runs older than the cutoff and keeps running ones.
    @Test func prune() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let old = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: base)
        try store.finish(runID: old, RunOutcome(status: .succeeded, endedAt: base + 1))
        let stuck = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: base + 1)
        let recent = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: base + 100)
        #expect(try store.pruneRuns(startedBefore: base + 50) == 1)
        #expect(Set(try store.runs().map(\.id)) == [stuck, recent])
    }
}

/// Inserts `jobs × runsPerJob` finished runs in one transaction, then optionally gathers planner statistics.
func fill(_ store: HistoryStore, jobs: Int, runsPerJob: Int, analyze: Bool = false) throws {
    try store.withRawDatabase { db in
        try db.transaction {
            for i in 0..<(jobs * runsPerJob) {
                let statuses = ["succeeded", "succeeded", "succeeded", "failed", "skipped"]
                try db.run(
                    """
                    INSERT INTO runs (job, triggered_by, scheduled_ms, started_ms, ended_ms, status, bytes_stored, object_key)
                    VALUES (?, 'schedule', ?, ?, ?, ?, 1000, 'k')
                    """,
                    [
                        .text("job-\(i % jobs)"), .integer(Int64(i) * 300_000), .integer(Int64(i) * 300_000),
                        .integer(Int64(i) * 300_000 + 5_000), .text(statuses[i % statuses.count]),
                    ])
            }
        }
        if analyze { try db.execute("ANALYZE") }
    }
}
