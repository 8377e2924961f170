import BackupTestSupport
import Foundation
import Logging
import Synchronization
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// A `runOn: "any"` prune on radosgw whose prune claim another host takes over midway.
@Suite("runOn any: a lost prune claim stops the prune on radosgw", .ownThreads)
struct LostPruneClaimTests {
    /// Host-b prunes (keepLast 1 of 4 backups) under its prune claim (3 s lease, renewal held
    /// back); after its first delete request (the manifests), host-c takes the expired claim over on
    /// the server's clock, and host-b's renewal gets 412. The prune stops before its next delete:
    /// the data objects and the old slot claim are still in the bucket (read back with the AWS
    /// CLI), the history records them as refused naming host-c, the log names host-c, and the
    /// claim stays host-c's (fencing 2, not marked done by host-b).
    @Test func lostClaimStopsThePrune() async throws {
        let (s3, client, destination) = try await RetentionIntegrationTests.setUp()
        let bucket = client.settings.bucket
        let directory = FileManager.default.temporaryDirectory.path + "/backupd-lostprune-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let history = try HistoryStore(stateDirectory: directory)
        var config = try IntegrationConfig.make(destination: destination, name: "app", job: [
            "engine": "command", "prefix": "db", "timeout": "1h", "retention": ["keepLast": 1],
            "connection": ["argv": ["true"], "extension": ".bin"],
        ])
        config.hostId = "host-b"
        config.claimLease = .seconds(3)
        config.jobs[0].runOn = .any
        let job = config.jobs[0]
        // Backups ahead of the server's clock, so the slot claim written now is older than the one kept.
        let base = Date(timeIntervalSince1970: Date().addingTimeInterval(3600).timeIntervalSince1970.rounded(.down))
        let times = (0..<4).map { base.addingTimeInterval(Double($0) * 3600) }
        let backupKeys = times.enumerated().map { PastBackups.keys(prefix: "db", job: "app", time: $1, token: String(format: "%08x", $0 + 1)) }
        try await PastBackups.write(backupKeys.flatMap { $0 }, with: client)
        let hostA = ClaimStore(store: client, prefix: "db", hostId: "host-a", pid: 101, lease: 60, logger: Logger(label: "it.host-a"))
        let oldSlot = base.addingTimeInterval(-7200)
        guard case .won(let slotClaim) = try await hostA.claim(job: "app", slot: oldSlot) else {
            Issue.record("host-a should win the old slot")
            return
        }
        _ = try await hostA.finish(slotClaim)

        let (logger, lines) = CapturingLogHandler.logger()
        let release = Mutex(false)
        let taken = Mutex(false)
        let claimer = JobTaskClaimer(
            openStore: { destination, logger in S3Client(destination: destination, logger: logger) },
            sleep: { _ in while !release.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(20)) } }, pid: 202)
        let stores = AfterFirstDeleteProvider(base: S3StoreProvider(logger: Logger(label: "it"))) {
            // Past host-b's 3 s lease on the server's clock, host-c takes the prune claim over.
            try? await Task.sleep(for: .seconds(4))
            let hostC = ClaimStore(store: client, prefix: "db", hostId: "host-c", pid: 303, lease: 60, logger: Logger(label: "it.host-c"))
            if case .won? = try? await hostC.claimTask(job: "app", task: "prune") { taken.withLock { $0 = true } }
            release.withLock { $0 = true }
            _ = await poll(timeout: 20) { lines.all.contains { $0.contains("another host took the job's prune claim over") } }
        }
        let observer = RetentionObserver(pruner: Pruner(stores: stores, history: history, clock: ManualWallClock(times[3])), claims: claimer)
        let run = ObservedRun(runID: 1, job: job, destination: "test", bucket: bucket, trigger: .schedule, scheduledFor: nil, startedAt: times[3])
        var outcome = RunOutcome(status: .succeeded, endedAt: times[3], objectKey: backupKeys[3][0], uploadClosed: true)
        outcome.destinations = [DestinationOutcome(destination: "test", status: .succeeded, objectKey: outcome.objectKey)]
        await observer.runFinished(run, outcome: outcome, config: config, logger: logger)

        #expect(taken.withLock { $0 })
        #expect(lines.all.contains { $0.contains("another host took the job's prune claim over") && $0.contains("claim.holder=host-c") }, "\(lines.all)")
        let left = try PastBackups.awsKeys(s3, bucket: bucket)
        let manifests = backupKeys[0..<3].map { $0.last! }, data = backupKeys[0..<3].map { $0.first! }
        #expect(manifests.allSatisfy { !left.contains($0) }, "\(left)")
        #expect(data.allSatisfy { left.contains($0) }, "\(left)")
        #expect(left.contains(ClaimKey.key(prefix: "db", job: "app", slot: oldSlot)))
        let recorded = try history.deletions(job: "app")
        #expect(recorded.filter { $0.outcome == .deleted }.map(\.objectKey).sorted() == manifests.sorted())
        let refused = recorded.filter { $0.outcome == .refused }
        #expect(refused.map(\.objectKey).sorted() == data.sorted())
        #expect(refused.allSatisfy { $0.error?.contains("lost its claim to host host-c") == true }, "\(refused.map(\.error))")
        #expect(!recorded.contains { $0.cause == .claim })
        let key = ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")
        let record = try ClaimRecord.decode(try await client.readVersioned(key: key).body, key: key)
        #expect(record.hostId == "host-c" && record.state == .running && record.fencing == 2 && record.takenOverFrom == "host-b")
    }
}

/// Runs `action` once, after the first delete request of any store it opens has been answered.
final class AfterFirstDeleteProvider: ObjectStoreProvider {
    let base: any ObjectStoreProvider
    let action: @Sendable () async -> Void
    private let done = Mutex(false)

    init(base: any ObjectStoreProvider, action: @escaping @Sendable () async -> Void) {
        self.base = base
        self.action = action
    }

    func store(for destination: DestinationConfig) throws -> any BackupObjectStore {
        Hooked(inner: try base.store(for: destination) as! any PrunableStore, provider: self)
    }

    func store(for destination: DestinationConfig, logger: Logger) throws -> any BackupObjectStore {
        Hooked(inner: try base.store(for: destination, logger: logger) as! any PrunableStore, provider: self)
    }

    fileprivate func deleted() async {
        guard done.withLock({ done in defer { done = true }; return !done }) else { return }
        await action()
    }

    struct Hooked: PrunableStore {
        let inner: any PrunableStore
        let provider: AfterFirstDeleteProvider

        func upload(key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void) async throws -> UploadReceipt {
            try await inner.upload(key: key, from: source, metadata: metadata, uploadStarted: uploadStarted)
        }
        func head(key: String) async throws -> StoredObject? { try await inner.head(key: key) }
        func list(prefix: String) async throws -> [StoredObject] { try await inner.list(prefix: prefix) }
        func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws { try await inner.download(key: key, to: sink) }
        func delete(keys: [String]) async throws { try await inner.delete(keys: keys) }
        func abortUpload(key: String, uploadID: String) async throws { try await inner.abortUpload(key: key, uploadID: uploadID) }
        func openUploads(prefix: String) async throws -> [OpenUpload] { try await inner.openUploads(prefix: prefix) }
        func deleteBatch(keys: [String]) async throws -> [DeletionRefusal] {
            let refused = try await inner.deleteBatch(keys: keys)
            await provider.deleted()
            return refused
        }
        func deleteOne(key: String) async throws {
            try await inner.deleteOne(key: key)
            await provider.deleted()
        }
    }
}
