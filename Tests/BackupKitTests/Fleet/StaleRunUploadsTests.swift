import BackupTestSupport
import Foundation
import Logging
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

@Suite("runOn any: the dead holder's open uploads are aborted after a takeover", .ownThreads)
struct StaleRunUploadsTests {
    /// host's config with a second destination `second` for the job.
    static func config(host: String) throws -> BackupConfig {
        var config = try FencedRunTests.config(host: host)
        var second = config.destinations[0]
        second.name = "second"
        config.destinations.append(second)
        config.jobs[0].destinations.append("second")
        return config
    }

    /// A run under a claim writes its backup id into the claim before it uploads anything, and
    /// every object of the run starts with that id.
    @Test func runRecordsItsBackupIdInTheClaim() async throws {
        let claims = FakeConditionalStore()
        let a = try FencedRunTests.config(host: "host-a")
        let fence = try #require(FencedRunTests.won(await FencedRunTests.claimer(claims).claim(
            job: a.jobs[0], config: a, slot: FencedRunTests.slot, logger: Logger(label: "a"))))
        let store = MemoryObjectStore()
        let outcome = try await ClaimFence.$current.withValue(fence) { try await runJob(a, store: store) }
        #expect(outcome.status == .succeeded, "\(outcome.error ?? "")")
        let backupId = ObjectName.backupID(job: "job1", time: pipelineStart, token: testToken)
        #expect(fence.record.backupId == backupId)
        let key = ClaimKey.key(prefix: a.jobs[0].prefix, job: "job1", slot: FencedRunTests.slot)
        #expect(try ClaimRecord.decode(try claims.readVersioned(key: key).body, key: key).backupId == backupId)
        let prefix = ObjectName.keyPrefix(prefix: a.jobs[0].prefix, backupID: backupId)
        #expect(!store.keys.isEmpty && store.keys.allSatisfy { $0.hasPrefix(prefix) }, "\(store.keys)")
    }

    /// A run whose claim was taken over before its first upload uploads nothing and records the loss.
    @Test func lostClaimBeforeUploadingUploadsNothing() async throws {
        let claims = FakeConditionalStore()
        let a = try FencedRunTests.config(host: "host-a"), b = try FencedRunTests.config(host: "host-b")
        let fence = try #require(FencedRunTests.won(await FencedRunTests.claimer(claims).claim(
            job: a.jobs[0], config: a, slot: FencedRunTests.slot, logger: Logger(label: "a"))))
        claims.serverNow += 7
        _ = try #require(FencedRunTests.won(await FencedRunTests.claimer(claims).claim(
            job: b.jobs[0], config: b, slot: FencedRunTests.slot, logger: Logger(label: "b"))))
        let store = MemoryObjectStore()
        let outcome = try await ClaimFence.$current.withValue(fence) { try await runJob(a, store: store) }
        #expect(outcome.status == .failed)
        #expect(outcome.error?.contains("lost its claim to host-b") == true, "\(outcome.error ?? "")")
        #expect(store.keys.isEmpty && store.abortedKeys.isEmpty, "uploaded: \(store.keys) \(store.abortedKeys)")
    }

    /// The host that takes an expired slot over aborts the uploads the stale holder's run left
    /// open at each of the job's destinations (not only the first), and no other upload; it logs each.
    @Test func takeoverAbortsTheStaleRunsUploadsEverywhere() async throws {
        let claims = FakeConditionalStore()
        let a = try Self.config(host: "host-a"), b = try Self.config(host: "host-b")
        let old = try #require(FencedRunTests.won(await FencedRunTests.claimer(claims).claim(
            job: a.jobs[0], config: a, slot: FencedRunTests.slot, logger: Logger(label: "a"))))
        let backupId = "job1-20261207T010005Z-0000beef"
        try await old.begin(backupId: backupId)
        let prefix = a.jobs[0].prefix
        let first = a.jobs[0].destination
        let stores = [first: MemoryObjectStore(), "second": MemoryObjectStore()]
        let dead = ObjectName.keyPrefix(prefix: prefix, backupID: backupId) + ".tar.zst"
        let other = ObjectName.keyPrefix(prefix: prefix, backupID: "job1-20261207T010010Z-0000cafe") + ".tar.zst"
        stores[first]!.addOpenUpload(OpenUpload(key: dead, uploadID: "dead-1", initiated: Date()))
        stores[first]!.addOpenUpload(OpenUpload(key: other, uploadID: "live-1", initiated: Date()))
        stores["second"]!.addOpenUpload(OpenUpload(key: dead, uploadID: "dead-2", initiated: Date()))
        claims.serverNow += 7
        var taker = FencedRunTests.claimer(claims)
        taker.staleUploads = StaleRunUploads { destination, _ in stores[destination.name]! }
        let logs = CapturedLogs(label: "test.stale-uploads")
        let fence = try #require(FencedRunTests.won(await taker.claim(job: b.jobs[0], config: b, slot: FencedRunTests.slot, logger: logs.logger)))
        #expect(fence.record.fencing == 2 && fence.record.hostId == "host-b")
        #expect(stores[first]!.abortedKeys == [dead] && stores["second"]!.abortedKeys == [dead])
        #expect(try await stores[first]!.openUploads(prefix: "").map(\.uploadID) == ["live-1"])
        #expect(try await stores["second"]!.openUploads(prefix: "").isEmpty)
        #expect(logs.messages().filter { $0 == "aborted the previous holder's open upload" }.count == 2, "\(logs.messages())")
    }

    /// A stale claim that names no run (its holder died before its first upload) aborts nothing.
    @Test func claimWithoutARunAbortsNothing() async throws {
        let store = MemoryObjectStore()
        store.addOpenUpload(OpenUpload(key: "p/job1-20261207T010010Z-0000cafe.tar.zst", uploadID: "live-1", initiated: Date()))
        let config = try Self.config(host: "host-b")
        let previous = ClaimRecord(
            job: "job1", slot: "20261207T010000Z", hostId: "host-a", pid: 1, startedAt: Date(), leaseExpiresAt: Date(), fencing: 1, state: .running)
        let aborted = await StaleRunUploads { _, _ in store }.abort(job: config.jobs[0], config: config, previous: previous, logger: Logger(label: "t"))
        #expect(aborted.isEmpty && store.abortedKeys.isEmpty)
    }
}
