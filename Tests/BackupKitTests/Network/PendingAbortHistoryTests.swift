import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// The history's pending aborts and the recent sizes equal parts are fixed from.
@Suite(.ownThreads) struct PendingAbortHistoryTests {
    /// A pending abort is kept (once per upload id), counted on each failed retry and forgotten when confirmed.
    @Test func pendingAbortLifecycle() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        let since = Date(timeIntervalSince1970: 1_767_225_600)
        let entry = PendingAbort(destination: "s3", bucket: "b", key: "db/a.bin", uploadID: "u-1", since: since, lastError: "refused")
        try history.recordPendingAbort(entry)
        try history.recordPendingAbort(entry)
        #expect(try history.pendingAborts() == [entry])
        try history.pendingAbortFailed(uploadID: "u-1", error: "still refused")
        let updated = try #require(try history.pendingAborts().first)
        #expect(updated.attempts == 2 && updated.lastError == "still refused")
        try history.abortConfirmed(uploadID: "u-1")
        #expect(try history.pendingAborts().isEmpty)
        // Pending aborts survive a reopen (a restart of the daemon).
        try history.recordPendingAbort(entry)
        #expect(try HistoryStore(stateDirectory: tmp.path).pendingAborts().map(\.uploadID) == ["u-1"])
    }

    /// The recent size is the largest of the job's last successful backups; none gives nil.
    @Test func recentBackupSize() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let history = try HistoryStore(stateDirectory: tmp.path)
        #expect(try history.recentBackupSize(job: "db") == nil)
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        for (index, size) in [Int64(900), 300, 500].enumerated() {
            let id = try history.insertRunning(job: "db", trigger: .schedule, scheduledAt: nil, startedAt: start + Double(index))
            try history.finish(runID: id, RunOutcome(status: .succeeded, endedAt: start + Double(index), bytesStored: size))
        }
        let failed = try history.insertRunning(job: "db", trigger: .schedule, scheduledAt: nil, startedAt: start + 10)
        try history.finish(runID: failed, RunOutcome(status: .failed, endedAt: start + 10, bytesStored: 99_999, error: "x"))
        #expect(try history.recentBackupSize(job: "db") == 900)
        #expect(try history.recentBackupSize(job: "db", recent: 2) == 500)
    }
}
