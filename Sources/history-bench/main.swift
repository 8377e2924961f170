// Fills a history database with N runs (default 1,000,000: 1,000 jobs every 5 minutes) and
// prints the latency of the queries behind `backupd history` and `backupd status`.
// Usage: history-bench [rows] [directory]
import BackupHistory
import BackupKit
import CSQLite
import Foundation

let arguments = CommandLine.arguments
let rows = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
let directory = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "history-bench-\(getpid())"
let jobs = 1_000
let keep = ProcessInfo.processInfo.environment["KEEP"] == "1"
let clock = ContinuousClock()

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("history-bench: \(message)\n".utf8))
    exit(1)
}

try? FileManager.default.removeItem(atPath: directory)
let store = try HistoryStore(stateDirectory: directory)

// Bulk fill through a second raw connection in one transaction: the store's API commits per row,
// which is right for a daemon and needlessly slow for a million rows.
let fillStart = clock.now
var db: OpaquePointer?
guard sqlite3_open(store.path, &db) == SQLITE_OK else { fail("cannot open \(store.path)") }
sqlite3_exec(db, "BEGIN", nil, nil, nil)
var insert: OpaquePointer?
let sql = """
    INSERT INTO runs (job, triggered_by, scheduled_ms, started_ms, ended_ms, status, bytes_read, bytes_stored,
                      object_key, sha256, destination, bucket, exit_status, error)
    VALUES (?, 'schedule', ?, ?, ?, ?, ?, ?, ?, ?, 'main', 'backups', ?, ?)
    """
guard sqlite3_prepare_v2(db, sql, -1, &insert, nil) == SQLITE_OK else { fail(String(cString: sqlite3_errmsg(db))) }
let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
let begin: Int64 = 1_700_000_000_000
let sha = String(repeating: "5e", count: 32)
for i in 0..<rows {
    let job = i % jobs
    let slot = begin + Int64(i / jobs) * 300_000
    let started = slot + Int64(job * 37 % 1000)
    let status = i % 97 == 0 ? "failed" : (i % 89 == 0 ? "skipped" : "succeeded")
    sqlite3_bind_text(insert, 1, "job-\(job)", -1, transient)
    sqlite3_bind_int64(insert, 2, slot)
    sqlite3_bind_int64(insert, 3, started)
    sqlite3_bind_int64(insert, 4, started + 42_000)
    sqlite3_bind_text(insert, 5, status, -1, transient)
    sqlite3_bind_int64(insert, 6, 50_000_000)
    sqlite3_bind_int64(insert, 7, 12_000_000)
    sqlite3_bind_text(insert, 8, "job-\(job)/\(started).sql.zst", -1, transient)
    sqlite3_bind_text(insert, 9, sha, -1, transient)
    if status == "failed" {
        sqlite3_bind_int64(insert, 10, 1)
        sqlite3_bind_text(insert, 11, "pg_dump exited with status 1", -1, transient)
    } else {
        sqlite3_bind_int64(insert, 10, 0)
        sqlite3_bind_null(insert, 11)
    }
    guard sqlite3_step(insert) == SQLITE_DONE else { fail(String(cString: sqlite3_errmsg(db))) }
    sqlite3_reset(insert)
}
sqlite3_finalize(insert)
sqlite3_exec(db, "COMMIT", nil, nil, nil)
sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nil, nil, nil)
sqlite3_close(db)
let fillTime = clock.now - fillStart
let size = (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int) ?? 0
print("filled \(rows) runs of \(jobs) jobs in \(String(format: "%.1f", milliseconds(fillTime) / 1000)) s; "
    + "file \(size / 1_048_576) MiB (\(rows > 0 ? size / rows : 0) bytes per run)")

// Reopen as the CLI would: a fresh read-only connection, cold statement cache.
let reader = try HistoryStore(path: store.path, readOnly: true)

func measure(_ name: String, repetitions: Int = 200, _ body: (Int) throws -> Int) rethrows {
    var samples: [Double] = []
    var rowsReturned = 0
    for r in 0..<repetitions {
        let start = clock.now
        rowsReturned = try body(r)
        samples.append(milliseconds(clock.now - start))
    }
    samples.sort()
    let median = samples[samples.count / 2]
    let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
    print(
        name.padding(toLength: 52, withPad: " ", startingAt: 0)
            + String(format: "median %8.3f ms   p99 %8.3f ms   max %8.3f ms   (%d rows)", median, p99,
                samples.last ?? 0, rowsReturned))
}

let firstQuery = clock.now
let first = try reader.runs(HistoryQuery(job: "job-500", limit: 20))
print("first query on a fresh connection: \(String(format: "%.3f", milliseconds(clock.now - firstQuery))) ms (\(first.count) rows)")
let since = Date(timeIntervalSince1970: Double(begin) / 1000 + Double(rows / jobs) * 300 - 86_400)
try measure("history JOB --limit 20") { try reader.runs(HistoryQuery(job: "job-\($0 * 7 % jobs)", limit: 20)).count }
try measure("history JOB --status failed --limit 20") {
    try reader.runs(HistoryQuery(job: "job-\($0 * 7 % jobs)", status: .failed, limit: 20)).count
}
try measure("history JOB --since (last day)") {
    try reader.runs(HistoryQuery(job: "job-\($0 * 7 % jobs)", since: since)).count
}
try measure("history --limit 20 (all jobs)") { _ in try reader.runs(HistoryQuery(limit: 20)).count }
try measure("history --status failed --limit 20") { _ in try reader.runs(HistoryQuery(status: .failed, limit: 20)).count }
try measure("last run + last success of 1,000 jobs (status)", repetitions: 20) { _ in
    let names = (0..<jobs).map { "job-\($0)" }
    return try reader.lastRuns(jobs: names).count + reader.lastRuns(jobs: names, status: .succeeded).count
}
try measure("runningRuns() (crash recovery)") { _ in try reader.runningRuns().count }
try measure("insert running + finish (one run, two commits)") { r in
    let now = Date(timeIntervalSince1970: Double(begin) / 1000 + Double(rows / jobs + 1) * 300 + Double(r))
    let id = try store.insertRunning(job: "job-\(r % jobs)", trigger: .schedule, scheduledAt: now, startedAt: now)
    try store.finish(runID: id, RunOutcome(status: .succeeded, endedAt: now + 42, bytesStored: 1))
    return 1
}

if keep {
    print("kept \(store.path)")
} else {
    try? FileManager.default.removeItem(atPath: directory)
}
