import BackupTestSupport
import Foundation
import TestThreads
import Testing
@testable import BackupKit
@testable import BackupCore
@testable import BackupEngines
@testable import BackupHistory
@testable import ConfigKit
@testable import S3Kit

/// Opens a store per destination name.
struct NamedStores: ObjectStoreProvider {
    let stores: [String: any BackupObjectStore]
    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { stores[destination.name]! }
}

@Suite("Fan-out crash recovery", .ownThreads)
struct FanOutRecoveryTests {
    static let key = sampleManifest().objects[0].key

    /// A daemon fixture whose job `app` (prefix "pg") uploads to "local" and "archive" (own buckets),
    /// and a run of it left `running` by a crashed owner with an open upload at each destination.
    func crashedFanOut(local: MemoryObjectStore, archive: MemoryObjectStore) throws -> (DaemonFixture, Int64) {
        let fixture = try DaemonFixture()
        let text = """
            {"stateDirectory": "\(fixture.stateDirectory)", "shutdownGracePeriod": "1s",
             "destinations": [
               {"name": "local", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "backups", "accessKeyId": "AK", "secretAccessKey": "SK"},
               {"name": "archive", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "archive", "accessKeyId": "AK", "secretAccessKey": "SK"}],
             "jobs": [{"name": "app", "engine": "command", "schedule": "0 0 1 1 *", "destinations": ["local", "archive"], "prefix": "pg",
                       "connection": {"argv": ["true"], "extension": ".dump"}}]}
            """
        try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let history = try fixture.history()
        let run = try history.insertRunning(
            job: "app", trigger: .schedule, scheduledAt: nil, startedAt: pipelineStart, destination: "local", bucket: "backups", objectKey: nil)
        try history.recordDestinationsStarted(runID: run, [(name: "local", bucket: "backups"), (name: "archive", bucket: "archive")])
        for (name, store) in [("local", local), ("archive", archive)] {
            store.addOpenUpload(OpenUpload(key: Self.key, uploadID: "up-\(name)", initiated: Date()))
            try history.updateProgress(runID: run, RunProgress(uploadID: "up-\(name)", destination: name, objectKey: Self.key))
            try history.recordDestinationUpload(runID: run, destination: name, objectKey: Self.key, uploadID: "up-\(name)")
        }
        return (fixture, run)
    }

    /// Starts the daemon on `stores` and stops it once recovery ended `run` and left no destination upload open.
    func recover(_ fixture: DaemonFixture, run: Int64, stores: [String: any BackupObjectStore]) async throws {
        let history = try fixture.history()
        let daemon = try await fixture.start(executor: BlockingExecutor(), stores: NamedStores(stores: stores))
        #expect(try await eventually { try history.run(id: run)?.status != .running && history.openDestinationUploads().isEmpty })
        try await daemon.stop()
    }

    /// Both destinations' uploads are aborted (not only the one the run row names last); the run
    /// is interrupted and so is each destination.
    @Test func everyDestinationsUploadIsAborted() async throws {
        let local = MemoryObjectStore()
        let archive = MemoryObjectStore()
        let (fixture, run) = try crashedFanOut(local: local, archive: archive)
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        #expect(try history.run(id: run)?.uploadID == "up-archive", "the run row names only the last upload")
        try await recover(fixture, run: run, stores: ["local": local, "archive": archive])
        #expect(local.abortedKeys == [Self.key] && archive.abortedKeys == [Self.key])
        #expect(try await local.openUploads(prefix: "").isEmpty)
        #expect(try await archive.openUploads(prefix: "").isEmpty)
        let record = try #require(try history.run(id: run))
        #expect(record.status == .interrupted && record.uploadID == nil)
        let rows = try #require(try history.destinationUploads(runIDs: [run])[run])
        #expect(rows.map(\.status) == [.interrupted, .interrupted] && rows.allSatisfy { $0.uploadID == nil })
        #expect(try history.destinationResults(runIDs: [run])[run]?.allSatisfy { $0.error?.contains("backupd stopped during this run") == true } == true)
        #expect(try history.uploadsToAbort().isEmpty && history.pendingAborts().isEmpty)
    }

    /// Killed after one destination's manifest was stored: that destination is recorded succeeded
    /// (its completed upload left alone), the other interrupted and aborted, the run partial.
    @Test func completeAtOneDestinationIsPartial() async throws {
        let local = MemoryObjectStore()
        let archive = MemoryObjectStore()
        let (fixture, run) = try crashedFanOut(local: local, archive: archive)
        defer { fixture.directory.remove() }
        let manifest = sampleManifest()
        _ = try await local.createObject(
            key: ObjectName.manifestKey(prefix: "pg", backupID: manifest.backupId), body: try manifest.encoded(), contentType: "application/json")
        try await local.abortUpload(key: Self.key, uploadID: "up-local")  // completed, as far as the provider is concerned
        let history = try fixture.history()
        try await recover(fixture, run: run, stores: ["local": local, "archive": archive])
        let record = try #require(try history.run(id: run))
        #expect(record.status == .partial, "\(record.status)")
        #expect(record.error?.contains("stored in 1 of 2 destinations") == true, "\(record.error ?? "nil")")
        #expect(record.sha256 == manifest.objects[0].sha256 && record.bytesStored == manifest.objects[0].size)
        let rows = try #require(try history.destinationResults(runIDs: [run])[run])
        #expect(rows.map(\.status) == [.succeeded, .interrupted])
        #expect(rows[0].sha256 == manifest.objects[0].sha256 && rows[0].error == nil)
        #expect(archive.abortedKeys == [Self.key])
        #expect(try await archive.openUploads(prefix: "").isEmpty)
    }

    /// An abort the provider refuses becomes abort pending for the upload sweeper (with the
    /// destination, bucket, key and upload id), so no parts stay billed; the other is aborted.
    @Test func refusedAbortBecomesPending() async throws {
        let local = MemoryObjectStore()
        let archive = MemoryObjectStore()
        let (fixture, run) = try crashedFanOut(local: local, archive: archive)
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        try await recover(fixture, run: run, stores: ["local": local, "archive": HookedStore(inner: archive, refusesAborts: true)])
        #expect(local.abortedKeys == [Self.key])
        let pending = try history.pendingAborts()
        #expect(pending.map(\.uploadID) == ["up-archive"])
        #expect(pending.first?.destination == "archive" && pending.first?.bucket == "archive" && pending.first?.key == Self.key)
        #expect(try history.openDestinationUploads().isEmpty, "the sweeper owns the refused abort now")
        #expect(try history.run(id: run)?.status == .interrupted)
    }

    /// A destination that had dropped out before the crash stays failed with its own error; the
    /// other is interrupted; the run, stored nowhere, is interrupted; both uploads are aborted.
    @Test func failedBeforeTheCrashStaysFailed() async throws {
        let local = MemoryObjectStore()
        let archive = MemoryObjectStore()
        let (fixture, run) = try crashedFanOut(local: local, archive: archive)
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        try history.recordDestinationFailed(runID: run, destination: "archive", error: "upload of \(Self.key) failed: HTTP 500")
        try await recover(fixture, run: run, stores: ["local": local, "archive": archive])
        let rows = try #require(try history.destinationResults(runIDs: [run])[run])
        #expect(rows.map(\.status) == [.interrupted, .failed])
        #expect(rows[1].error == "upload of \(Self.key) failed: HTTP 500")
        #expect(try history.run(id: run)?.status == .interrupted)
        #expect(local.abortedKeys == [Self.key] && archive.abortedKeys == [Self.key])
    }
}
