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

@Suite("Crash recovery aborts", .ownThreads)
struct RecoveryAbortTests {
    /// A run left `running` by a crashed owner, its upload `uploadID` recorded under `key`.
    func crashedRun(_ fixture: DaemonFixture, key: String, uploadID: String) throws -> Int64 {
        let history = try fixture.history()
        let run = try history.insertRunning(
            job: "nightly", trigger: .schedule, scheduledAt: Date(), startedAt: Date(), destination: "local", bucket: "backups", objectKey: nil)
        try history.updateProgress(runID: run, RunProgress(uploadID: uploadID, objectKey: key))
        return run
    }

    /// An abort the provider refuses becomes abort pending for the upload sweeper (retried every
    /// few minutes) instead of waiting for the next start; the run is interrupted.
    @Test func refusedAbortBecomesPending() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        let inner = MemoryObjectStore()
        inner.addOpenUpload(OpenUpload(key: "p/nightly/x.zst", uploadID: "refused", initiated: Date()))
        let run = try crashedRun(fixture, key: "p/nightly/x.zst", uploadID: "refused")
        let daemon = try await fixture.start(executor: BlockingExecutor(), stores: NamedStores(stores: ["local": HookedStore(inner: inner, refusesAborts: true)]))
        #expect(try await eventually { try !history.pendingAborts().isEmpty })
        try await daemon.stop()
        let pending = try history.pendingAborts()
        #expect(pending.map(\.uploadID) == ["refused"] && pending.first?.key == "p/nightly/x.zst" && pending.first?.destination == "local")
        #expect(try history.uploadsToAbort().isEmpty, "the sweeper owns the refused abort now")
        #expect(try history.run(id: run)?.status == .interrupted)
        await #expect(try inner.openUploads(prefix: "").map(\.uploadID) == ["refused"])
    }

    /// A run killed while writing its stream's second segment: the history names the stream's
    /// key, the open upload is under `key.002`, and that is where it is aborted.
    @Test func segmentUploadIsAbortedUnderItsOwnKey() async throws {
        let fixture = try DaemonFixture()
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        let store = MemoryObjectStore()
        store.addOpenUpload(OpenUpload(key: "p/nightly/x.zst.002", uploadID: "segment-2", initiated: Date()))
        let run = try crashedRun(fixture, key: "p/nightly/x.zst", uploadID: "segment-2")
        let daemon = try await fixture.start(executor: BlockingExecutor(), stores: store)
        #expect(try await eventually { try history.uploadsToAbort().isEmpty && history.run(id: run)?.status == .interrupted })
        try await daemon.stop()
        #expect(store.abortedKeys == ["p/nightly/x.zst.002"])
        await #expect(try store.openUploads(prefix: "").isEmpty && history.pendingAborts().isEmpty)
    }
}
