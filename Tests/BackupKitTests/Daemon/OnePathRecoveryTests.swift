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

@Suite("One recovery path", .ownThreads)
struct OnePathRecoveryTests {
    static let key = sampleManifest().objects[0].key

    /// A daemon fixture whose job `app` uploads to `destinations` (each its own bucket), and a run
    /// of it recorded the way the recorder does (one lane per destination, each lane's upload as
    /// it starts) and left `running` by an owner that is gone.
    func crashedRun(destinations: [String], stores: [String: MemoryObjectStore]) throws -> (DaemonFixture, Int64) {
        let fixture = try DaemonFixture()
        let list = destinations.map {
            #"{"name": "\#($0)", "endpoint": "http://127.0.0.1:9", "region": "us-east-1", "bucket": "bucket-\#($0)", "accessKeyId": "AK", "secretAccessKey": "SK"}"#
        }.joined(separator: ", ")
        let names = destinations.map { "\"\($0)\"" }.joined(separator: ", ")
        let text = """
            {"stateDirectory": "\(fixture.stateDirectory)", "shutdownGracePeriod": "1s", "destinations": [\(list)],
             "jobs": [{"name": "app", "engine": "command", "schedule": "0 0 1 1 *", "destinations": [\(names)], "prefix": "pg",
                       "connection": {"argv": ["true"], "extension": ".dump"}}]}
            """
        try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let history = try fixture.history()
        let gone = ProcessOwner(pid: 999_999_999, startTime: 1, bootID: nil)
        let run = try history.insertRunning(
            job: "app", trigger: .schedule, scheduledAt: nil, startedAt: pipelineStart,
            destinations: destinations.map { (name: $0, bucket: "bucket-\($0)") }, owner: gone)
        for name in destinations {
            stores[name]!.addOpenUpload(OpenUpload(key: Self.key, uploadID: "up-\(name)", initiated: Date()))
            try history.updateProgress(runID: run, RunProgress(uploadID: "up-\(name)", destination: name, bucket: "bucket-\(name)", objectKey: Self.key))
        }
        return (fixture, run)
    }

    /// Starts the daemon and stops it once recovery ended `run` and left no lane upload open.
    func recover(_ fixture: DaemonFixture, run: Int64, stores: [String: MemoryObjectStore]) async throws {
        let history = try fixture.history()
        let daemon = try await fixture.start(executor: BlockingExecutor(), stores: NamedStores(stores: stores))
        #expect(try await eventually { try history.run(id: run)?.status != .running && history.openDestinationUploads().isEmpty })
        try await daemon.stop()
    }

    /// A crashed run stored nowhere, with one destination or two, takes the same path: each lane
    /// is interrupted, each lane's upload is aborted through the pending-abort ledger (which ends
    /// empty), and the run is interrupted with its upload ids cleared.
    @Test(arguments: [["local"], ["local", "archive"]])
    func incompleteRunIsInterruptedAndEveryUploadAborted(destinations: [String]) async throws {
        let stores = Dictionary(uniqueKeysWithValues: destinations.map { ($0, MemoryObjectStore()) })
        let (fixture, run) = try crashedRun(destinations: destinations, stores: stores)
        defer { fixture.directory.remove() }
        let history = try fixture.history()
        try await recover(fixture, run: run, stores: stores)
        let record = try #require(try history.run(id: run))
        #expect(record.status == .interrupted && record.uploadID == nil)
        let lanes = try #require(try history.destinationResults(runIDs: [run])[run])
        #expect(lanes.map(\.destination) == destinations)
        #expect(lanes.allSatisfy { $0.status == .interrupted && $0.error?.contains("backupd stopped during this run") == true })
        for name in destinations {
            let open = try await stores[name]!.openUploads(prefix: "")
            #expect(stores[name]!.abortedKeys == [Self.key] && open.isEmpty, "\(name)")
        }
        #expect(try history.pendingAborts().isEmpty && history.uploadsToAbort().isEmpty)
    }

    /// A crashed run whose backup is complete everywhere (manifest stored, upload completed), with
    /// one destination or two, is recorded succeeded with each lane stored and its digest and
    /// size from the manifest; nothing is aborted.
    @Test(arguments: [["local"], ["local", "archive"]])
    func completeRunIsSucceeded(destinations: [String]) async throws {
        let stores = Dictionary(uniqueKeysWithValues: destinations.map { ($0, MemoryObjectStore()) })
        let (fixture, run) = try crashedRun(destinations: destinations, stores: stores)
        defer { fixture.directory.remove() }
        let manifest = sampleManifest()
        for store in stores.values {
            _ = try await store.createObject(
                key: ObjectName.manifestKey(prefix: "pg", backupID: manifest.backupId), body: try manifest.encoded(), contentType: "application/json")
            try await store.abortUpload(key: Self.key, uploadID: store.openUploads(prefix: "").first!.uploadID)  // completed, for the provider
        }
        let history = try fixture.history()
        try await recover(fixture, run: run, stores: stores)
        let record = try #require(try history.run(id: run))
        #expect(record.status == .succeeded && record.error == nil && record.uploadID == nil, "\(record)")
        #expect(record.sha256 == manifest.objects[0].sha256 && record.bytesStored == manifest.objects[0].size)
        let lanes = try #require(try history.destinationResults(runIDs: [run])[run])
        #expect(lanes.map(\.destination) == destinations)
        #expect(lanes.allSatisfy {
            $0.state == .stored(LaneReceipt(objectKey: Self.key, bytesStored: manifest.objects[0].size, sha256: manifest.objects[0].sha256))
        })
        // The one abort each store saw is the test's own completion stand-in: recovery aborted nothing.
        let pending = try history.pendingAborts()
        #expect(stores.values.allSatisfy { $0.abortedKeys.count == 1 } && pending.isEmpty)
    }
}
