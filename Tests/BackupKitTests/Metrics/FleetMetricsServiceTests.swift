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

/// A bucket of small objects with ETags in its listings, counting downloads; its listing can fail.
final class ETagBucket: BackupObjectStore, @unchecked Sendable {
    struct Unsupported: Error {}
    struct ListingFailed: Error {}
    private let lock = NSLock()
    private var objects: [String: (bytes: [UInt8], etag: String)] = [:]
    private var version = 0
    private(set) var downloads: [String] = []
    var failListing = false

    /// Stores (or replaces) `key`, with a new ETag.
    func put(_ key: String, _ text: String) {
        lock.withLock {
            version += 1
            objects[key] = (Array(text.utf8), "\"e\(version)\"")
        }
    }

    func list(prefix: String) async throws -> [StoredObject] {
        try lock.withLock {
            if failListing { throw ListingFailed() }
            return objects.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
                .map { StoredObject(key: $0.key, size: Int64($0.value.bytes.count), lastModified: nil, etag: $0.value.etag) }
        }
    }

    func download(key: String, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) async throws {
        let bytes = try lock.withLock { () throws -> [UInt8] in
            downloads.append(key)
            guard let object = objects[key] else { throw Unsupported() }
            return object.bytes
        }
        try bytes.withUnsafeBytes { try sink($0) }
    }

    func upload(key: String, from source: any ByteSource, metadata: [String: String], uploadStarted: (String) -> Void) async throws -> UploadReceipt {
        throw Unsupported()
    }
    func head(key: String) async throws -> StoredObject? { nil }
    func delete(keys: [String]) async throws {}
    func abortUpload(key: String, uploadID: String) async throws {}
    func openUploads(prefix: String) async throws -> [OpenUpload] { [] }
}

/// Opens a bucket by destination name.
struct NamedBuckets: ObjectStoreProvider {
    let buckets: [String: ETagBucket]
    func store(for destination: DestinationConfig) throws -> any BackupObjectStore { buckets[destination.name]! }
}

@Suite("Fleet gauges in the daemon's metrics", .ownThreads)
struct FleetMetricsServiceTests {
    static let now = Date(timeIntervalSince1970: 1_796_646_900)

    /// Job `app` (prefix `db`, daily) run on any host, writing to `local` and `far`.
    static func config() throws -> BackupConfig {
        var config = try PrunerTests.config(["keepLast": 2])
        config.hostId = "host-a"
        config.jobs[0].runOn = .any
        var far = config.destinations[0]
        far.name = "far"
        config.destinations.append(far)
        config.jobs[0].destinations = ["local", "far"]
        return config
    }

    /// A manifest of `app` at `time` (its dump listed with its size) ending at `ended`.
    static func backup(_ bucket: ETagBucket, time: String, token: String, ended: String) {
        let keys = RetentionFixtures.backupKeys(time: time, token: token)
        let json = TestManifest.json(for: keys[1]).replacingOccurrences(of: "\"endedAt\": \"2026-01-01T00:00:01Z\"", with: "\"endedAt\": \"\(ended)\"")
        bucket.put(keys[1], json)
        bucket.put(keys[0], "x")
    }

    /// A refresh reads every destination: the newest backup is the far one, each destination has
    /// its own gauge, and the exposition carries them. A second refresh over unchanged listings
    /// downloads nothing; a manifest whose ETag changed is downloaded again.
    @Test func refreshReadsEveryDestinationOnce() async throws {
        let config = try Self.config()
        let local = ETagBucket(), far = ETagBucket()
        Self.backup(local, time: "2026-12-06T02:00:00Z", token: "00000001", ended: "2026-12-06T02:10:00Z")
        Self.backup(far, time: "2026-12-07T02:00:00Z", token: "00000002", ended: "2026-12-07T02:10:00Z")
        let fleet = FleetMetrics()
        let service = FleetMetricsService(
            fleet: fleet, config: { config }, stores: NamedBuckets(buckets: ["local": local, "far": far]), clock: ManualWallClock(Self.now),
            logger: Logger(label: "t"))
        await service.refresh()
        let newest = RetentionFixtures.at("2026-12-07T02:10:00Z").timeIntervalSince1970
        let families = Dictionary(fleet.families().map { ($0.name, $0.samples) }) { a, _ in a }
        #expect(families["backupd_fleet_newest_backup_timestamp_seconds"]?.map(\.value) == [newest])
        #expect(families["backupd_fleet_destination_newest_backup_timestamp_seconds"]?.map { $0.labels.last!.1 } == ["far", "local"])
        #expect(families["backupd_fleet_last_read_timestamp_seconds"]?.map(\.value) == [Self.now.timeIntervalSince1970])
        #expect(fleet.statuses["app"]?.newestDestination == "far")
        let text = MetricsExposition.render(config: config, jobs: [:], now: Self.now, fleet: fleet.families())
        #expect(text.contains("backupd_fleet_newest_backup_timestamp_seconds{backup_job=\"app\"} \(newest)"), "\(text)")
        #expect(local.downloads.count == 1 && far.downloads.count == 1)

        await service.refresh()
        #expect(local.downloads.count == 1 && far.downloads.count == 1)
        let manifest = RetentionFixtures.backupKeys(time: "2026-12-07T02:00:00Z", token: "00000002")[1]
        far.put(manifest, String(decoding: try await far.read(key: manifest), as: UTF8.self))
        await service.refresh()
        #expect(local.downloads.count == 1 && far.downloads.count == 3)
    }

    /// A destination that cannot be listed keeps the job's last reading (and its read time), with
    /// a warning; a job no longer `runOn: "any"` after a reload is dropped.
    @Test func failedReadKeepsTheLastReading() async throws {
        var config = try Self.config()
        let local = ETagBucket(), far = ETagBucket()
        Self.backup(far, time: "2026-12-07T02:00:00Z", token: "00000002", ended: "2026-12-07T02:10:00Z")
        let fleet = FleetMetrics()
        let current = Mutex(config)
        let clock = ManualWallClock(Self.now)
        let logs = CapturedLogs(label: "test.fleet-metrics")
        let service = FleetMetricsService(
            fleet: fleet, config: { current.withLock { $0 } }, stores: NamedBuckets(buckets: ["local": local, "far": far]), clock: clock,
            logger: logs.logger)
        await service.refresh()
        far.failListing = true
        clock.advance(by: 60)
        await service.refresh()
        #expect(fleet.statuses["app"]?.newestDestination == "far")
        let read = fleet.families().first { $0.name == "backupd_fleet_last_read_timestamp_seconds" }?.samples.map(\.value)
        #expect(read == [Self.now.timeIntervalSince1970])
        #expect(logs.messages().contains { $0.hasPrefix("cannot read the job's fleet status") })
        config.jobs[0].runOn = .this
        current.withLock { $0 = config }
        await service.refresh()
        #expect(fleet.statuses.isEmpty)
        #expect(fleet.families().allSatisfy { $0.samples.isEmpty })
    }

    /// Between refreshes the reader waits for the interval or a run's request, whichever comes
    /// first, without polling: a request wakes it at once (not after the minute), none means no
    /// refresh, and cancelling the service ends its wait at once.
    @Test func runRefreshesOnRequestAndStopsOnCancel() async throws {
        let config = try Self.config()
        let reads = Atomic<Int>(0)
        let fleet = FleetMetrics()
        var service = FleetMetricsService(
            fleet: fleet, config: { _ = reads.add(1, ordering: .relaxed); return config },
            stores: NamedBuckets(buckets: ["local": ETagBucket(), "far": ETagBucket()]), clock: ManualWallClock(Self.now),
            logger: Logger(label: "t"))
        let sleeps = Mutex<[Duration]>([])
        service.sleep = { duration in
            sleeps.withLock { $0.append(duration) }
            try await Task.sleep(for: duration)
        }
        func until(_ count: Int) async -> Bool {
            for _ in 0..<200 where reads.load(ordering: .relaxed) < count { try? await Task.sleep(for: .milliseconds(50)) }
            return reads.load(ordering: .relaxed) == count
        }
        let running = Task { try await service.run() }
        #expect(await until(1))
        try await Task.sleep(for: .milliseconds(300))
        #expect(reads.load(ordering: .relaxed) == 1, "no refresh before the interval without a request")
        fleet.requestRefresh()
        #expect(await until(2), "a request wakes the reader")
        let stopping = ContinuousClock.now
        running.cancel()
        _ = try? await running.value
        #expect(ContinuousClock.now - stopping < .seconds(5))
        #expect(reads.load(ordering: .relaxed) == 2)
        let asked = sleeps.withLock { $0 }
        #expect(!asked.isEmpty && asked.allSatisfy { $0 == FleetMetricsService.interval }, "one wait per interval, no steps: \(asked)")
    }

    /// A finished run of a `runOn: "any"` job asks the fleet reader for a refresh; one of a
    /// `runOn: "this"` job does not.
    @Test func ownRunRequestsARefresh() throws {
        var config = try Self.config()
        let registry = MetricsRegistry(config: config, clock: ManualWallClock(Self.now))
        let outcome = RunOutcome(status: .succeeded, endedAt: Self.now, uploadClosed: true)
        let run = ObservedRun(runID: 1, job: config.jobs[0], destination: "local", bucket: nil, trigger: .schedule, scheduledFor: nil, startedAt: Self.now)
        registry.runFinished(run, outcome: outcome, config: config, logger: Logger(label: "t"))
        #expect(registry.fleet.takeRefreshRequest() && !registry.fleet.takeRefreshRequest())
        config.jobs[0].runOn = .this
        let local = ObservedRun(runID: 2, job: config.jobs[0], destination: "local", bucket: nil, trigger: .schedule, scheduledFor: nil, startedAt: Self.now)
        registry.runFinished(local, outcome: outcome, config: config, logger: Logger(label: "t"))
        #expect(!registry.fleet.takeRefreshRequest())
    }
}
