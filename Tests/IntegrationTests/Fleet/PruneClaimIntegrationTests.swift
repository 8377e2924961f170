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

/// Two simulated hosts sharing a `runOn: "any"` job on radosgw: prune only under the job's prune claim.
@Suite("runOn any: prune claims on radosgw", .ownThreads)
struct PruneClaimIntegrationTests {
    /// While host-a holds the job's prune claim, host-b's after-backup prune deletes nothing and
    /// names host-a; once host-a marks it done, host-b's prune keeps the last 2 backups and
    /// deletes the run-slot claims older than the oldest kept one (read back with the AWS CLI),
    /// leaving the newer slot claims and the prune claim (now done by host-b).
    @Test func heldClaimSkipsThenPruneDeletesOldSlotClaims() async throws {
        let (s3, client, destination) = try await RetentionIntegrationTests.setUp()
        let bucket = client.settings.bucket
        var config = try IntegrationConfig.make(destination: destination, name: "app", job: [
            "engine": "command", "prefix": "db", "timeout": "1h", "retention": ["keepLast": 2],
            "connection": ["argv": ["true"], "extension": ".bin"],
        ])
        // Set after loading: the loader would refuse runOn any without a usable hostname here.
        config.hostId = "host-b"
        config.jobs[0].runOn = .any
        let job = config.jobs[0]
        // Backup names ahead of the server's clock, so every claim written now is older than them.
        let base = Date().addingTimeInterval(3600).rounded()
        let times = (0..<4).map { base.addingTimeInterval(Double($0) * 3600) }
        var backupKeys: [[String]] = []
        for (index, time) in times.enumerated() {
            backupKeys.append(PastBackups.keys(prefix: "db", job: "app", time: time, token: String(format: "%08x", index + 1)))
        }
        try await PastBackups.write(backupKeys.flatMap { $0 }, with: client)
        let hostA = ClaimStore(store: client, prefix: "db", hostId: "host-a", pid: 101, lease: 60, logger: Logger(label: "it.host-a"))
        let slots = [base.addingTimeInterval(-7200)] + times
        for slot in slots {
            guard case .won(let held) = try await hostA.claim(job: "app", slot: slot) else {
                Issue.record("host-a should win slot \(slot)")
                return
            }
            _ = try await hostA.finish(held)
        }
        guard case .won(let prune) = try await hostA.claimTask(job: "app", task: "prune") else {
            Issue.record("host-a should take the free prune claim")
            return
        }

        let observer = RetentionObserver(
            pruner: Pruner(stores: S3StoreProvider(logger: Logger(label: "it")), history: nil, clock: ManualWallClock(base.addingTimeInterval(5 * 3600))),
            claims: .live)
        let run = ObservedRun(runID: 1, job: job, destination: "test", bucket: bucket, trigger: .schedule, scheduledFor: nil, startedAt: times[3])
        var outcome = RunOutcome(status: .succeeded, endedAt: times[3], objectKey: backupKeys[3][0], uploadClosed: true)
        outcome.destinations = [DestinationOutcome(destination: "test", status: .succeeded, objectKey: outcome.objectKey)]
        // The conditional-write probe (a generic endpoint) may leave its own probe object beside the claims.
        let listed = { try PastBackups.awsKeys(s3, bucket: bucket).filter { !$0.contains("/.backupd/claims/app/probe-") } }
        let before = try listed()
        let (heldLogger, heldLines) = CapturingLogHandler.logger()
        await observer.runFinished(run, outcome: outcome, config: config, logger: heldLogger)
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == before)
        #expect(heldLines.all.contains { $0.contains("another host holds the job's prune claim") && $0.contains("claim.holder=host-a") })

        _ = try await hostA.finish(prune)
        await observer.runFinished(run, outcome: outcome, config: config, logger: Logger(label: "it.host-b"))
        let folder = ClaimKey.folder(prefix: "db", job: "app")
        let claimKeys = [ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")] + times[2...].map { ClaimKey.key(prefix: "db", job: "app", slot: $0) }
        #expect(try PastBackups.awsKeys(s3, bucket: bucket) == (backupKeys[2] + backupKeys[3] + claimKeys).sorted())
        #expect(before.filter { $0.hasPrefix(folder) }.count == slots.count + 1)
        let key = ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")
        let record = try ClaimRecord.decode(try await client.readVersioned(key: key).body, key: key)
        #expect(record.hostId == "host-b" && record.state == .done && record.fencing == 2)
    }

    /// `backupd prune app` (the real binary, as host-b) while host-a holds the job's live prune
    /// claim: exits 1 naming host-a, deletes nothing (read back with the AWS CLI) and leaves
    /// host-a's claim as it was; `--dry-run` takes no claim either.
    @Test func pruneCommandSkipsAJobWhoseClaimIsHeld() async throws {
        let s3 = try TestS3.environment()
        let client = try await s3.makeBucket("prune-cmd")
        let bucket = client.settings.bucket
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backupd-prunecmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = Date().addingTimeInterval(-10 * 3600).rounded()
        let keys = (0..<3).flatMap { PastBackups.keys(prefix: "db", job: "app", time: base.addingTimeInterval(Double($0) * 3600), token: String(format: "%08x", $0 + 1)) }
        try await PastBackups.write(keys, with: client)
        let hostA = ClaimStore(store: client, prefix: "db", hostId: "host-a", pid: 101, lease: 600, logger: Logger(label: "it.host-a"))
        guard case .won = try await hostA.claimTask(job: "app", task: "prune") else {
            Issue.record("host-a should take the free prune claim")
            return
        }
        let config: [String: Any] = [
            "hostId": "host-b", "stateDirectory": directory.path + "/state",
            "destinations": [[
                "name": "test", "endpoint": s3.endpoint.absoluteString, "region": s3.region, "bucket": bucket, "pathStyle": true,
                "accessKeyId": s3.accessKey, "secretAccessKey": ["env": "PRUNE_SECRET"],
            ]],
            "jobs": [[
                "name": "app", "engine": "command", "schedule": "0 3 * * *", "destination": "test", "prefix": "db", "runOn": "any",
                "retention": ["keepLast": 1], "connection": ["argv": ["true"], "extension": ".bin"],
            ]],
        ]
        let path = directory.path + "/config.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let environment = ["PATH": "/usr/bin:/bin", "PRUNE_SECRET": s3.secretKey]
        let key = ClaimKey.taskKey(prefix: "db", job: "app", task: "prune")
        let claimBefore = try await client.readVersioned(key: key).body
        // The conditional-write probe (a generic endpoint) may leave its own probe object beside the claims.
        let listed = { try PastBackups.awsKeys(s3, bucket: bucket).filter { !$0.contains("/.backupd/claims/app/probe-") } }
        let before = try listed()

        let dry = try runBackupd(["prune", "app", "--dry-run", "--config", path], environment: environment, timeout: 120)
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        let held = try runBackupd(["prune", "app", "--config", path], environment: environment, timeout: 120)
        #expect(held.status == 1, "\(held.stdout)\(held.stderr)")
        #expect(held.stderr.contains("app: skipped, nothing deleted: host host-a holds the job's prune claim"), "\(held.stderr)")
        #expect(try listed() == before)
        #expect(try await client.readVersioned(key: key).body == claimBefore)
        #expect(!(held.stdout + held.stderr + dry.stdout + dry.stderr).contains(s3.secretKey))
    }
}

extension Date {
    /// Whole seconds, as backup names carry them.
    fileprivate func rounded() -> Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
