import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("History run owners", .ownThreads)
struct HistoryOwnerTests {
    /// A v1 history (rows without owners) migrates: its running row keeps its data and reads back
    /// with no owner; a new row records pid, start time and boot id.
    @Test func migratesAndRecordsOwners() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let path = tmp.path + "/history.sqlite3"
        let v1 = try #require(HistoryStore.migrations.first { $0.version == 1 })
        let db = try SQLiteDatabase(path: path, readOnly: false, create: true)
        try db.execute(v1.sql)
        try db.execute("PRAGMA user_version = 1")
        try db.execute("INSERT INTO runs (job, triggered_by, started_ms, status) VALUES ('old', 'schedule', 1000, 'running')")
        let store = try HistoryStore(path: path)
        let me = ProcessOwner.current()
        let id = try store.insertRunning(
            job: "new", trigger: .runNow, scheduledAt: nil, startedAt: Date(), destination: "d", bucket: "b", owner: me)
        let owned = try store.runningRunsWithOwners()
        #expect(owned.map(\.run.job) == ["old", "new"])
        #expect(owned[0].owner == nil)
        #expect(owned[1].run.id == id && owned[1].owner == me)
        #expect(me.startTime != nil && me.bootID != nil && me.isAlive)
    }

    /// A pid reused by another process does not pass for the owner: the start time differs.
    @Test func reusedPidIsNotTheOwner() {
        let me = ProcessOwner.current()
        let impostor = ProcessOwner(pid: me.pid, startTime: (me.startTime ?? 0) + 1, bootID: me.bootID)
        let otherBoot = ProcessOwner(pid: me.pid, startTime: me.startTime, bootID: "00000000-0000-0000-0000-000000000000")
        #expect(!impostor.isAlive && !otherBoot.isAlive)
    }

    /// `interrupt` and `reconcileSucceeded` change only running rows.
    @Test func recoveryUpdatesOnlyRunningRows() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(path: tmp.path + "/history.sqlite3")
        let owner = ProcessOwner.current()
        let first = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: Date(), destination: "d", bucket: "b", owner: owner)
        #expect(try store.interrupt(runID: first, at: Date(), reason: "gone"))
        #expect(try !store.interrupt(runID: first, at: Date(), reason: "again"))
        let object = StoredObject(key: "k", size: 42, lastModified: nil, metadata: ["sha256": "ab"])
        #expect(try !store.reconcileSucceeded(runID: first, at: Date(), object: object))
        let second = try store.insertRunning(job: "a", trigger: .schedule, scheduledAt: nil, startedAt: Date(), destination: "d", bucket: "b", owner: owner)
        try store.updateProgress(runID: second, RunProgress(uploadID: "u", objectKey: "k"))
        #expect(try store.reconcileSucceeded(runID: second, at: Date(), object: object))
        let record = try #require(try store.run(id: second))
        #expect(record.status == .succeeded && record.bytesStored == 42 && record.sha256 == "ab" && record.uploadID == nil)
        #expect(try store.run(id: first)?.error == "gone")
    }
}
