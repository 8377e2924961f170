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

/// Opens a separate prune bucket per destination name.
struct PruneStoresByName: ObjectStoreProvider {
    let stores: [String: FakePruneStore]
    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { stores[destination.name]! }
}

@Suite("Retention per destination", .ownThreads)
struct PerDestinationPruneTests {
    typealias F = RetentionFixtures

    /// Job `app` keeps 1 backup by its own policy at "local" and 3 at "archive" (its override there).
    static func config() throws -> BackupConfig {
        try loadConfig(configText { root in
            addArchiveDestination(&root)
            editJob(&root) { job in
                job["name"] = "app"
                job["prefix"] = "db"
                job["timeout"] = "1h"
                job["retention"] = ["keepLast": 1]
                job.removeValue(forKey: "destination")
                job["destinations"] = ["local", ["name": "archive", "retention": ["keepLast": 3]]]
            }
        })
    }

    func backupIDs(_ store: FakePruneStore) -> Set<String> {
        Set(store.keys.compactMap { NameCatalog.backupID(of: $0, prefix: "db", job: "app") })
    }

    /// Each destination is pruned with the retention that applies there.
    @Test func eachDestinationKeepsItsOwnPolicy() async throws {
        let config = try Self.config()
        let local = PrunerTests.bucket()
        let archive = PrunerTests.bucket()
        let pruner = Pruner(stores: PruneStoresByName(stores: ["local": local, "archive": archive]), history: nil, clock: ManualWallClock(PrunerTests.now))
        let results = await pruner.pruneDestinations(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "test"))
        #expect(results.map(\.destination) == ["local", "archive"])
        #expect(results.map { $0.job.retention?.keepLast } == [1, 3])
        #expect(backupIDs(local) == ["app-20261129T020000Z-00000004"])
        #expect(backupIDs(archive).count == 3)
        #expect(!backupIDs(archive).contains("app-20261126T020000Z-00000001"))
    }

    /// `only:` prunes the named destination and leaves the other alone.
    @Test func onlyTheNamedDestination() async throws {
        let config = try Self.config()
        let local = PrunerTests.bucket()
        let archive = PrunerTests.bucket()
        let before = archive.keys
        let pruner = Pruner(stores: PruneStoresByName(stores: ["local": local, "archive": archive]), history: nil, clock: ManualWallClock(PrunerTests.now))
        let results = await pruner.pruneDestinations(job: config.jobs[0], config: config, only: ["local"], dryRun: false, logger: Logger(label: "test"))
        #expect(results.map(\.destination) == ["local"])
        #expect(archive.keys == before && archive.calls.isEmpty)
        #expect(backupIDs(local).count == 1)
    }

    /// After a partial run, RetentionObserver prunes only the destination that stored the backup.
    @Test func partialRunPrunesOnlyWhereStored() async throws {
        let config = try Self.config()
        let local = PrunerTests.bucket()
        let archive = PrunerTests.bucket()
        let before = archive.keys
        let observer = RetentionObserver(
            pruner: Pruner(stores: PruneStoresByName(stores: ["local": local, "archive": archive]), history: nil, clock: ManualWallClock(PrunerTests.now)))
        var outcome = RunOutcome(status: .partial, endedAt: PrunerTests.now, objectKey: "db/app-20261129T020000Z-00000004.dump.zst", uploadClosed: true)
        outcome.destinations = [
            DestinationOutcome(destination: "local", status: .succeeded, objectKey: outcome.objectKey),
            DestinationOutcome(destination: "archive", status: .failed, error: "upload failed"),
        ]
        let run = ObservedRun(
            runID: 1, job: config.jobs[0], destination: "local", bucket: nil, trigger: .runNow, scheduledFor: nil, startedAt: PrunerTests.now)
        await observer.runFinished(run, outcome: outcome, config: config, logger: Logger(label: "test"))
        #expect(backupIDs(local) == ["app-20261129T020000Z-00000004"])
        #expect(archive.keys == before && archive.calls.isEmpty)
    }
}
