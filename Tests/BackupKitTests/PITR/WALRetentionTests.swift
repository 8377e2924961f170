import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

private let prefix = "p/pg/wal/"

private func objects(_ names: [String], extra: [String] = []) -> [StoredObject] {
    names.compactMap { WALFileName($0) }.map { StoredObject(key: $0.key(prefix: "p", job: "pg", encrypted: false), size: 1) }
        + extra.map { StoredObject(key: $0, size: 1) }
}

private func base(_ id: String, start: String, timeline: UInt32 = 1, stop: String? = nil, at seconds: TimeInterval = 0) -> WALRetentionPlan.KeptBase {
    let number = WALFileName(start)!.segmentNumber!
    let stopNumber = stop.flatMap { WALFileName($0)?.segmentNumber } ?? number
    return .init(id: id, endedAt: Date(timeIntervalSince1970: 1_800_000_000 + seconds), info: BaseBackupInfo(
        startLSN: LSN(number * LSN.segmentSize + 0x28), startWALFile: start, timeline: timeline, startTime: "",
        stopLSN: LSN(stopNumber * LSN.segmentSize + 0x100), stopTimeline: timeline))
}

@Suite(.ownThreads)
struct WALRetentionTests {
    /// Only whole keys of the grammar are WAL files (the folder's timeline must be the name's);
    /// everything else under the archive's folder is a stranger.
    @Test func listingTellsWALFromStrangers() {
        let listing = WALListing(objects: objects(["000000010000000000000003", "00000002.history"], extra: [
            prefix + "00000002/000000010000000000000004.zst", prefix + "00000001/000000010000000000000005", prefix + "notes.txt",
            prefix + "00000001/000000010000000000000006.zst.age",
        ]), archivePrefix: prefix)
        #expect(listing.files.map(\.name.name) == ["000000010000000000000003", "000000010000000000000006", "00000002.history"])
        #expect(listing.strangers.count == 3)
        #expect(WALFileName("0000000100000001000000FF")!.segmentNumber == 0x1FF)
        #expect(WALFileName.segmentName(timeline: 1, number: 0x200) == "000000010000000200000000")
    }

    /// WAL before the oldest remaining base backup's start segment goes (segments, .partial and
    /// .backup files); that segment, later ones, history files and strangers stay.
    @Test func deletesOnlyBeforeTheOldestBaseBackupStart() {
        let names = ["000000010000000000000002", "000000010000000000000003", "000000010000000000000003.00000028.backup",
                     "000000010000000000000004", "000000010000000000000005", "00000002.history", "000000010000000000000003.partial"]
        let listing = WALListing(objects: objects(names, extra: [prefix + "stranger"]), archivePrefix: prefix)
        let plan = WALRetentionPlan.plan(listing: listing, bases: [base("b", start: "000000010000000000000005", at: 60), base("a", start: "000000010000000000000004")])
        #expect(plan.withheld == nil)
        #expect(plan.cutoff == "000000010000000000000004")
        #expect(plan.deletions.map(\.name.name).sorted() == [
            "000000010000000000000002", "000000010000000000000003", "000000010000000000000003.00000028.backup", "000000010000000000000003.partial",
        ])
        #expect(plan.kept == 3)
        #expect(plan.strangers == [prefix + "stranger"])
        #expect(plan.oldestBase?.id == "a")
    }

    /// Without a remaining base backup nothing of the WAL is deleted.
    @Test func noBaseBackupDeletesNothing() {
        let listing = WALListing(objects: objects(["000000010000000000000002"]), archivePrefix: prefix)
        let plan = WALRetentionPlan.plan(listing: listing, bases: [])
        #expect(plan.deletions.isEmpty)
        #expect(plan.withheld != nil)
    }

    /// A complete chain says so; a missing segment is named and recovery stops before it.
    @Test func chainNamesAGap() {
        let full = ["000000010000000000000002", "000000010000000000000003", "000000010000000000000004", "000000010000000000000005"]
        let start = base("a", start: "000000010000000000000002", stop: "000000010000000000000002")
        let complete = WALChain.check(listing: WALListing(objects: objects(full), archivePrefix: prefix), bases: [start])
        #expect(complete.first?.isComplete == true)
        var gapped = full
        gapped.remove(at: 2)
        let result = try! #require(WALChain.check(listing: WALListing(objects: objects(gapped), archivePrefix: prefix), bases: [start]).first)
        #expect(result.missing == ["000000010000000000000004"])
        #expect(result.reachesSegment == "000000010000000000000003")
        #expect(result.render { _ in "T" }.contains("missing 000000010000000000000004; recovery from it now reaches only 0/4000000"))
    }

    /// A base backup whose own end segment is missing cannot be restored, and a later timeline
    /// without its history file is named.
    @Test func chainNamesAMissingEndAndHistory() {
        let names = ["000000010000000000000002", "000000010000000000000004", "000000020000000000000004", "000000020000000000000006"]
        let result = WALChain.check(
            listing: WALListing(objects: objects(names), archivePrefix: prefix),
            bases: [base("a", start: "000000010000000000000002", stop: "000000010000000000000003")]).first
        #expect(result?.missing == ["000000010000000000000003", "00000002.history", "000000020000000000000005"])
        #expect(result?.reachesConsistency == false)
        #expect(result?.render { _ in "" }.contains("cannot be restored") == true)
    }
}
