import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("History rows of slots another host holds", .ownThreads)
struct ClaimedHistoryTests {
    static let slot = Date(timeIntervalSince1970: 1_796_605_200)

    /// A slot another host ran is one `claimed` row naming it; a run that lost its claim ends as
    /// `claimed` with its reason; neither counts as an attempt for `status` (a success stays the last).
    @Test func claimedRowsAreNotAttempts() throws {
        let tmp = try TemporaryDirectory()
        defer { tmp.remove() }
        let store = try HistoryStore(path: tmp.path + "/history.sqlite3")
        let won = try store.insertRunning(job: "db", trigger: .schedule, scheduledAt: Self.slot, startedAt: Self.slot)
        try store.finish(runID: won, RunOutcome(status: .succeeded, endedAt: Self.slot + 5, objectKey: "p/db.bin", uploadClosed: true))
        _ = try store.insertClaimed(job: "db", trigger: .schedule, scheduledAt: Self.slot + 60, at: Self.slot + 61, host: "host-b")
        let lost = try store.insertRunning(job: "db", trigger: .schedule, scheduledAt: Self.slot + 120, startedAt: Self.slot + 121)
        try store.finish(
            runID: lost,
            RunOutcome(status: .claimed, endedAt: Self.slot + 130, error: "lost its claim to host-c: the run of job db ...", uploadClosed: true))
        let runs = try store.runs(HistoryQuery(job: "db")).sorted { $0.startedAt < $1.startedAt }
        #expect(runs.map(\.status) == [.succeeded, .claimed, .claimed])
        #expect(runs[1].error == "claimed by host-b")
        #expect(runs[1].scheduledAt == Self.slot + 60)
        #expect(runs[2].error?.hasPrefix("lost its claim to host-c") == true)
        let rows = try store.statusRows(jobs: ["db"])
        #expect(rows.lastAttempts["db"]?.id == won)
        #expect(rows.lastRuns["db"]?.id == lost)
    }
}
