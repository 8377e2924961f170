import BackupTestSupport
import Cron
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("Suspicious shrinkage: the median rule and retention's keep rules", .ownThreads)
struct SuspiciousBackupTests {
    typealias F = RetentionFixtures

    /// The median of up to five peers: odd and even counts, unsorted input, none.
    @Test(arguments: [
        ([100, 300, 200], 200.0), ([100, 400], 250.0), ([5, 1, 4, 2, 3], 3.0), ([7], 7.0),
    ] as [([Int64], Double)])
    func median(_ sizes: [Int64], _ expected: Double) {
        #expect(ShrinkageRule.median(sizes) == expected)
    }

    /// Below the fraction of the median of the newest five is suspicious, at or above it is not;
    /// older peers beyond five do not count; no peers or the check turned off is never suspicious.
    @Test func judge() {
        let recent: [Int64] = [1000, 1100, 900, 1000, 1050, 1, 1, 1]
        #expect(ShrinkageRule.judge(bytes: 99, recent: recent, fraction: 0.1)
            == "the dump is 99 bytes, below 10% of the median 1000 bytes of the last 5 good backups")
        #expect(ShrinkageRule.judge(bytes: 100, recent: recent, fraction: 0.1) == nil)
        #expect(ShrinkageRule.judge(bytes: 13, recent: [410_000], fraction: 0.1)?.contains("of the last 1 good backup") == true)
        #expect(ShrinkageRule.judge(bytes: 0, recent: [], fraction: 0.1) == nil)
        #expect(ShrinkageRule.judge(bytes: 0, recent: recent, fraction: nil) == nil)
        #expect(ShrinkageRule.judge(bytes: 400, recent: recent, fraction: 0.5)?.contains("below 50% of") == true)
    }

    /// keepLast 1 with a suspicious newest backup: the good one before it is kept by `last`
    /// (the suspicious one counts toward nothing) and the suspicious one as an extra.
    @Test func suspiciousNeverDisplacesAGoodBackup() {
        let backups = F.series(["2026-11-28T03:00:00Z", "2026-11-29T03:00:00Z", "2026-11-30T03:00:00Z"])
        let planner = RetentionPlanner(policy: RetentionPolicy(keepLast: 1), zone: F.berlin)
        let plain = planner.plan(backups, now: F.at("2026-12-01T00:00:00Z"))
        #expect(F.survivors(plain) == ["b2"])
        let decisions = planner.plan(backups, now: F.at("2026-12-01T00:00:00Z"), suspicious: ["b2"])
        #expect(decisions.map(\.id) == ["b2", "b1", "b0"])
        #expect(decisions.map(\.summary) == ["keep (suspicious)", "keep (last)", "delete"])
    }

    /// Daily rules skip suspicious backups: the day's newest good backup is kept for the day.
    @Test func dailySkipsSuspicious() {
        let backups = F.series(["2026-11-29T03:00:00Z", "2026-11-30T03:00:00Z", "2026-11-30T15:00:00Z"])
        let planner = RetentionPlanner(policy: RetentionPolicy(keepDaily: 2), zone: F.berlin)
        let decisions = planner.plan(backups, now: F.at("2026-12-01T00:00:00Z"), suspicious: ["b2"])
        #expect(F.survivors(decisions) == ["b0", "b1", "b2"])
        #expect(decisions.first { $0.id == "b1" }?.reasons == [.daily])
        #expect(decisions.first { $0.id == "b2" }?.reasons == [.suspicious])
    }

    /// The pruner asks its suspicion source and deletes nothing when the source cannot answer.
    @Test func prunerRefusesWithoutSuspicionAnswer() async throws {
        struct Broken: SuspicionSource {
            func suspiciousBackupIDs(job: String, among ids: [String]) throws -> Set<String> { throw CocoaError(.fileReadUnknown) }
        }
        let config = try pipelineConfig(["engine": "command", "connection": ["argv": ["true"]], "retention": ["keepLast": 1]])
        let store = MemoryObjectStore()
        let pruner = Pruner(stores: store, history: nil, clock: FixedClock(time: pipelineStart), suspicion: Broken())
        await #expect {
            _ = try await pruner.prune(job: config.jobs[0], config: config, dryRun: false, logger: .init(label: "t"))
        } throws: { error in
            "\(error)".contains("cannot read which backups of job1 are suspicious")
        }
    }
}
