import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Suspicious backups in the history", .ownThreads)
struct SuspiciousHistoryTests {
    static let base = Date(timeIntervalSince1970: 1_790_000_000)

    /// Records a finished run of `db` storing `key` with `read` dump bytes, suspicious or not.
    static func record(_ store: HistoryStore, minute: Int, read: Int64, suspicious: String? = nil, status: RunStatus = .succeeded) throws -> Int64 {
        let start = base.addingTimeInterval(Double(minute) * 60)
        let id = try store.insertRunning(job: "db", trigger: .schedule, scheduledAt: start, startedAt: start)
        let stamp = ObjectName.timestamp(start)
        var outcome = RunOutcome(
            status: status, endedAt: start.addingTimeInterval(5), bytesRead: read, bytesStored: read / 2,
            objectKey: "pg/db-\(stamp)-0000000\(minute % 10).dump.zst")
        outcome.suspicious = suspicious
        try store.finish(runID: id, outcome)
        return id
    }

    /// The peers are the newest good runs (failed ones and unacknowledged suspicious ones do not
    /// count); the suspicious run is listed, found by backup id, acknowledged once, and then
    /// counts as a peer and no longer as suspicious; the status says SUSPICIOUS until then.
    @Test func recordAcknowledgeAndPeers() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        for minute in 0..<3 { _ = try Self.record(store, minute: minute, read: 1000 + Int64(minute)) }
        _ = try Self.record(store, minute: 3, read: 5, status: .failed)
        let id = try Self.record(store, minute: 4, read: 13, suspicious: "the dump is 13 bytes")
        #expect(try store.recentDumpSizes(job: "db") == [1002, 1001, 1000])
        let run = try #require(try store.run(id: id))
        #expect(run.isSuspicious && run.suspicious == "the dump is 13 bytes")
        let backupID = try #require(run.backupID)
        #expect(backupID.hasPrefix("db-") && backupID.hasSuffix("-00000004"))
        #expect(try store.suspiciousBackupIDs(job: "db", among: [backupID, "db-x"]) == [backupID])

        let config = try pipelineConfig(["name": "db", "engine": "command", "connection": ["argv": ["true"]]])
        let rows = try store.statusRows(jobs: ["db"])
        let status = JobStatus.compute(config: config, rows: rows, now: run.endedAt!)[0]
        #expect(status.state == .suspicious && !status.isOK)
        #expect(status.problem(time: { "\($0.timeIntervalSince1970)" })?.contains("backupd ack db \(backupID)") == true)

        #expect(throws: HistoryError.self) { _ = try store.acknowledge(job: "db", backupID: "db-20300101T000000Z", at: Self.base) }
        let acknowledged = try store.acknowledge(job: "db", backupID: backupID, at: Self.base.addingTimeInterval(3600))
        #expect(acknowledged.id == id)
        #expect(try store.run(id: id)?.isSuspicious == false)
        #expect(try store.suspiciousBackupIDs(job: "db", among: [backupID]).isEmpty)
        #expect(try store.recentDumpSizes(job: "db") == [13, 1002, 1001, 1000])
        #expect(throws: HistoryError.self) { _ = try store.acknowledge(job: "db", backupID: backupID, at: Self.base) }
        let after = JobStatus.compute(config: config, rows: try store.statusRows(jobs: ["db"]), now: run.endedAt!)[0]
        #expect(after.state == .ok)
    }

    /// History retention never deletes an unacknowledged suspicious run (retention's only record
    /// of it); once acknowledged it ages out like any other.
    @Test func historyRetentionKeepsUnacknowledgedSuspicious() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(stateDirectory: tmp.path)
        _ = try Self.record(store, minute: 0, read: 1000)
        let suspicious = try Self.record(store, minute: 1, read: 5, suspicious: "small")
        _ = try Self.record(store, minute: 2, read: 1000)
        _ = try Self.record(store, minute: 3, read: 1000)
        #expect(try store.pruneHistory(before: Self.base.addingTimeInterval(3 * 60)) == 2)
        #expect(try store.runs().map(\.id).contains(suspicious))
        let backupID = try #require(try store.run(id: suspicious)?.backupID)
        _ = try store.acknowledge(job: "db", backupID: backupID, at: Self.base)
        #expect(try store.pruneHistory(before: Self.base.addingTimeInterval(3 * 60)) == 1)
        #expect(try store.run(id: suspicious) == nil)
    }

    /// `history`'s table and JSON show the mark and the acknowledgement.
    @Test func rendered() {
        var run = RunRecord(
            id: 7, job: "db", trigger: .schedule, startedAt: Self.base, endedAt: Self.base.addingTimeInterval(2), status: .succeeded,
            objectKey: "pg/db-20260101T000000Z-0123abcd.dump.zst", suspicious: "the dump is 13 bytes")
        #expect(HistoryRenderer.table([run]).contains("succeeded SUSPICIOUS"))
        #expect(HistoryRenderer.json([run]).contains("\"suspicious\": \"the dump is 13 bytes\", \"acknowledgedAt\": null"))
        run.acknowledgedAt = Self.base
        #expect(HistoryRenderer.table([run]).contains("succeeded (suspicious, acknowledged)"))
        #expect(run.backupID == "db-20260101T000000Z-0123abcd")
    }
}
