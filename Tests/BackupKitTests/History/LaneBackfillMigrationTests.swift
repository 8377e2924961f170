import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("History lane back-fill", .ownThreads)
struct LaneBackfillMigrationTests {
    /// A history written by the previous schema (version 10): a single-destination run kept its
    /// result in the runs row only, a fan-out run had its lanes already.
    static func previousSchema(at path: String) throws {
        let db = try SQLiteDatabase(path: path, readOnly: false, create: true)
        for migration in HistoryStore.migrations where migration.version <= 10 { try db.execute(migration.sql) }
        try db.execute("PRAGMA user_version = 10")
        try db.execute(
            """
            INSERT INTO runs (id, job, triggered_by, started_ms, ended_ms, status, bytes_stored, object_key, sha256, destination, bucket)
            VALUES (1, 'db', 'schedule', 1000, 2000, 'succeeded', 800, 'p/db-1.zst', 'abab', 'local', 'backups');
            INSERT INTO runs (id, job, triggered_by, started_ms, ended_ms, status, bytes_stored, object_key, destination, bucket, error, upload_id)
            VALUES (2, 'db', 'schedule', 3000, 4000, 'failed', 100, 'p/db-2.zst', 'local', 'backups', 'pg_dump exited with 1', 'up-2');
            INSERT INTO runs (id, job, triggered_by, started_ms, status, object_key, destination, bucket, upload_id)
            VALUES (3, 'db', 'schedule', 5000, 'running', 'p/db-3.zst', 'local', 'backups', 'up-3');
            INSERT INTO runs (id, job, triggered_by, started_ms, ended_ms, status, error)
            VALUES (4, 'db', 'schedule', 6000, 6000, 'skipped', 'still running');
            INSERT INTO runs (id, job, triggered_by, started_ms, ended_ms, status, bytes_stored, object_key, destination, bucket)
            VALUES (5, 'fan', 'schedule', 7000, 8000, 'partial', 50, 'p/fan-5.zst', 'a', 'ba');
            INSERT INTO run_destinations (run_id, position, destination, bucket, status, object_key, bytes_stored, sha256, error)
            VALUES (5, 0, 'a', 'ba', 'succeeded', 'p/fan-5.zst', 50, 'cdcd', NULL), (5, 1, 'b', 'bb', 'failed', NULL, NULL, NULL, 'refused');
            """)
    }

    /// Opening a previous-schema history migrates it: every run that named a destination has its
    /// lane (result, key, size, digest, error and open upload), a fan-out run keeps its lanes
    /// untouched, a skipped run has none; readers of lanes (metrics, retention's witness, open
    /// uploads) now see the single-destination runs.
    @Test func singleDestinationRunsGetTheirLane() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/history.sqlite3"
        try Self.previousSchema(at: path)
        let store = try HistoryStore(path: path)
        #expect(try store.withRawDatabase { try $0.scalarInt("PRAGMA user_version") } == Int64(HistoryStore.schemaVersion))
        #expect(HistoryStore.schemaVersion == 13)

        let lanes = try store.destinationResults(runIDs: [1, 2, 3, 4, 5])
        #expect(lanes[1] == [DestinationOutcome(
            destination: "local", bucket: "backups", state: .stored(LaneReceipt(objectKey: "p/db-1.zst", bytesStored: 800, sha256: "abab")))])
        #expect(lanes[2] == [DestinationOutcome(
            destination: "local", bucket: "backups",
            state: .failed(LaneFailure(reason: "pg_dump exited with 1", objectKey: "p/db-2.zst")))])
        #expect(lanes[3] == [DestinationOutcome(destination: "local", bucket: "backups", state: .open(objectKey: "p/db-3.zst"))])
        #expect(lanes[4] == nil)
        #expect(lanes[5]?.map(\.destination) == ["a", "b"] && lanes[5]?.map(\.status) == [.succeeded, .failed])
        #expect(lanes[5]?.first?.sha256 == "cdcd" && lanes[5]?.last?.error == "refused")

        // The open uploads moved with their runs: the failed run's is listed to abort, the running one's is its own.
        #expect(try store.openDestinationUploads().map(\.uploadID) == ["up-2"])
        #expect(try store.uploadsToAbort().map(\.uploadID) == ["up-2"])
        #expect(try store.destinationUploads(runIDs: [3])[3]?.first?.uploadID == "up-3")
        #expect(Set(try store.destinationTotals()) == [
            HistoryStore.DestinationTotals(job: "db", destination: "local", bytesStored: 800, lastSize: 800),
            HistoryStore.DestinationTotals(job: "fan", destination: "a", bytesStored: 50, lastSize: 50),
        ])
        let traces = try store.newestStoringTraces(job: "db", destination: "local", limit: 5)
        #expect(traces.map(\.runID) == [1] && traces.first?.objectKey == "p/db-1.zst" && traces.first?.status == .succeeded)

        // Reopening does not run the step again.
        let again = try HistoryStore(path: path)
        #expect(try again.destinationResults(runIDs: [1])[1]?.count == 1)
    }

    /// After the migration every write goes through lanes: a run opens one per destination, an
    /// upload and a drop-out land on their own lane, and the end closes the lanes still open with
    /// the run's result while a dropped-out lane keeps its own error (and, the upload not closed,
    /// its upload id for recovery).
    @Test func newRunsAlwaysHaveLanes() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        let id = try store.insertRunning(
            job: "db", trigger: .schedule, scheduledAt: nil, startedAt: Date(timeIntervalSince1970: 10),
            destinations: [(name: "local", bucket: "backups"), (name: "cold", bucket: "archive")], owner: ProcessOwner.current())
        #expect(try store.destinationUploads(runIDs: [id])[id]?.map(\.status) == [.running, .running])
        try store.updateProgress(runID: id, RunProgress(uploadID: "u-cold", destination: "cold", bucket: "archive", objectKey: "p/db.zst"))
        try store.updateProgress(runID: id, RunProgress(destination: "cold", failure: "upload failed: 503"))
        try store.finish(runID: id, RunOutcome(status: .failed, endedAt: Date(timeIntervalSince1970: 20), error: "pg_dump exited with 1"))
        let lanes = try #require(try store.destinationResults(runIDs: [id])[id])
        #expect(lanes.map(\.destination) == ["local", "cold"] && lanes.allSatisfy { $0.status == .failed })
        #expect(lanes.map(\.error) == ["pg_dump exited with 1", "upload failed: 503"])
        #expect(try store.openDestinationUploads().map(\.uploadID) == ["u-cold"])
    }
}
