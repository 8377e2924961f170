import BackupTestSupport
import Cron
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

@Suite("Retention against radosgw", .ownThreads)
struct RetentionIntegrationTests {
    static let zone = "Europe/Berlin"
    static let now = ISO8601Instant.parse("2027-01-10T12:00:00Z", defaultZone: .utc)!

    /// A fresh bucket, a client to seed it and a destination (optionally without multi-delete).
    static func setUp(multiDelete: Bool = true) async throws -> (s3: TestS3, client: S3Client, destination: TestDestination) {
        let s3 = try TestS3.environment()
        let base = try await TestDestination.make()
        var json = base.json
        json["multiObjectDelete"] = multiDelete
        let bucket = json["bucket"] as! String
        return (s3, s3.client(s3.settings(bucket: bucket)), TestDestination(provider: base.provider, store: base.store, json: json))
    }

    /// The job `app` under prefix `db` in Berlin time with `retention`.
    static func config(_ destination: TestDestination, retention: [String: Any]) throws -> BackupConfig {
        try IntegrationConfig.make(destination: destination, name: "app", job: [
            "engine": "command", "prefix": "db", "timeZone": zone, "timeout": "1h", "retention": retention,
            "connection": ["argv": ["true"], "extension": ".bin"],
        ])
    }

    /// A neighbouring job's backup and a stranger's objects under the same prefix.
    static let bystanders = PastBackups.keys(prefix: "db", job: "app-old", time: ISO8601Instant.parse("2025-02-01T00:00:00Z", defaultZone: .utc)!, token: "0000a0a0")
        + ["db/app-notes.txt", "db/app.dump.zst", "db/README"]

    static func at(_ text: String) -> Date { ISO8601Instant.parse(text, defaultZone: .utc)! }

    /// Two years of backups at chosen past times (every five days, then daily at 00:30 Berlin, then
    /// hourly, plus Berlin's DST days of 2026 and ISO week 53 of 2026) pruned with a GFS policy
    /// through the live S3 store: exactly the backups the independent oracle keeps survive, as
    /// the AWS CLI lists them, together with the neighbour's and the stranger's objects.
    @Test func twoYearSeriesSurvivorsMatchOracle() async throws {
        let (s3, client, destination) = try await Self.setUp()
        var times: [Date] = []
        var t = Self.at("2025-01-10T01:30:00Z")
        while t < Self.at("2026-12-01T00:00:00Z") { times.append(t); t += 5 * 86_400 }
        t = Self.at("2026-12-01T23:30:00Z")
        while t < Self.at("2027-01-09T00:00:00Z") { times.append(t); t += 86_400 }
        for h in 0..<30 { times.append(Self.at("2027-01-10T10:15:00Z") - Double(h) * 3600) }
        times += ["2026-03-29T00:30:00+01:00", "2026-03-29T23:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00",
                  "2026-12-27T10:00:00Z", "2026-12-31T10:00:00Z", "2027-01-02T10:00:00Z"].map(Self.at)
        let backups = Set(times).sorted().enumerated().map { (id: "app-\(ObjectName.timestamp($0.element))-\(String(format: "%08x", $0.offset))", time: $0.element) }
        let keysByID = Dictionary(uniqueKeysWithValues: backups.map { backup in
            (backup.id, PastBackups.keys(prefix: "db", job: "app", time: backup.time, token: String(backup.id.suffix(8))))
        })
        try await PastBackups.write(keysByID.values.flatMap { $0 } + Self.bystanders, with: client)

        let retention: [String: Any] = ["keepLast": 3, "keepHourly": 12, "keepDaily": 10, "keepWeekly": 6, "keepMonthly": 12, "keepYearly": 2, "keepWithin": "20h"]
        let config = try Self.config(destination, retention: retention)
        let pruner = Pruner(stores: S3StoreProvider(logger: Logger(label: "it")), history: nil, clock: ManualWallClock(Self.now))
        let report = try await pruner.prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "it"))
        #expect(report.refused.isEmpty)

        var oraclePolicy = retention
        oraclePolicy["keepWithin"] = [0, 20]
        let expected = try PastBackups.oracleSurvivors(zone: Self.zone, now: Self.now, policy: oraclePolicy, backups: backups)
        #expect(expected.count > 30 && expected.count < backups.count - 50)
        let survivors = expected.flatMap { keysByID[$0]! }
        #expect(try PastBackups.awsKeys(s3, bucket: client.settings.bucket) == (survivors + Self.bystanders).sorted())
        #expect(report.deleted.count == (backups.count - expected.count) * 2)
    }

    /// A listing whose second page fails (every retry) deletes nothing, though the first page
    /// alone would have let prune delete; once the listing works, 551 backups with globals
    /// (1,653 objects) are pruned with DeleteObjects in batches of at most 1,000.
    @Test func failedListingPageDeletesNothing() async throws {
        let (s3, client, destination) = try await Self.setUp()
        let start = Self.at("2026-01-01T03:00:00Z")
        let keys = (0..<551).flatMap { PastBackups.keys(prefix: "db", job: "app", time: start + Double($0) * 3600, token: String(format: "%08x", $0), globals: true) }
        try await PastBackups.write(keys + Self.bystanders, with: client)
        let before = try PastBackups.awsKeys(s3, bucket: client.settings.bucket)
        let config = try Self.config(destination, retention: ["keepLast": 1])
        let transport = RecordingTransport()
        transport.failListingPages(true)
        let pruner = Pruner(stores: RecordingProvider(transport: transport), history: nil, clock: ManualWallClock(Self.now))
        await #expect(throws: PruneError.self) {
            try await pruner.prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "it"))
        }
        #expect(transport.log.allSatisfy { $0.hasPrefix("GET ") })
        #expect(transport.log.count == 1 + RecordingProvider.retry.maxAttempts)  // the first page, then every attempt at the second
        #expect(try PastBackups.awsKeys(s3, bucket: client.settings.bucket) == before)

        transport.failListingPages(false)
        let report = try await pruner.prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "it"))
        #expect(report.deleted.count == 550 * 3)
        let deletes = transport.log.filter { $0.hasPrefix("POST ") }
        #expect(deletes.count == 3 && deletes.allSatisfy { $0.hasSuffix("?delete=") })  // 550 manifests, then 1,000 + 100 data objects
        #expect(!transport.log.contains { $0.hasPrefix("DELETE ") })
        let newest = PastBackups.keys(prefix: "db", job: "app", time: start + 550 * 3600, token: String(format: "%08x", 550), globals: true)
        #expect(try PastBackups.awsKeys(s3, bucket: client.settings.bucket) == (newest + Self.bystanders).sorted())
    }

    /// A provider without multi-object delete gets one DeleteObject per object, each backup's
    /// manifest before its data, and no DeleteObjects request.
    @Test func providerWithoutMultiDelete() async throws {
        let (s3, client, destination) = try await Self.setUp(multiDelete: false)
        let times = (0..<5).map { Self.at("2026-12-0\($0 + 1)T02:00:00Z") }
        let keys = times.enumerated().map { PastBackups.keys(prefix: "db", job: "app", time: $0.element, token: String(format: "%08x", $0.offset)) }
        try await PastBackups.write(keys.flatMap { $0 } + Self.bystanders, with: client)
        let transport = RecordingTransport()
        let config = try Self.config(destination, retention: ["keepLast": 2])
        let report = try await Pruner(stores: RecordingProvider(transport: transport), history: nil, clock: ManualWallClock(Self.now))
            .prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "it"))
        let bucket = client.settings.bucket
        let expected = [keys[0][1], keys[1][1], keys[2][1], keys[0][0], keys[1][0], keys[2][0]].map { "DELETE /\(bucket)/\($0)" }
        #expect(transport.log.filter { !$0.hasPrefix("GET ") && !$0.hasPrefix("HEAD ") } == expected)
        #expect(report.deleted.count == 6)
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (keys[3] + keys[4] + Self.bystanders).sorted())
    }

    /// A bucket policy that denies deleting one manifest (as object lock or a retention policy
    /// would): that backup stays whole and listed, the refusal is reported with S3's reason and
    /// recorded once in the history; the other backups go. Batched and single deletes alike.
    @Test(arguments: [true, false])
    func deletionRefusedByPolicy(multiDelete: Bool) async throws {
        let (s3, client, destination) = try await Self.setUp(multiDelete: multiDelete)
        let bucket = client.settings.bucket
        let keys = (0..<4).map { PastBackups.keys(prefix: "db", job: "app", time: Self.at("2026-12-0\($0 + 1)T02:00:00Z"), token: String(format: "%08x", $0)) }
        try await PastBackups.write(keys.flatMap { $0 }, with: client)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::\#(bucket)/\#(keys[0][1])"}]}"#
        let put = try s3.aws(["s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy])
        try #require(put.status == 0, "\(put.error)")
        defer { _ = try? s3.aws(["s3api", "delete-bucket-policy", "--bucket", bucket]) }

        let tmp = FileManager.default.temporaryDirectory.path + "/backupd-retention-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let history = try HistoryStore(stateDirectory: tmp)
        let config = try Self.config(destination, retention: ["keepLast": 1])
        let transport = RecordingTransport()
        let report = try await Pruner(stores: RecordingProvider(transport: transport), history: history, clock: ManualWallClock(Self.now))
            .prune(job: config.jobs[0], config: config, dryRun: false, logger: Logger(label: "it"))
        #expect(report.refused.map(\.objectKey) == [keys[0][1]])
        #expect(report.refused.first?.error?.contains(multiDelete ? "AccessDenied" : "access denied for DeleteObject") == true)
        #expect(transport.log.filter { $0.contains(keys[0][1]) && $0.hasPrefix("DELETE") }.count == (multiDelete ? 0 : 1))
        #expect(!transport.log.contains { $0.contains(keys[0][0]) })
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (keys[0] + keys[3]).sorted())
        let recorded = try history.deletions(job: "app")
        #expect(recorded.filter { $0.outcome == .refused }.map(\.objectKey) == [keys[0][1]])
        #expect(recorded.filter { $0.outcome == .skipped }.map(\.objectKey) == [keys[0][0]])
        #expect(recorded.filter { $0.outcome == .deleted }.count == 4)
    }
}
