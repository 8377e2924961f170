import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A listing fault, and what `backupd prune` must say about it.
struct ListingFault: Sendable, CustomTestStringConvertible {
    var mode: TamperingS3Proxy.Mode
    var phrase: String
    var testDescription: String { mode.rawValue }
}

/// issue 16: listings answered by a tampering proxy in front of radosgw, through the real binary.
@Suite("Tampered S3 listings delete nothing", .serialized, .ownThreads)
struct TamperedListingTests {
    static let faults = [
        ListingFault(mode: .truncate, phrase: "as if cut short"),
        ListingFault(mode: .garbage, phrase: "not well-formed XML"),
        ListingFault(mode: .loop, phrase: "repeats a token already used"),
        ListingFault(mode: .duplicate, phrase: "is listed twice"),
        ListingFault(mode: .error200, phrase: "InternalError"),
    ]

    /// `prune` over a truncated, garbage, looping, duplicated or 200-`<Error>` listing exits 1
    /// naming the fault and deletes nothing; `restore` and `verify` of the newest fail rather than
    /// pick an older backup; afterwards the same prune over an honest listing deletes exactly the oldest
    /// backup (so the fault, not the policy, saved it), no DeleteObjects ever repeats a key, and
    /// the newest backup still restores and verifies.
    @Test(arguments: faults)
    func tamperedListingDeletesNothing(fault: ListingFault) async throws {
        let fixture = try await TamperedBucket.make()
        defer { fixture.cleanUp() }
        let all = fixture.backups.flatMap { $0 }.sorted()
        try fixture.proxy.set(fault.mode)

        let prune = try runBackupd(["prune", "app", "--config", fixture.tampered], environment: TamperedBucket.environment, timeout: 60)
        #expect(prune.status == 1, "\(prune.stdout)\n\(prune.stderr)")
        #expect(prune.stderr.contains("cannot list the backups of app"), "\(prune.stderr)")
        #expect(prune.stderr.contains(fault.phrase), "\(prune.stderr)")
        #expect(!prune.stdout.contains("delete"), "\(prune.stdout)")
        #expect(try fixture.keys() == all)

        let restore = try fixture.restoreNewest(config: fixture.tampered)
        #expect(restore.status != 0, "restore picked a backup from a tampered listing: \(restore.stderr)")
        #expect(restore.content == nil)
        let blind = try runBackupd(["verify", "app", "--config", fixture.tampered], environment: TamperedBucket.environment, timeout: 60)
        #expect(blind.status != 0, "verify judged a backup from a tampered listing: \(blind.stdout)")

        try fixture.proxy.set(.pass)
        let honest = try runBackupd(["prune", "app", "--config", fixture.tampered], environment: TamperedBucket.environment, timeout: 60)
        #expect(honest.status == 0, "\(honest.stderr)")
        #expect(try fixture.keys() == fixture.backups.dropFirst().flatMap { $0 }.sorted())
        #expect(fixture.deleteRequestsAreClean, "\(fixture.proxy.deleteBatches)")
        #expect(fixture.proxy.deleteBatches.flatMap { $0 }.sorted() == fixture.backups[0].sorted())
        let restored = try fixture.restoreNewest()
        #expect(restored.status == 0 && restored.content == "hello", "\(restored.stderr)")
        let verify = try runBackupd(["verify", "app", "--config", fixture.direct], environment: TamperedBucket.environment, timeout: 60)
        #expect(verify.status == 0, "\(verify.stdout)\n\(verify.stderr)")
    }

    /// A CompleteMultipartUpload answered 200 with an `<Error>` fails the run (exit 1, history
    /// `failed`), leaves no new backup, and never triggers retention: the three backups stay.
    @Test func completeAnsweredWithErrorIn200FailsTheRun() async throws {
        let fixture = try await TamperedBucket.make(keepLast: 1)
        defer { fixture.cleanUp() }
        let all = fixture.backups.flatMap { $0 }.sorted()
        try fixture.proxy.set(.completeError200)
        let run = try runBackupd(["run-now", "app", "--config", fixture.tampered], environment: TamperedBucket.environment, timeout: 90)
        #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
        #expect((run.stdout + run.stderr).contains("InvalidPart"), "\(run.stdout)\n\(run.stderr)")
        #expect(try fixture.keys() == all)
        let history = try HistoryStore(stateDirectory: fixture.directory + "/state", readOnly: true)
        let runs = try history.runs().sorted { $0.startedAt < $1.startedAt }
        #expect(runs.map(\.status) == [.succeeded, .succeeded, .succeeded, .failed])
        #expect(try history.deletions(job: "app").isEmpty)
        try fixture.proxy.set(.pass)
        #expect(try fixture.restoreNewest().content == "hello")
    }
}
