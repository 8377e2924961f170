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

/// Retention's stores bound to a run's cancellation stop listing and deleting with it.
@Suite(.ownThreads) struct CancellingStoreProviderTests {
    struct OneStore: ObjectStoreProvider {
        let store: S3ObjectStore
        func store(for destination: DestinationConfig) throws -> any BackupObjectStore { store }
    }

    static func destination() throws -> DestinationConfig {
        let json = """
            {"stateDirectory": "/tmp/unused", "destinations": [{"name": "d", "endpoint": "http://127.0.0.1:9000", "region": "r",
              "bucket": "backups", "accessKeyId": "AKID", "secretAccessKey": "s"}],
             "jobs": [{"name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "d",
                       "connection": {"argv": ["true"], "extension": ".txt"}}]}
            """
        let sources = ConfigSources(environment: [:], readFile: { _ in [] }, permissions: { _ in 0o600 }, isReadable: { _ in true })
        return try #require(try BackupConfig.parse(Array(json.utf8), file: "/test/config.json", sources: sources).config.destination(named: "d"))
    }

    /// A store opened through `CancellingStoreProvider` lists and deletes until the run is
    /// cancelled, then sends nothing more: a listing stops at its next page, a delete batch and a
    /// single delete are refused before they are sent.
    @Test func boundStoreStopsWithItsCancellation() async throws {
        let cancellation = RunCancellation()
        let transport = RecordingS3Transport { _, body, call in
            if call == 2 { cancellation.cancel(reason: "backupd was stopped") }
            if body.hasPrefix("<Delete>") {
                return HTTPResponse(status: 200, body: Array("<DeleteResult><Deleted><Key>p/a</Key></Deleted></DeleteResult>".utf8))
            }
            return HTTPResponse(status: 200, body: Array(listPage(["p/k\(call)"], truncated: true, token: "t\(call)").utf8))
        }
        let base = S3ObjectStore(client: fakeClient(transport), plan: PartSizePlan(firstPartSize: 5 << 20, maxParts: 10_000), partsInFlight: 1, logger: Logger(label: "t"))
        let provider = CancellingStoreProvider(base: OneStore(store: base), cancellation: cancellation)
        let destination = try Self.destination()
        let store = try #require(try provider.store(for: destination) as? CancellingStore<S3ObjectStore>)
        #expect(store.cancellation === cancellation)
        await #expect(throws: S3Error.self) { try await store.list(prefix: "p/") }
        #expect(transport.urls.count == 2)
        await #expect(throws: S3Error.self) { try await store.deleteBatch(keys: ["p/a"]) }
        await #expect(throws: S3Error.self) { try await store.deleteOne(key: "p/a") }
        #expect(transport.urls.count == 2, "nothing sent after the cancellation")
    }
}
