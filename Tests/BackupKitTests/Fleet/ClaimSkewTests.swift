import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore

@Suite("runOn any: slot claims outlive the hosts' clock skew", .ownThreads)
struct ClaimSkewTests {
    static let folder = ClaimKey.folder(prefix: "db", job: "app")

    /// A plan keeping the backups taken at `times`.
    static func report(keeping times: [Date]) -> PruneReport {
        let entries = times.enumerated().map { index, time in
            let id = ObjectName.backupID(job: "app", time: time, token: String(format: "%08x", index))
            return PrunePlan.Entry(
                backup: CatalogBackup(id: id, time: time, manifestKey: nil, dataKeys: [], legacy: false),
                decision: RetentionDecision(id: id, time: time, reasons: [.last]))
        }
        return PruneReport(plan: PrunePlan(job: "app", entries: entries, staleIncomplete: [], pendingIncomplete: []), dryRun: false, records: [])
    }

    /// A host 5 minutes ahead names its backups 5 minutes ahead, and a host 5 minutes behind
    /// reaches a slot 10 minutes after it ran: the claim horizon lies 30 minutes (twice SigV4's
    /// 15-minute tolerance) before the oldest kept backup, so that slot's claim is kept, and one
    /// older than the allowance still goes.
    @Test func claimsNearTheHorizonAreKept() throws {
        let oldestKept = Date(timeIntervalSince1970: 1_796_605_200)
        let horizon = try #require(Pruner.claimHorizon(Self.report(keeping: [oldestKept, oldestKept + 60])))
        #expect(horizon == oldestKept - ClaimKey.skewAllowance && ClaimKey.skewAllowance == 1800)
        let recent = oldestKept - 600, old = oldestKept - 1860
        let listing = [recent, old].map {
            StoredObject(key: ClaimKey.key(prefix: "db", job: "app", slot: $0), size: 200, lastModified: $0 - 300)
        }
        #expect(Pruner.staleSlotClaims(listing, folder: Self.folder, horizon: horizon) == [ClaimKey.key(prefix: "db", job: "app", slot: old)])
    }
}
